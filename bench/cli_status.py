"""How long `kiemdiem cycle status CODE` and `kiemdiem --help` take as a person runs them:
a fresh process each time, against the demo-sized district (the demo's generator, 2,000
members by default, its cycle launched and started), beside `python -c pass` measured in
the same run. Prints a table: median wall and CPU seconds per command, with the load.

    python bench/cli_status.py [--members 2000] [--runs 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from pages_setup import LAUNCHED, prepare  # noqa: E402

KIEMDIEM = str(Path(sys.executable).with_name("kiemdiem"))
UNHELD = (
    "import sys, kiemdiem.cli as k; k.hold_collection = lambda: None; "
    "sys.argv[0] = 'kiemdiem'; k.main()"
)


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _measure(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `runs` fresh processes running `command`."""
    walls, cpus = [], []
    subprocess.run(command, env=env, capture_output=True)  # the bytecode cache is written
    for _run in range(runs):
        cpu, wall = _children_cpu(), time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        walls.append(time.perf_counter() - wall)
        cpus.append(_children_cpu() - cpu)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="prepare the district here and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="kiemdiem-cli-status-"))
    work.mkdir(parents=True, exist_ok=True)
    database = work / "kiemdiem.db"
    url = f"sqlite:///{database}"
    kept = work / "cycle.txt"  # a kept district is measured again without preparing it
    if not (database.exists() and kept.exists()):
        prepared = prepare(work, url, people=1, members=args.members)
        kept.write_text(f"{prepared.cycle} {prepared.members}")
    cycle, members_text = kept.read_text().split()
    members = int(members_text)
    env = {
        **os.environ,
        "KIEMDIEM_DATABASE_URL": url,
        "KIEMDIEM_NOW": (LAUNCHED + timedelta(days=9)).isoformat(),  # some of it overdue
        "KIEMDIEM_LANG": "vi",
    }
    # As a person runs it: with the bytecode cache (a shell that sets this recompiles every
    # module of kiemdiem's, a tenth of a second, at every command).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("kiemdiem --help", [KIEMDIEM, "--help"]),
        (f"kiemdiem cycle status {cycle}", [KIEMDIEM, "cycle", "status", cycle]),
        (f"kiemdiem cycle status {cycle} --json", [KIEMDIEM, "cycle", "status", cycle, "--json"]),
        # The reference: the same command with the collector running through start-up.
        ("  same, collector not held", [sys.executable, "-c", UNHELD, "cycle", "status", cycle]),
    ]
    load = os.getloadavg()
    print(f"district: {members} members; {args.runs} runs each; median seconds")
    print(
        f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)"
    )
    print(f"{'command':<40} {'wall':>7} {'cpu':>7}")
    for name, command in rows:
        wall, cpu = _measure(command, env, args.runs)
        print(f"{name:<40} {wall:7.3f} {cpu:7.3f}")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()

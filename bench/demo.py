"""`kiemdiem demo` timed whole, from its own summary: this tree beside a reference tree.

Each run is a fresh process (`kiemdiem demo --json`) in a fresh directory; with `--reference
DIR` (a checkout of another commit, e.g. `git archive <commit> | tar -x -C DIR` plus its
compiled catalog) the runs alternate between the two trees, so both see the same load. With
`--fresh` each run gets an empty cache directory (XDG_CACHE_HOME), as on a new machine where
Prefect's migrated database has never been kept. One table: wall and CPU, in ticks and in
the people, mails received, and the load average when the run started.

    python bench/demo.py [--runs 2] [--members 2000] [--reference DIR] [--fresh]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

KIEMDIEM = Path(sys.executable).with_name("kiemdiem")
COLUMNS = (
    ("seconds", "wall s"),
    ("seconds_in_ticks", "ticks s"),
    ("seconds_in_people", "people s"),
    ("cpu_seconds", "CPU s"),
    ("cpu_in_ticks", "ticks CPU"),
    ("cpu_in_people", "people CPU"),
    ("mails_received", "mails"),
    ("refused_total", "refused"),
)


def run(tree: Path | None, members: int, fresh: bool) -> dict[str, object]:
    load = os.getloadavg()[0]
    env = dict(os.environ)
    if tree is not None:  # the reference's packages before the installed (editable) ones
        env["PYTHONPATH"] = str(tree)
    with tempfile.TemporaryDirectory(prefix="kiemdiem-bench-demo-") as work:
        if fresh:
            env["XDG_CACHE_HOME"] = str(Path(work) / "cache")
        done = subprocess.run(
            [str(KIEMDIEM), "demo", "--json", "--members", str(members), "--keep", work],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    summary: dict[str, object] = json.loads(done.stdout)
    summary["load"] = round(load, 1)
    summary["actions_total"] = sum(summary["actions"].values())  # type: ignore[attr-defined]
    summary["refused_total"] = sum(summary["refused_actions"].values())  # type: ignore[attr-defined]
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--reference", type=Path, help="another source tree to compare with")
    parser.add_argument("--fresh", action="store_true", help="no cached Prefect database")
    args = parser.parse_args()
    trees: list[tuple[str, Path | None]] = [("this tree", None)]
    if args.reference:
        trees.insert(0, ("reference", args.reference.resolve()))
    rows = []
    for i in range(args.runs):
        for name, tree in trees:
            summary = run(tree, args.members, args.fresh)
            rows.append((name, i + 1, summary))
            print(f"{name} run {i + 1}: {summary['seconds']} s", file=sys.stderr)
    header = ["tree", "run", "load", *(title for _, title in COLUMNS), "actions"]
    print("| " + " | ".join(header) + " |")
    print("|---|---:|" + "---:|" * (len(header) - 2))
    for name, i, s in rows:
        cells = [name, str(i), str(s["load"]), *(str(s[key]) for key, _ in COLUMNS)]
        print("| " + " | ".join([*cells, str(s["actions_total"])]) + " |")


if __name__ == "__main__":
    main()

"""`kiemdiem demo`: a whole cycle on a generated district, on the embedded defaults."""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from kiemdiem.demo.generate import generate
from kiemdiem.demo.simulate import People, act_for_a_day
from kiemdiem.demo.smtp_server import SMTPServerProcess
from kiemdiem.demo.summary import insights_words, overdue_words
from kiemdiem.prefect_env import (
    many_runs,
    prefect_template,
    prepare_prefect,
    start_embedded_prefect,
)
from kiemdiem.report_xlsx import write_report
from models import get_engine, init_db, load_settings, session_scope
from models.org_import import import_organizations
from states import cycle_status
from states.cycles import get_cycle
from states.report import cycle_report
from vocabulary import N_, _, dates, names
from vocabulary.names import Names

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
START = date(2026, 11, 23)
DAYS = 24  # to 17 Dec: the last ladder step (approval due 9 Dec + 7 days) falls on this tick


def _at(day: date, hour: int) -> str:
    return datetime.combine(day, clock(hour), tzinfo=ZONE).isoformat()


def run_demo(
    *, json_output: bool, members: int, seed: int, keep: str | None, serve: bool = False
) -> dict[str, Any]:
    started = time.perf_counter()
    console = Console(stderr=json_output)
    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="kiemdiem-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "kiemdiem.db"
    for leftover in workdir.glob("kiemdiem.db*"):
        leftover.unlink()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with SMTPServerProcess(workdir / "smtp-received.txt") as smtp, progress, ExitStack() as runs:
        # Generate and import, launch, one tick and one day of people per day, the report.
        bar = progress.add_task(_("Generating the district…"), total=DAYS + 3)
        os.environ.update(
            {
                "KIEMDIEM_DATABASE_URL": f"sqlite:///{database}",
                "KIEMDIEM_SMTP_HOST": "127.0.0.1",
                "KIEMDIEM_SMTP_PORT": str(smtp.port),
                "KIEMDIEM_SMTP_STARTTLS": "false",
                "KIEMDIEM_SMTP_FROM": "kiemdiem@hu.demo.kiemdiem.vn",
                # The cycle's ballot key, beside its database in the demo's own directory.
                "KIEMDIEM_KEYS_DIR": str(workdir / "keys"),
            }
        )
        os.environ.pop("KIEMDIEM_NOW", None)
        prepare_prefect(home=workdir / "prefect")
        # The embedded server matches every event against automations; the demo's server has
        # none and lives only as long as the demo (9% of the ticks' time at 400 members).
        os.environ.setdefault("PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED", "false")
        # Prefect's embedded API migrates its fresh database on first start (~20 s of one
        # core): start it now, beside generating and importing the district, not after.
        warming = threading.Thread(
            target=start_embedded_prefect, args=(prefect_template(),), name="prefect-start"
        )
        warming.start()
        settings = load_settings()
        console.print(
            Text.assemble(
                ("kiemdiem demo", "bold"),
                " ",
                _("in {workdir}; SMTP server on 127.0.0.1:{port}").format(
                    workdir=workdir, port=smtp.port
                ),
            )
        )
        district = generate(workdir, seed=seed, members=members, start=START)
        progress.update(bar, advance=1, description=_("Importing the organizations and members…"))
        engine = get_engine(settings.database_url)
        init_db(engine)
        with session_scope(engine) as session:
            import_organizations(
                session=session,
                organizations_csv=district.organizations_csv,
                members_csv=district.members_csv,
            )
        console.print(
            _(
                "imported {grassroots} grassroots organizations, {cells} cells, {members} "
                "members; starting Prefect (first start ~20 s)"
            ).format(grassroots=district.grassroots, cells=district.cells, members=district.members)
        )
        from flows import launch_here, tick_here

        progress.update(bar, description=_("Launching: units, deadlines and mail…"))
        warming.join()
        runs.enter_context(many_runs())
        # What is alive now (Prefect, SQLAlchemy, the district) lives to the end: the
        # collector need not walk it again, and the many short-lived rows of the people's
        # actions and ticks are collected in larger, rarer sweeps.
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)
        launched = launch_here(
            str(district.plan_yaml), now=_at(START, 8), database_url=settings.database_url
        )
        console.print(
            _("launched {cycle}: {units}; plan-issued mails {mails}").format(
                cycle=district.cycle_code,
                units=names.counted(launched["units"], names.KINDS),
                mails=launched["mails_queued"],
            )
        )
        progress.update(bar, advance=1)
        people = People(seed)
        timeline = []
        spent = {"ticks": 0.0, "people": 0.0, "ticks_cpu": 0.0, "people_cpu": 0.0}
        for offset in range(1, DAYS + 1):
            day = START + timedelta(days=offset)
            progress.update(
                bar, description=_("Day {day}: the tick and the people").format(day=dates.day(day))
            )
            mark, cpu = time.perf_counter(), time.process_time()
            ticked = tick_here(
                district.cycle_code, now=_at(day, 8), database_url=settings.database_url
            )
            spent["ticks"] += time.perf_counter() - mark
            spent["ticks_cpu"] += time.process_time() - cpu
            mark, cpu = time.perf_counter(), time.process_time()
            act_for_a_day(
                engine=engine,
                cycle_code=district.cycle_code,
                people=people,
                now=datetime.fromisoformat(_at(day, 14)),
                settings=settings,
            )
            spent["people"] += time.perf_counter() - mark
            spent["people_cpu"] += time.process_time() - cpu
            status = ticked["status"]
            timeline.append(
                {
                    "day": day.isoformat(),
                    "overdue": sum(status["overdue"].values()),
                    "sent": ticked["delivery"]["sent"],
                    **status["states"],
                }
            )
            console.print(
                "  "
                + _(
                    "{day}  moved {moved:5d}  escalation steps {steps:5d}  mails sent "
                    "{sent:5d}  overdue {overdue}"
                ).format(
                    day=dates.day(day),
                    moved=sum(ticked["advanced"]["moved"].values()),
                    steps=ticked["escalated"]["steps"],
                    sent=ticked["delivery"]["sent"],
                    overdue=timeline[-1]["overdue"],
                )
            )
            progress.update(bar, advance=1)
        progress.update(bar, description=_("Writing the workbook…"))
        final_now = _at(START + timedelta(days=DAYS), 8)
        with session_scope(engine) as session:
            summary = cycle_status(
                session=session,
                cycle=get_cycle(session, district.cycle_code),
                now=datetime.fromisoformat(final_now),
            )
            report = cycle_report(session, district.cycle_code, datetime.fromisoformat(final_now))
        workbook = workdir / f"bao-cao-{district.cycle_code}.xlsx"
        write_report(report, workbook)
        summary["report"] = str(workbook)
        if report.insights is not None:  # the planted formalism, as the workbook shows it
            summary["insights"] = {
                "formalism": dict(Counter(s["signal"] for s in report.insights["formalism"])),
                "at_risk": sum(f["at_risk"] for f in report.insights["forecast"]),
                "position_outliers": sum(len(g["outliers"]) for g in report.insights["comparison"]),
            }
        summary["mails_received"] = smtp.received()
        progress.update(bar, advance=1)
    summary["actions"] = dict(people.actions)
    summary["refused_actions"] = people.refused
    summary["seconds"] = round(time.perf_counter() - started, 1)
    # CPU of this process and of the children it waited for (Prefect's server, the SMTP server)
    used, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    summary["cpu_seconds"] = round(
        used.ru_utime + used.ru_stime + children.ru_utime + children.ru_stime + _prefect_cpu(), 1
    )
    summary["cpu_in_ticks"] = round(spent["ticks_cpu"], 1)
    summary["cpu_in_people"] = round(spent["people_cpu"], 1)
    summary["seconds_in_ticks"] = round(spent["ticks"], 1)
    summary["seconds_in_people"] = round(spent["people"], 1)
    summary["directory"] = str(workdir)
    _print(console, summary, timeline, workdir, json_output)
    if serve:  # a recording SMTP server again, for the mail the pages send (fresh links)
        with SMTPServerProcess(workdir / "smtp-received.txt") as smtp:
            os.environ["KIEMDIEM_SMTP_PORT"] = str(smtp.port)
            serve_demo(console, district.cycle_code, final_now)
    return summary


def _prefect_cpu() -> float:
    """CPU seconds Prefect's embedded server has used so far (it runs until this process
    exits, so it is not among the children waited for); 0 where /proc cannot tell."""
    from prefect.server.api.server import SubprocessASGIServer

    process = SubprocessASGIServer().server_process
    if process is None:  # a Prefect server elsewhere (PREFECT_API_URL)
        return 0.0
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def serve_demo(console: Console, cycle_code: str, now: str) -> None:
    """Leave the pages running on the demo's database, at the demo's last day, and print one
    ready sign-in link per kind of person."""
    from states.people import one_per_role
    from states.signin import sign_in_url
    from web.serve import serve, served_settings

    os.environ["KIEMDIEM_NOW"] = now
    settings = served_settings(load_settings())
    with session_scope(get_engine(settings.database_url)) as session:
        people = one_per_role(session, cycle_code)
    console.print(
        "\n"
        + _("The pages are at {url} (Ctrl-C stops them). Sign in as:").format(url=settings.base_url)
    )
    for role, key in people.items():
        console.print(
            f"  {names.ROLES.name(role.value):>22}: {sign_in_url(settings, key)}", soft_wrap=True
        )
    console.print(
        _(
            "Each link signs in once (press its button); the browser that used it stays signed "
            "in. A fresh link: {url}/signin, or run the demo again."
        ).format(url=settings.base_url)
    )
    serve(settings, ticks=False)


# What the simulated people did, by the verb simulate.py counts it under.
DONE = Names(
    {
        "suggest": N_("review suggestions"),
        "submit": N_("self-reviews submitted"),
        "comment": N_("comments"),
        "opinion": N_("opinions"),
        "vote": N_("ballots"),
        "close_vote": N_("votes closed"),
        "approve": N_("approvals"),
        "return": N_("reviews returned"),
        "assign": N_("shortcomings assigned"),
        "remedied": N_("remediation reports"),
    }
)


def _print(
    console: Console,
    summary: dict[str, Any],
    timeline: list[dict[str, Any]],
    workdir: Path,
    json_output: bool,
) -> None:
    table = Table(
        title=_("{cycle}: units per state after each morning's tick").format(
            cycle=summary["cycle"]
        ),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    columns = {
        "day": N_("day"),
        "self_review": N_("self"),
        "peer_review": N_("peer"),
        "vote": N_("vote"),
        "approval": N_("appr."),
        "returned": N_("ret."),
        "remediation": N_("remed."),
        "closed": N_("closed"),
        "overdue": N_("overdue"),
        "sent": N_("mails"),
    }
    for header in columns.values():
        table.add_column(_(header), justify="right")
    for row in timeline:
        day = date.fromisoformat(row["day"]).strftime("%d/%m")
        table.add_row(day, *(str(row.get(c, 0)) for c in list(columns)[1:]))
    console.print(table)
    console.print(
        _(
            "units {units}; overdue now {overdue}; mail {mail}; received by the SMTP server "
            "{received}; people's actions {actions}; {seconds} s in all, {in_ticks} s in "
            "{ticks} ticks, {in_people} s simulating people; CPU {cpu} s (this process, "
            "Prefect's and the SMTP server; {cpu_in_ticks} s in ticks, {cpu_in_people} s "
            "simulating people, this process)"
        ).format(
            units=summary["units"],
            overdue=overdue_words(summary["overdue"]),
            mail=names.counted(summary["mails"], names.MAIL_STATUSES),
            received=summary["mails_received"],
            actions=names.counted(summary["actions"], DONE),
            seconds=summary["seconds"],
            in_ticks=summary["seconds_in_ticks"],
            ticks=len(timeline),
            in_people=summary["seconds_in_people"],
            cpu=summary["cpu_seconds"],
            cpu_in_ticks=summary["cpu_in_ticks"],
            cpu_in_people=summary["cpu_in_people"],
        ),
        soft_wrap=True,
        markup=False,
    )
    database = workdir / "kiemdiem.db"
    console.print(
        "\n"
        + _(
            "Watch the flow runs in the Prefect UI:\n"
            "  PREFECT_HOME={home} {prefect} server start\n"
            "  then open http://127.0.0.1:4200 (flows launch-cycle and review-cycle, artifacts "
            "{slug}-states, -overdue, -process and -insights)\n"
            "The standing committee's report (Excel): {report}\n"
            "The demo's database is {database}: try\n"
            "  KIEMDIEM_DATABASE_URL=sqlite:///{database} {kiemdiem} cycle status {cycle} "
            "(or cycle insights {cycle}: {insights})"
        ).format(
            home=workdir / "prefect",
            prefect=Path(sys.executable).with_name("prefect"),
            slug=summary["cycle"].lower(),
            report=summary["report"],
            database=database,
            kiemdiem=Path(sys.executable).with_name("kiemdiem"),
            cycle=summary["cycle"],
            insights=insights_words(summary.get("insights")),
        ),
        soft_wrap=True,
        markup=False,
    )
    if json_output:
        print(json.dumps(summary, ensure_ascii=False, indent=2))

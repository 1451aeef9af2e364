"""Backtest the forecast on a finished cycle: replay it each morning and compare with what
happened. Run it on the demo's database (`kiemdiem demo --keep DIR`):

    python bench/forecast_backtest.py sqlite:///DIR/kiemdiem.db DEMO-2026
"""

from __future__ import annotations

import sys
from datetime import datetime, time, timedelta

from sqlmodel import Session

from models import get_engine
from states.cycles import get_cycle, plan_of
from states.insights import backtest, load_rows, tracks


def main(url: str, code: str, lead_days: int = 2) -> None:
    with Session(get_engine(url)) as session:
        cycle = get_cycle(session, code)
        plan = plan_of(cycle)
        rows = load_rows(session, cycle, texts=False)
    all_tracks = tracks(rows)
    start = cycle.launched_at.astimezone(plan.zone).date()
    last = max(t.due for t in all_tracks).astimezone(plan.zone).date()
    days = [
        datetime.combine(start + timedelta(days=d), time(8), tzinfo=plan.zone)
        for d in range((last - start).days + 1)
    ]
    result = backtest(all_tracks, days=days, plan=plan, lead=timedelta(days=lead_days))
    print(
        f"| {code} | organization-stages | missed | flagged ≥{lead_days} d early | "
        "missed and flagged early | flagged but on time | recall | precision |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {len(days)} mornings | {result['organization_stages']} | {result['missed']} | "
        f"{result['flagged_early']} | {result['missed_and_flagged_early']} | "
        f"{result['flagged_but_on_time']} | {result['recall']} | {result['precision']} |"
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:4]))

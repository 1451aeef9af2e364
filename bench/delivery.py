"""Queue N escalation mails and deliver them to a local aiosmtpd server; compare with raw
aiosmtplib sending the same messages over one reused connection. Prints a table.

    python bench/delivery.py [N]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiosmtplib

from kiemdiem.demo.smtp_server import SMTPServerProcess
from models import get_engine, init_db, load_settings, session_scope
from notifications import Mail, build_mime, deliver, message_id, queue, render

CYCLE = {
    "code": "BENCH",
    "title": "Kiểm điểm năm 2026",
    "document": "Kế hoạch số 131-KH/HU",
    "launched_by": "Huyện ủy",
}
ITEM = {
    "unit_code": "M:DV00001",
    "unit_name": "Nguyễn Văn An",
    "kind": "member",
    "org_name": "Chi bộ thôn 1",
    "stage": "vote",
    "due_local": "06/12/2026",
    "days_late": 3,
}


def _mails(n: int) -> list[Mail]:
    rendered = render(
        "digest",
        {
            "recipient_name": "Bí thư",
            "items": [ITEM] * 5,
            "cycle": CYCLE,
            "link": "http://127.0.0.1:8000",
        },
    )
    return [
        Mail(
            key=f"bench:{i}",
            kind="digest",
            recipient=f"r{i}@example.vn",
            recipient_name=f"Người nhận {i}",
            rendered=rendered,
        )
        for i in range(n)
    ]


async def _raw(mails: list[Mail], port: int) -> None:
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as smtp:
        for m in mails:
            await smtp.send_message(
                build_mime(
                    sender="kd@example.vn",
                    recipient=m.recipient,
                    recipient_name=m.recipient_name,
                    subject=m.rendered.subject,
                    text=m.rendered.text,
                    html=m.rendered.html,
                    msg_id=message_id(m.key, "kd@example.vn"),
                )
            )


def main(n: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="kiemdiem-bench-"))
    mails = _mails(n)
    now = datetime.now(UTC)
    rows = []
    # The server runs in its own process, as a real one would, so it does not share our GIL.
    with SMTPServerProcess(work / "received.txt") as server:
        os.environ.update(
            {
                "KIEMDIEM_SMTP_HOST": "127.0.0.1",
                "KIEMDIEM_SMTP_PORT": str(server.port),
                "KIEMDIEM_SMTP_FROM": "kd@example.vn",
            }
        )
        engine = get_engine(f"sqlite:///{work / 'bench.db'}")
        init_db(engine)
        start = time.perf_counter()
        with session_scope(engine) as session:
            queue(session, mails, now=now, sender="kd@example.vn")
        queued = time.perf_counter() - start
        start = time.perf_counter()
        report = deliver(engine, load_settings(), now=now)
        ours = time.perf_counter() - start
        assert report.sent == n and server.received() == n, (report, server.received())
        start = time.perf_counter()
        asyncio.run(_raw(mails, server.port))
        raw = time.perf_counter() - start
    rows.append(("queue (one transaction)", n, queued, n / queued))
    rows.append(("kiemdiem deliver (outbox)", n, ours, n / ours))
    rows.append(("raw aiosmtplib, one connection", n, raw, n / raw))
    print(f"{'what':34} {'messages':>9} {'seconds':>8} {'msg/s':>8}")
    for name, count, seconds, rate in rows:
        print(f"{name:34} {count:9d} {seconds:8.2f} {rate:8.0f}")
    print(f"deliver / raw = {raw / ours:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)

"""Small organization trees, members and plans for tests, written as the real files are."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import yaml

ORG_HEADER = ["code", "name", "level", "parent_code", "email", "secretary_email"]
MEMBER_HEADER = ["code", "full_name", "email", "organization_code", "position", "leads"]

# A province, a district launching the cycle, two grassroots organizations (G1 is a pilot),
# and three cells; C3 keeps no addresses of its own, so its mail falls back to G2.
ORGS: list[dict[str, str]] = [
    {
        "code": "P",
        "name": "Tỉnh ủy Thử",
        "level": "province",
        "parent_code": "",
        "email": "p@example.vn",
        "secretary_email": "",
    },
    {
        "code": "D",
        "name": "Huyện ủy Thử",
        "level": "district",
        "parent_code": "P",
        "email": "d@example.vn",
        "secretary_email": "bt.d@example.vn",
    },
    {
        "code": "G1",
        "name": "Đảng ủy xã Thanh Sơn",
        "level": "grassroots",
        "parent_code": "D",
        "email": "g1@example.vn",
        "secretary_email": "bt.g1@example.vn",
    },
    {
        "code": "G2",
        "name": "Đảng ủy xã Hưng Lộc",
        "level": "grassroots",
        "parent_code": "D",
        "email": "g2@example.vn",
        "secretary_email": "bt.g2@example.vn",
    },
    {
        "code": "C1",
        "name": "Chi bộ thôn 1",
        "level": "cell",
        "parent_code": "G1",
        "email": "c1@example.vn",
        "secretary_email": "bt.c1@example.vn",
    },
    {
        "code": "C2",
        "name": "Chi bộ thôn 2",
        "level": "cell",
        "parent_code": "G2",
        "email": "c2@example.vn",
        "secretary_email": "bt.c2@example.vn",
    },
    {
        "code": "C3",
        "name": "Chi bộ thôn 3",
        "level": "cell",
        "parent_code": "G2",
        "email": "",
        "secretary_email": "",
    },
]


def member(code: str, org: str, leads: str = "", name: str | None = None) -> dict[str, str]:
    return {
        "code": code,
        "full_name": name or f"Nguyễn Văn {code}",
        "email": f"{code.lower()}@example.vn",
        "organization_code": org,
        "position": "Bí thư" if leads else "Đảng viên",
        "leads": leads,
    }


MEMBERS: list[dict[str, str]] = [
    member("A1", "C1", leads="C1"),
    member("A2", "C1", leads="G1"),
    member("A3", "C1"),
    member("B1", "C2", leads="C2"),
    member("B2", "C2", leads="G2"),
    member("B3", "C2"),
    member("B4", "C2", leads="D"),
    member("E1", "C3", leads="C3"),
    member("E2", "C3"),
    member("PP", "P", leads="P"),
]

# Who gets the plan-issued mail: every member in the district's scope, and each collective's
# address (C3 keeps none, so its mail goes to G2's).
PLAN_ISSUED_TO = {
    *(f"{m['code'].lower()}@example.vn" for m in MEMBERS if m["organization_code"] != "P"),
    "d@example.vn",
    "g1@example.vn",
    "g2@example.vn",
    "c1@example.vn",
    "c2@example.vn",
}
# Reminded on 19 Nov 2026 at 08:00 Hanoi time: the pilot G1's units, two days before their
# self-review is due.
REMINDED_ON_19_NOV = {
    "a1@example.vn",
    "a2@example.vn",
    "a3@example.vn",
    "g1@example.vn",
    "c1@example.vn",
}
# Told on 22 Nov 2026 at 08:00, a day after the pilots' self-review was due, when only A3 has
# submitted: each late unit and its secretary (C1's units to bt.c1, G1's to bt.g1).
OVERDUE_ON_22_NOV = {
    "a1@example.vn",
    "a2@example.vn",
    "g1@example.vn",
    "c1@example.vn",
    "bt.c1@example.vn",
    "bt.g1@example.vn",
}

PLAN: dict[str, Any] = {
    "code": "TT-2026",
    "title": "Kiểm điểm, đánh giá, xếp loại chất lượng năm 2026",
    "document": "Kế hoạch số 131-KH/HU",
    "launched_by": "D",
    "rule_set": "qd366-2025",
    "timezone": "Asia/Ho_Chi_Minh",
    "due": {
        "self_review": "2026-12-01",
        "peer_review": "2026-12-04",
        "vote": "2026-12-06",
        "approval": "2026-12-09",
    },
    "pilots": {
        "organizations": ["G1"],
        "due": {
            "self_review": "2026-11-20",
            "peer_review": "2026-11-23",
            "vote": "2026-11-25",
            "approval": "2026-11-28",
        },
    },
    "escalation": [
        {"at": "-2d", "notify": ["unit"]},
        {"at": "1d", "notify": ["unit", "secretary"]},
        {"at": "3d", "notify": ["higher"]},
        {"at": "7d", "notify": ["standing"]},
    ],
}


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]], bom: bool = False) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_district(
    directory: Path,
    orgs: list[dict[str, str]] | None = None,
    members: list[dict[str, str]] | None = None,
) -> tuple[Path, Path]:
    return (
        write_csv(directory / "organizations.csv", ORG_HEADER, ORGS if orgs is None else orgs),
        write_csv(
            directory / "members.csv", MEMBER_HEADER, MEMBERS if members is None else members
        ),
    )


def write_plan(directory: Path, **changes: Any) -> Path:
    plan = {**PLAN, **changes}
    path = directory / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    return path

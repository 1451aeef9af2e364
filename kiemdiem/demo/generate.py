"""Generate a district's organizations.csv, members.csv and plan.yaml with Vietnamese names."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from faker import Faker

DOMAIN = "demo.kiemdiem.vn"
_PLACE_A = ["Thanh", "Hưng", "Phú", "Tân", "Đông", "Hòa", "Quỳnh", "Nghĩa", "Yên", "Minh", "Diễn"]
_PLACE_B = ["Sơn", "Lộc", "Thành", "Phong", "Xuân", "Lâm", "Hải", "An", "Bình", "Long", "Châu"]
PROVINCE, DISTRICT = "TU-DEMO", "HU-DEMO"


@dataclass(frozen=True)
class District:
    organizations_csv: Path
    members_csv: Path
    plan_yaml: Path
    cycle_code: str
    members: int
    cells: int
    grassroots: int


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def _other(rng: random.Random, codes: list[str], index: int) -> str:
    """Any code but `codes[index]`, drawn as `rng.choice` of the list without it would draw
    (the same random sequence, so a seed makes the same district), without building that
    list for every member: a province's 300,000 members × 15,000 cells was hours of copying."""
    other = rng.randrange(len(codes) - 1)
    return codes[other if other < index else other + 1]


def generate(
    out: Path,
    *,
    seed: int,
    members: int = 2000,
    grassroots: int = 20,
    cells: int = 100,
    start: date = date(2026, 11, 23),
) -> District:
    """A province office, one district, its grassroots organizations, cells and members.

    A small `members` shrinks the tree so every cell keeps at least five members (a head, the
    heads of the committees above, and people to vote).
    """
    if members < 5:
        raise ValueError(f"a district needs at least 5 members, not {members}")
    cells = max(1, min(cells, members // 5))
    grassroots = max(1, min(grassroots, cells))
    fake = Faker("vi_VN")
    fake.seed_instance(seed)
    rng = random.Random(seed)

    def place() -> str:
        return f"{rng.choice(_PLACE_A)} {rng.choice(_PLACE_B)}"

    def full_name() -> str:
        first = fake.first_name_male() if rng.random() < 0.6 else fake.first_name_female()
        return f"{fake.last_name()} {fake.middle_name()} {first}"

    town = place()
    orgs = [
        {
            "code": PROVINCE,
            "name": "Tỉnh ủy (đơn vị mẫu)",
            "level": "province",
            "parent_code": "",
            "email": f"vanphong@tu.{DOMAIN}",
            "secretary_email": "",
        },
        {
            "code": DISTRICT,
            "name": f"Huyện ủy {town}",
            "level": "district",
            "parent_code": PROVINCE,
            "email": f"bantochuc@hu.{DOMAIN}",
            "secretary_email": f"bithu@hu.{DOMAIN}",
        },
    ]
    grassroots_codes = []
    for g in range(1, grassroots + 1):
        code = f"DU-XA-{g:02d}" if g <= grassroots * 3 // 4 else f"DB-CQ-{g:02d}"
        kind = "Đảng ủy xã" if code.startswith("DU") else "Đảng bộ cơ quan"
        orgs.append(
            {
                "code": code,
                "name": f"{kind} {place()}",
                "level": "grassroots",
                "parent_code": DISTRICT,
                "email": f"{code.lower()}@{DOMAIN}",
                "secretary_email": f"bt.{code.lower()}@{DOMAIN}",
            }
        )
        grassroots_codes.append(code)
    cell_codes = []
    for c in range(1, cells + 1):
        parent = grassroots_codes[(c - 1) % grassroots]
        code = f"CB-{c:03d}"
        # Some small cells keep no address of their own: their mail goes up the tree.
        email = "" if c % 17 == 0 else f"{code.lower()}@{DOMAIN}"
        secretary = "" if c % 7 == 0 else f"bt.{code.lower()}@{DOMAIN}"
        orgs.append(
            {
                "code": code,
                "name": f"Chi bộ {rng.choice(['thôn', 'xóm', 'bản', 'khối'])} {c}",
                "level": "cell",
                "parent_code": parent,
                "email": email,
                "secretary_email": secretary,
            }
        )
        cell_codes.append(code)
    people = []
    for n in range(1, members + 1):
        index = (n - 1) % cells
        cell = cell_codes[index]
        # One member in ten works in an office cell but lives elsewhere: that residence-area
        # cell is asked for its opinion in the member's peer review.
        lives_elsewhere = cells > 1 and rng.random() < 0.1
        people.append(
            {
                "code": f"DV{n:05d}",
                "full_name": full_name(),
                "email": f"dv{n:05d}@{DOMAIN}",
                "organization_code": cell,
                "position": "Đảng viên",
                "position_group": "",
                "leads": "",
                "committees": "",
                "residence": _other(rng, cell_codes, index) if lives_elsewhere else "",
            }
        )
    by_cell: dict[str, list[dict[str, str]]] = {}
    for person in people:
        by_cell.setdefault(person["organization_code"], []).append(person)
    for code in cell_codes:
        head = by_cell[code][0]
        head.update(position="Bí thư chi bộ", position_group="bi-thu-chi-bo", leads=code)
    for g, code in enumerate(grassroots_codes):
        head = by_cell[cell_codes[g]][1]  # the first cell of grassroots g is cell g
        head.update(position="Bí thư đảng ủy", position_group="bi-thu-dang-uy", leads=code)
        # Comparable posts across the district (000_: compare people in equivalent positions).
        if len(by_cell[cell_codes[g]]) > 4:
            chair = by_cell[cell_codes[g]][4]
            if code.startswith("DU"):
                chair.update(position="Chủ tịch UBND xã", position_group="chu-tich-xa")
            else:
                chair.update(position="Thủ trưởng cơ quan", position_group="thu-truong-co-quan")
    by_cell[cell_codes[0]][2].update(position="Bí thư Huyện ủy", leads=DISTRICT)
    people.append(
        {
            "code": "TU00001",
            "full_name": full_name(),
            "email": f"bithu@tu.{DOMAIN}",
            "organization_code": PROVINCE,
            "position": "Bí thư Tỉnh ủy",
            "position_group": "",
            "leads": PROVINCE,
            "committees": "",
            "residence": "",
        }
    )
    # Who sits on each committee, as the import takes it: each cell's head on its grassroots
    # committee, each grassroots head on the district committee and its standing committee.
    for c, code in enumerate(cell_codes):
        by_cell[code][0]["committees"] = grassroots_codes[c % grassroots]
    for g in range(grassroots):
        head = by_cell[cell_codes[g]][1]
        head["committees"] = " ".join(
            s for s in (head["committees"], DISTRICT, f"{DISTRICT}:standing") if s
        )
    # The district's inspection commission: a member of the first cell, who supervises
    # remediation and may write review suggestions.
    inspector = by_cell[cell_codes[0]][3 if len(by_cell[cell_codes[0]]) > 3 else -1]
    inspector.update(position="Chủ nhiệm Ủy ban kiểm tra Huyện ủy")
    out.mkdir(parents=True, exist_ok=True)
    orgs_csv, members_csv, plan_yaml = (
        out / "organizations.csv",
        out / "members.csv",
        out / "plan.yaml",
    )
    _write(orgs_csv, ["code", "name", "level", "parent_code", "email", "secretary_email"], orgs)
    _write(
        members_csv,
        [
            "code",
            "full_name",
            "email",
            "organization_code",
            "position",
            "position_group",
            "leads",
            "committees",
            "residence",
        ],
        people,
    )
    day = start.toordinal()
    communes = [c for c in grassroots_codes if c.startswith("DU")]
    plan = {
        "code": f"DEMO-{start.year}",
        "title": f"Kiểm điểm, đánh giá, xếp loại chất lượng năm {start.year}",
        "document": "Kế hoạch số 131-KH/HU",
        "launched_by": DISTRICT,
        "higher_committee": PROVINCE,
        "rule_set": "qd366-2025",
        "timezone": "Asia/Ho_Chi_Minh",
        "due": {
            "self_review": date.fromordinal(day + 8),
            "peer_review": date.fromordinal(day + 11),
            "vote": date.fromordinal(day + 13),
            "approval": date.fromordinal(day + 16),
        },
        "pilots": {
            "organizations": [grassroots_codes[0]],
            "due": {
                "self_review": date.fromordinal(day + 3),
                "peer_review": date.fromordinal(day + 5),
                "vote": date.fromordinal(day + 7),
                "approval": date.fromordinal(day + 9),
            },
        },
        "escalation": [
            {"at": "-2d", "notify": ["unit"]},
            {"at": "1d", "notify": ["unit", "secretary"]},
            {"at": "3d", "notify": ["higher"]},
            {"at": "7d", "notify": ["standing"]},
        ],
        "quiet_hours": {"start": "21:00", "end": "06:00"},
        "directing_teams": [
            {
                "code": f"TCD-{t + 1}",
                "name": f"Tổ chỉ đạo số {t + 1}",
                "email": f"tcd{t + 1}@hu.{DOMAIN}",
                "organizations": grassroots_codes[t::4],
            }
            for t in range(min(4, grassroots))
        ],
        "inspection_commission": [inspector["code"]],
        "opinions": {
            "residence": True,
            # The district's people's committee works with the communes' leaders (001_).
            "offices": [
                {
                    "code": "UBND",
                    "name": f"Ủy ban nhân dân huyện {town}",
                    "email": f"ubnd@hu.{DOMAIN}",
                    "organizations": communes,
                }
            ]
            if communes
            else [],
        },
    }
    plan_yaml.write_text(
        yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return District(orgs_csv, members_csv, plan_yaml, plan["code"], members, cells, grassroots)  # type: ignore[arg-type]

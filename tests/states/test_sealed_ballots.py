"""A secret round that even the database cannot betray: snapshots of the whole database
(SQLite file and WAL; PostgreSQL rows with xmin/ctid and raw pages with dead row versions)
after every ballot give an attacker nothing to link a voter to a choice, while the very same
attackers read every choice of an open ballot; nothing shows a count until the round closes."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from nacl.encoding import HexEncoder
from nacl.public import PrivateKey
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from kiemdiem.cli import app
from models import (
    ActionRefused,
    Cycle,
    Level,
    SealedRound,
    Tally,
    Unit,
    load_settings,
    session_scope,
)
from models.errors import Refusal
from models.org_import import import_organizations
from states import cycle_status, vote
from states.ballot_box import BOX_SIZE, retire_ballot_key
from states.cycles import get_cycle
from states.report import cycle_report
from states.unit_view import unit_view
from states.voting import close_vote
from tests.factories import MEMBERS, ORGS, member, write_district
from tests.states.ballot_snapshots import (
    bytes_attack,
    checkpoint,
    level_strings,
    rows_attack,
    take,
)
from tests.states.helpers import CYCLE, act, launch_cycle, local, place, snapshot

LAUNCH = local("2026-11-10 08:00")
E, G, C, N = Level.EXCELLENT, Level.GOOD, Level.COMPLETED, Level.NOT_COMPLETED
# M:V1's seven voters, every level chosen by someone, cast in an order unlike their codes.
CHOICES = {"V2": E, "V3": G, "V4": C, "V5": N, "V6": G, "V7": G, "V8": G}
ORDER = ["V5", "V2", "V8", "V3", "V7", "V4", "V6"]


@pytest.fixture
def cell(district: Engine, tmp_path: Path) -> Engine:
    """The factories' district with one more cell of G2 (whose head, B2, closes its votes):
    C5, members V1 to V8."""
    c5 = {**ORGS[-1], "code": "C5", "name": "Chi bộ thôn 5", "email": "c5@example.vn"}
    voters = [member(f"V{i}", "C5") for i in range(1, 9)]
    (tmp_path / "c5").mkdir()
    orgs_csv, members_csv = write_district(tmp_path / "c5", [*ORGS, c5], [*MEMBERS, *voters])
    with session_scope(district) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    return district


def _looks(engine: Engine) -> tuple[Any, ...]:
    """What anyone may be shown: the unit (as `unit show --json`), the status, the report."""
    with Session(engine) as session:
        cycle = get_cycle(session, CYCLE)
        return (
            unit_view(session, CYCLE, "M:V1"),
            cycle_status(session=session, cycle=cycle, now=LAUNCH),
            dataclasses.asdict(cycle_report(session, CYCLE, LAUNCH)),
        )


def _boxes(engine: Engine) -> list[bytes]:
    with Session(engine) as session:
        rows = session.exec(select(SealedRound)).all()
    assert len(rows) <= 1
    blob = rows[0].boxes if rows else b""
    return [blob[i : i + BOX_SIZE] for i in range(0, len(blob), BOX_SIZE)]


@pytest.mark.parametrize("ballot", ["secret", "open"])
def test_no_sequence_of_snapshots_links_a_voter_to_a_choice(
    cell: Engine, tmp_path: Path, ballot: str
) -> None:
    launch_cycle(
        cell, tmp_path, LAUNCH, rule_set="qd366-2025" if ballot == "secret" else "qd124-2023"
    )
    place(cell, "M:V1", "vote", proposed_level=G)
    checkpoint(cell)
    snapshots, looks = [take(cell)], [_looks(cell)]
    for i, voter in enumerate(ORDER, start=1):
        act(cell, vote, ballots={"M:V1": CHOICES[voter]}, actor_code=voter, now=LAUNCH)
        snapshots.append(take(cell))
        looks.append(_looks(cell))
        if ballot == "secret":
            boxes = _boxes(cell)  # one fixed-length box per ballot, in the order of their bytes
            assert len(boxes) == i and boxes == sorted(boxes)
            assert {len(b) for b in boxes} == {BOX_SIZE}
    by_rows, by_bytes = rows_attack(snapshots, ORDER), bytes_attack(snapshots, ORDER)
    choices = {voter: level.value for voter, level in CHOICES.items()}
    if ballot == "open":
        # The control: the same attacker reads every open ballot off the rows each one wrote.
        assert by_rows == choices
        assert any(
            level_strings(after.raw) != level_strings(before.raw)
            for before, after in zip(snapshots, snapshots[1:], strict=False)
        )
        return
    assert by_rows == by_bytes == dict.fromkeys(ORDER)  # no guess, for anyone
    for before, after in zip(snapshots, snapshots[1:], strict=False):
        # No ballot adds a level's name anywhere: not a row, a WAL frame, a dead row version.
        grown = level_strings(after.raw) - level_strings(before.raw)
        assert not grown, grown
        assert not any(table == "tally" for table, _row in after.rows)
    # What anyone is shown changes by who has voted, never by how.
    first_view = looks[0][0]
    for i, (view, status, report) in enumerate(looks):
        assert (status, report) == looks[0][1:]
        assert view["vote"]["tally"] is None and view["vote"]["voted"] == i
        assert view["vote"]["roll"] == sorted(ORDER[:i])
        assert {**view, "vote": None} == {**first_view, "vote": None}
    result = act(cell, close_vote, unit_codes=["M:V1"], actor_code="B2", now=LAUNCH)
    assert result.moved == {"M:V1": ("vote", "approval")}
    won = result.outcomes["M:V1"]
    assert (won.level, won.counts[Level.GOOD], won.cast) == (Level.GOOD, 4, 7)
    with Session(cell) as session:
        tally = {Level(t.level): t.count for t in session.exec(select(Tally))}
        assert session.exec(select(SealedRound)).all() == []
    assert tally == {E: 1, G: 4, C: 1, N: 1}
    shown = _looks(cell)[0]["vote"]
    assert (shown["open"], shown["tally"]) == (
        False,
        {"excellent": 1, "good": 4, "completed": 1, "not_completed": 1},
    )


def test_counts_are_hidden_from_the_command_line_until_the_round_closes(
    cell: Engine, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", database_url)
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    launch_cycle(cell, tmp_path, LAUNCH)
    place(cell, "M:V1", "vote", proposed_level=G)
    now = ["--now", "2026-11-10T09:00:00+07:00"]
    cli = CliRunner()

    def show() -> tuple[str, dict[str, Any], dict[str, Any]]:
        text = cli.invoke(app, ["unit", "show", CYCLE, "M:V1", *now])
        shown = cli.invoke(app, ["unit", "show", CYCLE, "M:V1", "--json", *now])
        status = cli.invoke(app, ["cycle", "status", CYCLE, "--json", *now])
        for done in (text, shown, status):
            assert done.exit_code == 0, done.output
        flat = " ".join(text.output.split())  # as printed, whatever the terminal's width
        return flat, json.loads(shown.output), json.loads(status.output)

    _, _, status_before = show()
    for voter in ("V2", "V3", "V4"):
        act(cell, vote, ballots={"M:V1": G}, actor_code=voter, now=LAUNCH)
    text, shown, status = show()
    assert "3 voted; how each voted stays sealed until the secretary closes the vote" in text
    assert "vote round 1 (secret ballot): 3 voted; how" in text and "good 3" not in text
    assert shown["vote"] == {
        "round": 1,
        "ballot": "secret",
        "open": True,
        "eligible": 7,
        "voted": 3,
        "roll": ["V2", "V3", "V4"],
        "tally": None,
        "counted": [],
    }
    assert status == status_before
    for voter in ("V5", "V6"):
        act(cell, vote, ballots={"M:V1": E}, actor_code=voter, now=LAUNCH)
    act(cell, close_vote, unit_codes=["M:V1"], actor_code="B2", now=LAUNCH)
    text, shown, _ = show()
    assert (
        "vote round 1 (secret ballot): 5 voted; Excellently completed duties 2, "
        "Well completed duties 3"
    ) in text
    assert shown["vote"]["tally"] == {"excellent": 2, "good": 3}
    assert shown["vote"]["counted"] == [{"round": 1, "tally": {"excellent": 2, "good": 3}}]


def _key_file(engine: Engine) -> Path:
    with Session(engine) as session:
        cycle = session.exec(select(Cycle)).one()
    assert cycle.ballot_public_key is not None
    [found] = Path("kiemdiem-keys").glob(f"ballots-TT-2026-{cycle.ballot_public_key[:16]}.key")
    return found


@pytest.mark.usefixtures("english")
def test_a_missing_or_wrong_key_is_refused_and_changes_nothing(
    cell: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    launch_cycle(cell, tmp_path, LAUNCH)
    key = _key_file(cell)
    assert (key.stat().st_mode & 0o777, key.parent.stat().st_mode & 0o777) == (0o600, 0o700)
    place(cell, "M:V1", "vote", proposed_level=G)
    kept = key.rename(tmp_path / "kept-apart.key")  # ballots need only the public key
    for voter in ("V2", "V3", "V4", "V5"):
        act(cell, vote, ballots={"M:V1": G}, actor_code=voter, now=LAUNCH)
    before = snapshot(cell)

    def refused() -> Refusal:
        with pytest.raises(ActionRefused) as caught:
            act(cell, close_vote, unit_codes=["M:V1"], actor_code="B2", now=LAUNCH)
        assert snapshot(cell) == before
        [refusal] = caught.value.refusals
        return refusal

    missing = refused()
    assert missing == Refusal(
        "ballot_key_missing",
        fields={
            "cycle": CYCLE,
            "path": str(key.absolute()),
            "setting": "KIEMDIEM_KEYS_DIR",
            "keys_dir": "kiemdiem-keys",
        },
    )
    assert str(ActionRefused(missing)).startswith(
        f"the private ballot key of cycle TT-2026 is not at {key.absolute()}, so its secret "
        "votes cannot be counted; copy the key file kept for this cycle there, or set "
        "KIEMDIEM_KEYS_DIR to the directory that holds it"
    )
    key.write_text(PrivateKey.generate().encode(HexEncoder).decode() + "\n")  # another key
    assert refused().code == "ballot_key_wrong"
    key.write_text("not a key\n")
    assert refused().code == "ballot_key_wrong"
    kept.replace(key)
    monkeypatch.setenv("KIEMDIEM_KEYS_DIR", str(tmp_path / "elsewhere"))
    elsewhere = refused()
    assert elsewhere.code == "ballot_key_missing"
    assert str(elsewhere.fields["path"]).startswith(str(tmp_path / "elsewhere"))
    monkeypatch.delenv("KIEMDIEM_KEYS_DIR")
    result = act(cell, close_vote, unit_codes=["M:V1"], actor_code="B2", now=LAUNCH)
    won = result.outcomes["M:V1"]
    assert (won.level, won.counts[Level.GOOD], won.cast) == (Level.GOOD, 4, 4)


def test_the_key_is_not_read_for_someone_who_does_not_run_the_vote(
    cell: Engine, tmp_path: Path
) -> None:
    launch_cycle(cell, tmp_path, LAUNCH)
    place(cell, "M:V1", "vote", proposed_level=G)
    for voter in ("V2", "V3", "V4", "V5"):
        act(cell, vote, ballots={"M:V1": G}, actor_code=voter, now=LAUNCH)
    _key_file(cell).unlink()
    with pytest.raises(ActionRefused) as refused:
        act(cell, close_vote, unit_codes=["M:V1"], actor_code="V2", now=LAUNCH)
    assert [(r.code, r.fields.get("who")) for r in refused.value.refusals][0] == (
        "does_not_run_vote",
        "V2 (Nguyễn Văn V2)",
    )


def test_sealed_ballots_changed_outside_kiemdiem_are_refused(cell: Engine, tmp_path: Path) -> None:
    launch_cycle(cell, tmp_path, LAUNCH)
    place(cell, "M:V1", "vote", proposed_level=G)
    place(cell, "M:V2", "vote", proposed_level=G)
    for voter in ("V3", "V4", "V5", "V6"):
        act(cell, vote, ballots={"M:V1": E, "M:V2": C}, actor_code=voter, now=LAUNCH)
    with Session(cell) as session:
        rows = {r.unit_id: r.boxes for r in session.exec(select(SealedRound))}
    first, second = sorted(rows)
    for changed in (
        rows[second][:BOX_SIZE] + rows[first][BOX_SIZE:],  # a box of M:V2's put in M:V1's
        rows[first][BOX_SIZE:],  # a box taken out: three boxes for four voters
        rows[first][:-1],  # a box cut short
    ):
        with session_scope(cell) as session:
            row = session.get(SealedRound, (first, 1))
            assert row is not None
            row.boxes = changed
            session.add(row)
        before = snapshot(cell)
        with pytest.raises(ActionRefused) as refused:
            act(cell, close_vote, unit_codes=["M:V1", "M:V2"], actor_code="B2", now=LAUNCH)
        assert [(r.code, r.unit) for r in refused.value.refusals] == [
            ("sealed_ballots_tampered", "M:V1")
        ]
        assert snapshot(cell) == before


def test_a_launch_whose_key_cannot_be_written_is_refused_and_writes_nothing(
    cell: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("KIEMDIEM_KEYS_DIR", str(tmp_path / "a-file" / "keys"))
    with pytest.raises(ActionRefused) as refused:
        launch_cycle(cell, tmp_path, LAUNCH)
    [refusal] = refused.value.refusals
    assert refusal.code == "ballot_key_unwritable"
    assert refusal.fields["path"].startswith(str(tmp_path / "a-file" / "keys" / "ballots-TT-2026-"))
    with Session(cell) as session:
        assert session.exec(select(Cycle)).all() == []


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_ballots_cast_at_once_both_count(cell: Engine, tmp_path: Path) -> None:
    """The round's row is locked while a ballot rewrites it: a second voter waits for the
    first to commit and adds their box to the first's, instead of writing over it."""
    launch_cycle(cell, tmp_path, LAUNCH)
    place(cell, "M:V1", "vote", proposed_level=G)
    act(cell, vote, ballots={"M:V1": G}, actor_code="V2", now=LAUNCH)  # the row exists
    second: dict[str, Any] = {}
    with Session(cell) as first:
        vote(session=first, cycle_code=CYCLE, ballots={"M:V1": E}, actor_code="V3", now=LAUNCH)
        first.flush()
        other = threading.Thread(
            target=lambda: second.update(
                done=act(cell, vote, ballots={"M:V1": C}, actor_code="V4", now=LAUNCH)
            )
        )
        other.start()
        other.join(timeout=2)
        assert other.is_alive()  # waiting for the first ballot's transaction
        first.commit()
    other.join(timeout=30)
    assert "done" in second
    assert len(_boxes(cell)) == 3
    for voter in ("V5", "V6"):
        act(cell, vote, ballots={"M:V1": G}, actor_code=voter, now=LAUNCH)
    result = act(cell, close_vote, unit_codes=["M:V1"], actor_code="B2", now=LAUNCH)
    assert result.outcomes["M:V1"].counts == {E: 1, G: 3, C: 1, N: 0}


def test_the_key_is_destroyed_once_no_unit_can_be_voted_on_again(
    cell: Engine, tmp_path: Path
) -> None:
    launch_cycle(cell, tmp_path, LAUNCH)
    key = _key_file(cell)

    def retire() -> Path | None:
        with session_scope(cell) as session:
            cycle = get_cycle(session, CYCLE)
            return retire_ballot_key(session=session, cycle=cycle, settings=load_settings())

    with Session(cell) as session:
        codes = [u.code for u in session.exec(select(Unit))]
    for code in codes:
        place(cell, code, "closed")
    place(cell, "M:V1", "approval")  # it may still be returned, and voted on again
    assert retire() is None and key.exists()
    place(cell, "M:V1", "published")
    assert retire() == key and not key.exists()
    assert retire() is None  # nothing left to destroy here

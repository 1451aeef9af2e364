"""Sealed secret ballots: the cycle's ballot key, each choice sealed as it is cast, and the
round's boxes opened only when the secretary closes it.

Why it is built this way (the threat model is in the README, under the vote rules):

- The choice never reaches the database in the clear, not even as a statement parameter:
  it is sealed in Python with the cycle's public key (a libsodium sealed box: an ephemeral
  key per box, so two boxes of the same choice share no byte). The private key is a file in
  `Settings.keys_dir`, written once at launch and read only by `open_round`.
- Every box has the same length: the plaintext (unit id, round, level) is padded to
  `PLAINTEXT_SIZE`, so neither a box nor the growth of a row tells "good" from "excellent".
- A round's boxes are one row (`SealedRound`), rewritten whole by each ballot with the boxes
  sorted by their bytes. There is no row per ballot, so no id, rowid, ctid or insertion order
  that could follow the roll, and no time; the position of a box is a function of random bytes.
- The unit id and round inside each box let the count refuse a box copied from another
  unit or round, and the count of boxes must equal the roll's: a database edited by hand is
  refused at close, not counted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nacl.encoding import HexEncoder
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from sqlalchemy import delete, func, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from models.cycle import Cycle, Level, SealedRound, Tally, Unit, VoterRoll
from models.errors import ActionRefused, Refusal
from models.settings import Settings
from states.machine import UnitState

PLAINTEXT_SIZE = 32
# A sealed box: the sender's ephemeral X25519 public key, the 16-byte MAC, then the text.
BOX_SIZE = PublicKey.SIZE + 16 + PLAINTEXT_SIZE
KEYS_SETTING = "KIEMDIEM_KEYS_DIR"


def key_file(settings: Settings, cycle_code: str, public_key: str) -> Path:
    """Where the cycle's private ballot key lives: named by the cycle and its public key, so a
    key of another launch (or another database) is never taken for this one."""
    slug = "".join(c if c.isalnum() else "-" for c in cycle_code).strip("-")
    return Path(settings.keys_dir) / f"ballots-{slug}-{public_key[:16]}.key"


def create_ballot_key(*, settings: Settings, cycle_code: str) -> str:
    """Make the cycle's key pair: the private key to a new 0600 file in the keys directory
    (made 0700), the public key (hex) returned for the cycle row."""
    private = PrivateKey.generate()
    public = private.public_key.encode(HexEncoder).decode()
    path = key_file(settings, cycle_code, public)
    try:
        if not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(
                f"# kiemdiem: the private ballot key of cycle {cycle_code} (public {public}).\n"
                "# Without it the cycle's secret votes cannot be counted. Back it up apart\n"
                "# from the database; whoever holds both can read ballots cast between backups.\n"
                f"{private.encode(HexEncoder).decode()}\n"
            )
    except OSError as exc:
        raise ActionRefused(
            Refusal(
                "ballot_key_unwritable",
                fields={
                    "cycle": cycle_code,
                    "path": str(path.absolute()),
                    "error": exc.strerror or str(exc),
                    "setting": KEYS_SETTING,
                },
            )
        ) from exc
    return public


def ballot_key(*, settings: Settings, cycle: Cycle) -> PrivateKey:
    """The cycle's private ballot key from its file; refused (saying which file and which
    setting) when it is missing, unreadable or not the key the cycle was launched with."""
    public = cycle.ballot_public_key
    if public is None:
        raise ActionRefused(Refusal("cycle_has_no_ballot_key", fields={"cycle": cycle.code}))
    path = key_file(settings, cycle.code, public)
    fields: dict[str, Any] = {
        "cycle": cycle.code,
        "path": str(path.absolute()),
        "setting": KEYS_SETTING,
        "keys_dir": settings.keys_dir,
    }
    try:
        lines = path.read_text("ascii").splitlines()
    except FileNotFoundError:
        raise ActionRefused(Refusal("ballot_key_missing", fields=fields)) from None
    except (OSError, UnicodeError) as exc:
        error = getattr(exc, "strerror", None) or str(exc)
        raise ActionRefused(
            Refusal("ballot_key_unreadable", fields={**fields, "error": error})
        ) from exc
    secret = next((line.strip() for line in lines if line.strip() and line[0] != "#"), "")
    try:
        private = PrivateKey(secret.encode(), encoder=HexEncoder)
    except (ValueError, TypeError, CryptoError):
        raise ActionRefused(Refusal("ballot_key_wrong", fields=fields)) from None
    if private.public_key.encode(HexEncoder).decode() != public:
        raise ActionRefused(Refusal("ballot_key_wrong", fields=fields))
    return private


# Once every unit of a cycle is in one of these, none can be voted on again (a return for
# re-review, and with it a new round, is only possible from approval).
VOTES_OVER = (UnitState.PUBLISHED, UnitState.REMEDIATION, UnitState.CLOSED)


def retire_ballot_key(*, session: Session, cycle: Cycle, settings: Settings) -> Path | None:
    """Delete this machine's copy of the cycle's private key once no unit of the cycle can be
    voted on again: from then on no copy of the database taken during its votes can be opened
    with a key found here. Returns the file deleted, if any. Copies kept elsewhere (the
    office's backup) are the office's to destroy."""
    if cycle.ballot_public_key is None:
        return None
    path = key_file(settings, cycle.code, cycle.ballot_public_key)
    if not path.exists():
        return None
    voting = session.exec(
        select(func.count()).where(
            Unit.cycle_id == cycle.id, col(Unit.state).not_in([s.value for s in VOTES_OVER])
        )
    ).one()
    if voting:
        return None
    path.unlink(missing_ok=True)
    return path


def seal(public_key: str, unit_id: int, round_: int, level: Level) -> bytes:
    """One choice as a fixed-length sealed box that only the cycle's private key opens."""
    plain = f"{unit_id}:{round_}:{level.value}".encode().ljust(PLAINTEXT_SIZE, b"\0")
    if len(plain) != PLAINTEXT_SIZE:  # ids beyond 10 digits: never silently a longer box
        raise ValueError(f"unit {unit_id} round {round_}: the ballot does not fit its box")
    box = SealedBox(PublicKey(public_key.encode(), encoder=HexEncoder)).encrypt(plain)
    assert len(box) == BOX_SIZE
    return bytes(box)


def split(boxes: bytes) -> list[bytes]:
    return [boxes[i : i + BOX_SIZE] for i in range(0, len(boxes), BOX_SIZE)]


def drop_in(
    session: Session, units: Sequence[Unit], chosen: Mapping[str, Level], public_key: str
) -> None:
    """Add one sealed box to each unit's current round, keeping each round's boxes sorted.

    The round's row is created empty if need be, then locked (FOR UPDATE on PostgreSQL, in
    unit order, so two voters' papers never wait on each other in a circle; SQLite has one
    writer at a time and this transaction already holds it) and rewritten whole.
    """
    sealed = {u.id: seal(public_key, u.id, u.vote_round, chosen[u.code]) for u in units if u.id}
    rounds = {u.id: u.vote_round for u in units}
    dialect = session.get_bind().dialect.name
    create: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SealedRound)
    session.execute(
        create.on_conflict_do_nothing(index_elements=["unit_id", "round"]),
        [{"unit_id": i, "round": r, "boxes": b""} for i, r in sorted(rounds.items())],
    )
    # Read and rewritten as plain rows, not ORM objects: a voter's paper names a few units, the
    # demo's people cast 27,000 ballots, and loading, tracking and flushing an object per box
    # was half of what a ballot cost. No SealedRound object is ever loaded (`open_round` reads
    # plain rows too), so none in the session can be out of date.
    rows = session.execute(
        select(col(SealedRound.unit_id), col(SealedRound.round), col(SealedRound.boxes))
        .where(col(SealedRound.unit_id).in_(list(sealed)))
        .order_by(col(SealedRound.unit_id), col(SealedRound.round))
        .with_for_update()
    ).all()
    rewritten = [
        {"unit_id": unit_id, "round": round_, "boxes": b"".join(sorted([*split(boxes), box]))}
        for unit_id, round_, boxes in rows
        if rounds.get(unit_id) == round_ and (box := sealed.get(unit_id)) is not None
    ]
    if rewritten:  # ORM bulk UPDATE by primary key: one executemany, in unit order
        session.execute(update(SealedRound), rewritten)


def _tampered(unit: Unit, boxes: int, voted: int) -> Refusal:
    return Refusal(
        "sealed_ballots_tampered",
        unit=unit.code,
        fields={"round": unit.vote_round, "boxes": boxes, "voted": voted},
    )


def open_round(
    session: Session,
    *,
    settings: Settings,
    cycle: Cycle,
    units: Sequence[Unit],
    levels: Sequence[Level],
) -> dict[int, dict[Level, int]]:
    """Open and count the boxes of each unit's current round (units with no ballot are left
    out). The key is read only if some unit has a ballot; nothing is written."""
    ids = [u.id for u in units if u.id is not None]
    assert len(ids) == len(units)  # units come from the database
    rows = {
        (unit_id, round_): boxes
        for unit_id, round_, boxes in session.execute(
            select(col(SealedRound.unit_id), col(SealedRound.round), col(SealedRound.boxes)).where(
                col(SealedRound.unit_id).in_(ids)
            )
        )
    }
    voted = dict(
        session.exec(
            select(VoterRoll.unit_id, func.count())
            .join(Unit, col(Unit.id) == col(VoterRoll.unit_id))
            .where(col(VoterRoll.unit_id).in_(ids), col(VoterRoll.round) == col(Unit.vote_round))
            .group_by(col(VoterRoll.unit_id))
        ).all()
    )
    if not any(
        rows.get((i, u.vote_round)) or voted.get(i) for i, u in zip(ids, units, strict=True)
    ):
        return {}
    opener = SealedBox(ballot_key(settings=settings, cycle=cycle))
    counts: dict[int, dict[Level, int]] = {}
    problems = []
    for unit in units:
        assert unit.id is not None
        blob = rows.get((unit.id, unit.vote_round), b"")
        boxes, cast = split(blob), voted.get(unit.id, 0)
        if not blob and not cast:
            continue
        if len(blob) % BOX_SIZE or len(boxes) != cast:
            problems.append(_tampered(unit, len(blob) // BOX_SIZE, cast))
            continue
        found = dict.fromkeys(levels, 0)
        prefix = f"{unit.id}:{unit.vote_round}:"
        for box in boxes:
            try:
                plain = opener.decrypt(box).rstrip(b"\0").decode()
            except (CryptoError, UnicodeError):
                plain = ""
            level = plain.removeprefix(prefix) if plain.startswith(prefix) else ""
            if level not in found:  # another unit's or round's box, or not a level at all
                problems.append(_tampered(unit, len(boxes), cast))
                break
            found[Level(level)] += 1
        else:
            counts[unit.id] = found
    if problems:
        raise ActionRefused(*problems)
    return counts


def record_tally(session: Session, counted: Mapping[int, tuple[int, Mapping[Level, int]]]) -> None:
    """Store the tally of each counted round (unit id → (round, counts), every level of a
    round in one statement) and drop its boxes: from now on only the counts remain."""
    if not counted:
        return
    session.execute(
        insert(Tally),
        [
            {"unit_id": unit_id, "round": round_, "level": level, "count": n}
            for unit_id, (round_, counts) in sorted(counted.items())
            for level, n in counts.items()
        ],
    )
    for unit_id, (round_, _counts) in counted.items():
        session.execute(
            delete(SealedRound).where(
                col(SealedRound.unit_id) == unit_id, col(SealedRound.round) == round_
            )
        )


__all__ = [
    "BOX_SIZE",
    "ballot_key",
    "create_ballot_key",
    "drop_in",
    "key_file",
    "open_round",
    "record_tally",
    "retire_ballot_key",
    "seal",
]

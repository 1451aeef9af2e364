"""The one gettext catalog: extract the messages from the code, update, compile, check.

    python -m vocabulary.catalog update   # extract, fold vocabulary/pending/*.po, merge, compile
    python -m vocabulary.catalog compile  # .po -> .mo (the build does this too: setup.py)
    python -m vocabulary.catalog check    # fails on a missing Vietnamese or a stale catalog

Messages are English msgids; `locale/vi/.../kiemdiem.po` holds the Vietnamese for each, and
`locale/en/...` lists every msgid with an empty msgstr (English is the msgid itself). Where
the messages are is in `babel.cfg` at the root of the checkout. A branch that cannot edit the
catalog writes `vocabulary/pending/<branch>.po`; `update` folds those in and deletes them.

The .po files are written sorted by msgid without line numbers, so two branches that add
different messages touch different lines; the .mo files are built, never committed.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from vocabulary import DOMAIN, LANGUAGES, LOCALE_DIR

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
PENDING_DIR = PACKAGE_DIR / "pending"
MAPPING = ROOT / "babel.cfg"
# Packages that hold no product text.
NOT_SCANNED = frozenset({"tests", "bench", "build"})
# Fixed header dates: a header that changed on every update would conflict on every merge.
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_HEADER = {
    "vi": "# The Vietnamese of kiemdiem: write each msgstr here.\n"
    "# `python -m vocabulary.catalog update` adds what the code marks and folds pending files.",
    "en": "# The English of kiemdiem: the msgids are the English, so every msgstr stays empty.\n"
    "# Written by `python -m vocabulary.catalog update`.",
}
_PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}|%\((\w+)\)[sd]")


def po_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return po_path(lang, locale_dir).with_suffix(".mo")


def _source_packages(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and (p / "__init__.py").is_file() and p.name not in NOT_SCANNED
    )


def extract(root: Path = ROOT) -> Catalog:
    """Every message the code and templates under `root` mark, as a template catalog."""
    with MAPPING.open() as f:
        method_map, options_map = parse_mapping_cfg(f, str(MAPPING))  # type: ignore[no-untyped-call]
    template = Catalog(
        project="kiemdiem", domain=DOMAIN, creation_date=_EPOCH, revision_date=_EPOCH
    )
    for package in _source_packages(root):
        for filename, _line, message, comments, context in extract_from_dir(
            package, method_map, options_map, comment_tags=("TRANSLATORS:",)
        ):
            # No line numbers: a line moved in the code should not change the catalog.
            location = (f"{package.name}/{filename}", None)
            template.add(
                message,
                None,
                [location],  # type: ignore[list-item]
                auto_comments=comments,
                context=context,
            )
    return template


def read(lang: str, path: Path | None = None) -> Catalog:
    path = path or po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain=DOMAIN, project="kiemdiem", fuzzy=False)
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def write(catalog: Catalog, path: Path) -> None:
    catalog.fuzzy = False
    catalog.creation_date = catalog.revision_date = _EPOCH
    catalog.last_translator = "kiemdiem"
    catalog.language_team = "kiemdiem"
    catalog.header_comment = _HEADER[catalog.locale_identifier or "vi"]
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, sort_output=True, include_lineno=False, width=0)
    path.write_bytes(buffer.getvalue())


def pending_files(pending_dir: Path = PENDING_DIR) -> list[Path]:
    return sorted(pending_dir.glob("*.po"))


def fold_pending(catalog: Catalog, pending_dir: Path = PENDING_DIR) -> list[Path]:
    """Put every translated message of vocabulary/pending/*.po into `catalog` (vi)."""
    folded = pending_files(pending_dir)
    for path in folded:
        for message in read(catalog.locale_identifier or "vi", path):
            if not message.id or not _translated(message):
                continue
            known = catalog.get(message.id, message.context)
            if known is not None:
                known.string = message.string
            else:
                catalog.add(message.id, message.string, context=message.context)
    return folded


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    return all(strings) and not message.fuzzy


def _merge(catalog: Catalog, template: Catalog) -> None:
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    # A message that left the code and came back (or was folded from a pending file before
    # its code arrived) keeps the translation it had.
    for message in catalog:
        if message.id and not _translated(message):
            old = catalog.obsolete.pop(catalog._key_for(message.id, message.context), None)
            if old is not None and old.string:
                message.string = old.string


def update(
    root: Path = ROOT, locale_dir: Path = LOCALE_DIR, pending_dir: Path = PENDING_DIR
) -> list[Path]:
    """Extract, fold the pending files into vi, merge both languages, compile; returns the
    pending files folded (deleted)."""
    template = extract(root)
    vi = read("vi", po_path("vi", locale_dir))
    folded = fold_pending(vi, pending_dir)
    for lang, catalog in (("vi", vi), ("en", read("en", po_path("en", locale_dir)))):
        _merge(catalog, template)
        write(catalog, po_path(lang, locale_dir))
    for path in folded:
        path.unlink()
    compile_catalogs(locale_dir)
    return folded


def compiled(lang: str, locale_dir: Path = LOCALE_DIR) -> bytes:
    """The .mo bytes of a language's .po."""
    buffer = io.BytesIO()
    write_mo(buffer, read(lang, po_path(lang, locale_dir)), use_fuzzy=False)
    return buffer.getvalue()


def compile_catalogs(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    written = []
    for lang in LANGUAGES:
        if po_path(lang, locale_dir).exists():
            mo_path(lang, locale_dir).write_bytes(compiled(lang, locale_dir))
            written.append(mo_path(lang, locale_dir))
    return written


def _placeholders(text: str | None) -> set[str]:
    return {a or b for a, b in _PLACEHOLDER.findall(text or "")}


def problems(
    root: Path = ROOT, locale_dir: Path = LOCALE_DIR, pending_dir: Path = PENDING_DIR
) -> Iterator[str]:
    """Every reason the catalog is not ready: stale against the code, untranslated, pending."""
    for path in pending_files(pending_dir):
        yield f"{path.name}: pending messages not folded into the catalog"
    template = extract(root)
    wanted = {(m.id, m.context) for m in template if m.id}
    for lang in LANGUAGES:
        catalog = read(lang, po_path(lang, locale_dir))
        have = {(m.id, m.context) for m in catalog if m.id}
        name = f"{lang}/{DOMAIN}.po"
        for msgid, _context in sorted(wanted - have, key=str):
            yield f"{name}: stale, lacks {msgid!r} (marked in the code)"
        for msgid, _context in sorted(have - wanted, key=str):
            yield f"{name}: stale, has {msgid!r} (no longer in the code)"
        if lang != "vi":
            continue
        for message in catalog:
            if not message.id or (message.id, message.context) not in wanted:
                continue
            if not _translated(message):
                yield f"{name}: no Vietnamese for {message.id!r}"
                continue
            ids = message.id if isinstance(message.id, tuple | list) else [message.id]
            strings = (
                message.string if isinstance(message.string, tuple | list) else [message.string]
            )
            expected = set().union(*(_placeholders(i) for i in ids))
            for string in strings:
                if _placeholders(string) != expected:
                    yield (
                        f"{name}: the Vietnamese for {message.id!r} has placeholders "
                        f"{sorted(_placeholders(string))}, the msgid {sorted(expected)}"
                    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else ""
    if command == "update":
        for path in update():
            print(f"folded and deleted {path.relative_to(ROOT)}")
        found = list(problems())
        for problem in found:
            print(problem)
        print(f"catalog updated; {len(found)} message(s) still need Vietnamese")
        return 0
    if command == "compile":
        for path in compile_catalogs():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    if command == "check":
        found = list(problems())
        for problem in found:
            print(problem, file=sys.stderr)
        if found:
            print(
                f"{len(found)} problem(s): run `python -m vocabulary.catalog update`, then "
                f"write the Vietnamese in {po_path('vi').relative_to(ROOT)}",
                file=sys.stderr,
            )
            return 1
        print("catalog complete and current")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

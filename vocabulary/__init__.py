"""One vocabulary for the whole product: the CLI, refusals, mail, pages and the workbook.

Messages are English msgids in the source, translated through one gettext catalog
(`locale/<lang>/LC_MESSAGES/kiemdiem.po`, managed with Babel). Vietnamese is the default.
The language is per context: `KIEMDIEM_LANG` for a command, the person's choice for a page
(`use_language` around the request), so one process can serve both languages at once.

This package imports nothing of the project's, so every layer may use it.
"""

from __future__ import annotations

import gettext
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
DOMAIN = "kiemdiem"
LOCALE_DIR = Path(__file__).parent / "locale"

_language: ContextVar[str | None] = ContextVar("kiemdiem_language", default=None)


def current_language() -> str:
    """The language of this context: set by `use_language`, else KIEMDIEM_LANG, else vi."""
    chosen = _language.get() or os.environ.get("KIEMDIEM_LANG") or DEFAULT_LANGUAGE
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


@contextmanager
def use_language(lang: str) -> Iterator[None]:
    token = _language.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _language.reset(token)


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of `lang`. A checkout whose .po is newer than its .mo (after a
    pull or a merge) compiles it here, so the words are never older than the catalog."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return gettext.GNUTranslations(f)
    if not po.exists():
        return gettext.NullTranslations()
    from vocabulary.catalog import compiled

    data = compiled(lang)
    try:
        mo.write_bytes(data)
    except OSError:  # an installed package may be read-only; the words are in memory anyway
        pass
    return gettext.GNUTranslations(io.BytesIO(data))


def _(message: str) -> str:
    """`message` (an English msgid) in the current language."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for the catalog without translating it yet (module-level tables)."""
    return message


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "N_",
    "_",
    "current_language",
    "ngettext",
    "translations",
    "use_language",
]

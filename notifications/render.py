"""Pure rendering: a template name and a context in, subject and text and HTML parts out.

One template per kind of mail (`templates/<kind>.j2`); its sentences are English msgids
translated through `jinja2.ext.i18n` from the one catalog, in the recipient's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import escape

from vocabulary import _, names, ngettext, use_language

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("vi", "en")
# Every mail kind is one template file; `_`-prefixed files are shared parts.
KINDS = tuple(sorted(p.stem for p in TEMPLATE_DIR.glob("[!_]*.j2")))


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Autoescape is on for every template; the text and subject blocks turn it off themselves.
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Looked up at render time: `render` sets the recipient's language around it. New-style
    # gettext escapes the values it fills into a sentence wherever autoescape is on (HTML).
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: _(message), lambda s, p, n: ngettext(s, p, n), newstyle=True
    )
    # Level, stage and kind names from the one vocabulary (the workbook and the CLI use it too).
    env.globals["names"] = names
    return env


def render(kind: str, context: dict[str, Any], *, lang: str = "vi") -> Rendered:
    """Render the subject, text and HTML blocks of `{kind}.j2` in `lang`."""
    raw = _render_raw(kind, context, lang)
    return _finish(raw.subject, raw.text, raw.html)


def _render_raw(kind: str, context: dict[str, Any], lang: str) -> Rendered:
    """The three blocks as the template wrote them, before whitespace is tidied."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    with use_language(lang):
        template = _environment().get_template(f"{kind}.j2")
        ctx = template.new_context(dict(context))

        def block(name: str) -> str:
            return "".join(template.blocks[name](ctx))

        return Rendered(subject=block("subject"), text=block("text"), html=block("html"))


def _finish(subject: str, text: str, html: str) -> Rendered:
    return Rendered(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html)


@dataclass(frozen=True)
class Slot:
    """A value a template only prints (no test, filter or loop touches it): `render_many`
    renders a mail's template once per shape and writes slots' values in afterwards."""

    value: str


# A slot's mark: private-use characters, which no escaping, casing or whitespace rule changes.
_MARK = re.compile("\ue000(\\d+)\ue001")
_MARKS: list[str] = []


def _mark(i: int) -> str:
    while len(_MARKS) <= i:
        _MARKS.append(f"\ue000{len(_MARKS)}\ue001")
    return _MARKS[i]


class _SharedDict(dict[str, Any]):
    """A shaped dict many contexts share: its repr (a part of each shape's key) is a token
    standing for its contents, written once instead of in every mail's key."""

    __slots__ = ("token", "source")
    token: str
    source: Any  # the context's own dict, held so that its id is not reused meanwhile

    def __repr__(self) -> str:
        return self.token


class _SharedList(list[Any]):
    """`_SharedDict` for a list (the deadline list every unit's item holds)."""

    __slots__ = ("token", "source")
    token: str
    source: Any

    def __repr__(self) -> str:
        return self.token


def _shared(shaped: Any, value: Any, seen: dict[int, Any]) -> Any:
    """`shaped`, the shape of `value` (with no slot in it), as a `_Shared*` of it whose repr is
    a token naming it among the parts shaped so far, or None if its text holds a mark's
    character (then it is not shared: each key shows it, and counts it, in full)."""
    if "\\ue000" in repr(shaped):
        return None
    made: _SharedDict | _SharedList
    made = _SharedDict(shaped) if type(shaped) is dict else _SharedList(shaped)
    made.token = f"<shared {len(seen)}>"
    # Held while `seen` is: contexts rendered one by one (`render_iter`) may be dropped, and
    # a new list could be given a dropped one's id.
    made.source = value
    return made


def _shape(value: Any, slots: list[str], seen: dict[int, Any]) -> Any:
    """The context with each Slot replaced by its numbered mark, its value put in `slots`.

    `seen`: a list or dict with no Slot in it (the deadline list many units share) is shaped
    once (`_shared`, which holds it, so its id stays its own). A dict's strings, slots and
    shared parts are shaped in line, not by a call each: a province's launch shapes
    hundreds of thousands of contexts.
    """
    kind = type(value)
    if kind is str:
        return value
    if kind is dict or kind is list or kind is tuple:
        known = seen.get(id(value))
        if known is not None:
            return known
        before = len(slots)
        shaped: Any
        if kind is dict:
            shaped = {}
            for k, v in value.items():
                t = type(v)
                if t is str:
                    shaped[k] = v
                elif t is Slot:
                    slots.append(v.value)
                    shaped[k] = _mark(len(slots) - 1)
                elif (known := seen.get(id(v))) is not None:
                    shaped[k] = known
                else:
                    shaped[k] = _shape(v, slots, seen)
        else:
            shaped = [_shape(v, slots, seen) for v in value]
        if len(slots) == before:
            shared = _shared(shaped, value, seen)
            if shared is not None:
                shaped = seen[id(value)] = shared
        return shaped
    if isinstance(value, Slot):
        slots.append(value.value)
        return _mark(len(slots) - 1)
    if isinstance(value, dict):  # a subclass: no id cache for the copy
        return {k: _shape(v, slots, seen) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shape(v, slots, seen) for v in value]
    return value


def _unslot(value: Any) -> Any:
    if isinstance(value, Slot):
        return value.value
    if isinstance(value, dict):
        return {k: _unslot(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_unslot(v) for v in value]
    return value


def _pieces(part: str) -> list[str | int]:
    """A rendered part split at its marks: its text, and each mark's slot number."""
    split = _MARK.split(part)
    return [p if i % 2 == 0 else int(p) for i, p in enumerate(split)]


# What markupsafe's escape changes: a value with none of these is written as it is (escaping
# tens of thousands of names one by one was half of filling a launch's mail).
_HTML_SPECIAL = re.compile("[&<>'\"]")


def _html(value: str) -> str:
    return str(escape(value)) if _HTML_SPECIAL.search(value) else value


def _filled(pieces: list[str | int], values: list[str]) -> str:
    return "".join([p if type(p) is str else values[p] for p in pieces])  # type: ignore[index]


def render_many(
    kind: str, contexts: Sequence[dict[str, Any]], *, lang: str = "vi"
) -> list[Rendered]:
    """`render` of each context, with the template run once per distinct shape: the context
    with its `Slot`s taken out. Slots' values go in as `render` would print them (escaped in
    the HTML part, as they are in the subject and text)."""
    return list(render_iter(kind, contexts, lang=lang))


def render_iter(
    kind: str, contexts: Iterable[dict[str, Any]], *, lang: str = "vi"
) -> Iterator[Rendered]:
    """`render_many` one mail at a time, each context read when its mail is asked for: a
    province's launch renders 300,000 mails, too many to hold all at once."""
    shapes: dict[str, tuple[list[str | int], list[str | int], list[str | int]]] = {}
    seen: dict[int, Any] = {}
    for context in contexts:
        slots: list[str] = []
        shaped = _shape(context, slots, seen)
        key = repr(shaped)  # contexts made alike list their keys alike
        # repr writes a mark's first character as the escape \ue000; more of them than slots
        # means some value holds one of its own (or that text): that mail is rendered alone.
        if key.count("\\ue000") != len(slots):
            yield render(kind, _unslot(context), lang=lang)
            continue
        made = shapes.get(key)
        if made is None:
            raw = _render_raw(kind, shaped, lang)
            made = shapes[key] = (_pieces(raw.subject), _pieces(raw.text), _pieces(raw.html))
        subject, text, html = made
        escaped = [_html(value) for value in slots]
        yield _finish(_filled(subject, slots), _filled(text, slots), _filled(html, escaped))

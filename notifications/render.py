"""Pure rendering: a template name and a context in, subject and text and HTML parts out.

One template per kind of mail (`templates/<kind>.j2`); its sentences are English msgids
translated through `jinja2.ext.i18n` from the one catalog, in the recipient's language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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


def _shape(value: Any, slots: list[str], seen: dict[int, Any]) -> Any:
    """The context with each Slot replaced by its numbered mark, its value put in `slots`.

    `seen`: a list or dict with no Slot in it (the deadline list many units share) is shaped
    once; the contexts being rendered keep it alive meanwhile, so its id stays its own.
    """
    kind = type(value)
    if kind is str:
        return value
    if kind is dict or kind is list or kind is tuple:
        known = seen.get(id(value))
        if known is not None:
            return known
        before = len(slots)
        if kind is dict:
            shaped: Any = {k: _shape(v, slots, seen) for k, v in value.items()}
        else:
            shaped = [_shape(v, slots, seen) for v in value]
        if len(slots) == before:
            seen[id(value)] = shaped
        return shaped
    if isinstance(value, Slot):
        slots.append(value.value)
        return f"\ue000{len(slots) - 1}\ue001"
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


def render_many(
    kind: str, contexts: Sequence[dict[str, Any]], *, lang: str = "vi"
) -> list[Rendered]:
    """`render` of each context, with the template run once per distinct shape: the context
    with its `Slot`s taken out. Slots' values go in as `render` would print them (escaped in
    the HTML part, as they are in the subject and text)."""
    shapes: dict[str, Rendered] = {}
    seen: dict[int, Any] = {}
    out = []
    for context in contexts:
        slots: list[str] = []
        shaped = _shape(context, slots, seen)
        key = repr(shaped)  # contexts made alike list their keys alike
        # repr writes a mark's first character as the escape \ue000; more of them than slots
        # means some value holds one of its own (or that text): that mail is rendered alone.
        if key.count("\\ue000") != len(slots):
            out.append(render(kind, _unslot(context), lang=lang))
            continue
        made = shapes.get(key)
        if made is None:
            made = shapes[key] = _render_raw(kind, shaped, lang)

        def fill(part: str, html: bool, slots: list[str] = slots) -> str:
            def one(match: re.Match[str]) -> str:
                value = slots[int(match.group(1))]
                return str(escape(value)) if html else value

            return _MARK.sub(one, part)

        out.append(
            _finish(fill(made.subject, False), fill(made.text, False), fill(made.html, True))
        )
    return out

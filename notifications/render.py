"""Pure rendering: a template name and a context in, subject and text and HTML parts out.

One template per kind of mail (`templates/<kind>.j2`); its sentences are English msgids
translated through `jinja2.ext.i18n` from the one catalog, in the recipient's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

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
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    with use_language(lang):
        template = _environment().get_template(f"{kind}.j2")
        ctx = template.new_context(dict(context))

        def block(name: str) -> str:
            return "".join(template.blocks[name](ctx))

        subject = " ".join(block("subject").split())
        return Rendered(subject=subject, text=block("text").strip() + "\n", html=block("html"))

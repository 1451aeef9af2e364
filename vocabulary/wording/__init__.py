"""The sentence for every refusal code, gathered from one module per area of the product.

Each module here defines `WORDS: dict[str, str]` (code -> English msgid marked with `N_`,
with `{field}` placeholders filled from `Refusal.fields`). One module per area keeps
parallel work from editing one table; a code defined twice is a bug, caught at import.
"""

from __future__ import annotations

import importlib
import pkgutil


def _gather() -> dict[str, str]:
    words: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for code, sentence in module.WORDS.items():
            if code in words:
                raise RuntimeError(f"refusal code {code!r} is worded twice ({info.name})")
            words[code] = sentence
    return words


WORDS: dict[str, str] = _gather()

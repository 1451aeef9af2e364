"""How a validation error names the key it is about, in the files people write."""

from __future__ import annotations

from collections.abc import Sequence


def key_path(loc: Sequence[int | str]) -> str:
    """('escalation', 0, 'at') → 'escalation[0].at'; the whole document → '(top)'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"

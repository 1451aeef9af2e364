"""The one catalog: complete and current on the tree, and `check` catches what it must."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vocabulary import catalog

HELLO = "hello {name}"


def _tree(tmp_path: Path, *, code: str, vi: dict[str, str]) -> tuple[Path, Path, Path]:
    """A checkout of one package marking `code`'s messages, with a vi catalog of `vi`."""
    root, locale, pending = tmp_path / "src", tmp_path / "locale", tmp_path / "pending"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text(code)
    pending.mkdir()
    for lang, words in (("vi", vi), ("en", {k: "" for k in vi})):
        cat = catalog.read(lang, catalog.po_path(lang, locale))
        for msgid, msgstr in words.items():
            cat.add(msgid, msgstr)
        catalog.write(cat, catalog.po_path(lang, locale))
    return root, locale, pending


def test_the_catalog_is_complete_and_current_on_the_tree() -> None:
    assert list(catalog.problems()) == []


def test_check_as_a_command_passes_on_the_tree() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vocabulary.catalog", "check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_a_message_without_vietnamese_fails(tmp_path: Path) -> None:
    code = f'from vocabulary import _, N_\nA = _("ready")\nB = N_("{HELLO}")\n'
    root, locale, pending = _tree(tmp_path, code=code, vi={"ready": "sẵn sàng", HELLO: ""})
    found = list(catalog.problems(root, locale, pending))
    assert found == [f"vi/kiemdiem.po: no Vietnamese for {HELLO!r}"]


def test_a_catalog_stale_against_the_code_fails(tmp_path: Path) -> None:
    code = 'from vocabulary import _\nA = _("ready")\nB = _("new words")\n'
    root, locale, pending = _tree(tmp_path, code=code, vi={"ready": "sẵn sàng", "gone": "đi"})
    found = set(catalog.problems(root, locale, pending))
    assert "vi/kiemdiem.po: stale, lacks 'new words' (marked in the code)" in found
    assert "en/kiemdiem.po: stale, has 'gone' (no longer in the code)" in found


def test_a_translation_that_drops_a_placeholder_fails(tmp_path: Path) -> None:
    code = f'from vocabulary import _\nA = _("{HELLO}")\n'
    root, locale, pending = _tree(tmp_path, code=code, vi={HELLO: "xin chào {ten}"})
    [problem] = catalog.problems(root, locale, pending)
    assert "placeholders ['ten'], the msgid ['name']" in problem


def test_update_folds_pending_files_then_deletes_them(tmp_path: Path) -> None:
    code = f'from vocabulary import _\nA = _("ready")\nB = _("{HELLO}")\n'
    root, locale, pending = _tree(tmp_path, code=code, vi={"ready": "sẵn sàng"})
    (pending / "web.po").write_text(
        f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'msgid "{HELLO}"\nmsgstr "xin chào {{name}}"\n\n'
        # Code not merged yet: kept (obsolete) until it arrives, then revived.
        'msgid "later"\nmsgstr "để sau"\n',
        encoding="utf-8",
    )
    assert list(catalog.problems(root, locale, pending))  # pending and stale
    assert catalog.update(root, locale, pending) == [pending / "web.po"]
    assert list(pending.iterdir()) == []
    assert list(catalog.problems(root, locale, pending)) == []
    vi = catalog.read("vi", catalog.po_path("vi", locale))
    assert vi[HELLO].string == "xin chào {name}"
    assert catalog.mo_path("vi", locale).exists()

    (root / "pkg" / "__init__.py").write_text(code + 'C = _("later")\n')
    catalog.update(root, locale, pending)
    assert catalog.read("vi", catalog.po_path("vi", locale))["later"].string == "để sau"


@pytest.mark.parametrize(("lang", "words"), [("vi", "phiếu của từng người"), ("en", "how each")])
def test_the_compiled_catalog_speaks_each_language(lang: str, words: str) -> None:
    from vocabulary import _, use_language

    with use_language(lang):
        said = _("how each voted stays sealed until the secretary closes the vote")
    assert said.startswith(words)

"""A plain (non-editable) install carries every module, template and rule set: an editable
install reads the checkout and would hide a file the wheel leaves out."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

# Builds a wheel, runs the simulated people or a Prefect server: not for the minute loop.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flows", "states", "notifications", "models", "kiemdiem", "vocabulary", "web")


def test_the_wheel_holds_every_source_file(tmp_path: Path) -> None:
    # Build from a clean copy: setuptools reuses a checkout's build/ folder, whose stale files
    # would hide a file the package configuration leaves out.
    source = tmp_path / "src"
    ignored = (".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", "*.db*")
    # Nor the checkout's compiled catalogs: the build must compile its own.
    ignored += ("*.mo",)
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*ignored))
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(source)]
    subprocess.run([*command, "-w", str(tmp_path)], check=True, capture_output=True)
    [wheel] = tmp_path.glob("kiemdiem-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    wanted = {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file() and path.suffix in (".py", ".j2", ".yaml", ".html", ".css", ".js")
    }
    assert wanted - shipped == set()
    assert any(name.endswith("templates/digest.j2") for name in shipped)
    for lang in ("vi", "en"):
        assert f"vocabulary/locale/{lang}/LC_MESSAGES/kiemdiem.mo" in shipped
        assert f"vocabulary/locale/{lang}/LC_MESSAGES/kiemdiem.po" in shipped

"""Compile the gettext catalogs while building, so the wheel carries the .mo files.

Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogs(build_py):
    def run(self) -> None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from vocabulary.catalog import compile_catalogs

        compile_catalogs()
        super().run()


setup(cmdclass={"build_py": BuildPyWithCatalogs})

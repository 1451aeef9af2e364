"""Packages whose public names are imported on first use (PEP 562), so a command loads only
the modules it needs (`kiemdiem cycle status` is not slowed by every stage of the process).

`lazy_package(__name__, {"name": "package.module", ...})` at the end of a package's
`__init__`; its names stay visible to mypy through `if TYPE_CHECKING:` imports there.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


class _LazyPackage(types.ModuleType):
    _where: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        where = self.__dict__["_where"]
        if name not in where:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where[name]), name)
        self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing a submodule sets it as the package's attribute. Where the submodule has a
        # function of its own name (`states.launch.launch`), the package's name stays the
        # function, as it was when the package imported everything at once.
        where = self.__dict__.get("_where", {})
        if isinstance(value, types.ModuleType) and where.get(name) == f"{self.__name__}.{name}":
            return
        super().__setattr__(name, value)


def lazy_package(name: str, where: dict[str, str]) -> None:
    """Make the package `name` import each of `where`'s names from its module on first use."""
    module = sys.modules[name]
    module.__dict__["_where"] = where
    module.__class__ = _LazyPackage

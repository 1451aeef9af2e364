"""Read a plan file as plain data, refusing what a plan never needs and an attacker would use.

No aliases or anchors (a "billion laughs" plan expands a few lines into gigabytes), no
document larger than `MAX_BYTES`, no key written twice (YAML keeps the last one silently, so a
corrected date below a forgotten one would win or lose by position), no date that is not a
date (the YAML library raises a bare ValueError for 2026-02-30), no undecodable bytes.
Every problem is `plan.yaml: key: what is wrong`, or `plan.yaml:line: …` where only the line
is known.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from models.errors import PlanInvalid
from vocabulary import _

MAX_BYTES = 256 * 1024


class _PlanLoader(yaml.SafeLoader):
    """A safe loader that refuses aliases and keeps impossible dates as text."""

    def __init__(self, stream: str, source: str) -> None:
        super().__init__(stream)
        self.source = source

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise PlanInvalid(
                [
                    _(
                        "{source}:{line}: a YAML alias (*{name}) is not allowed in a plan; "
                        "write the value out in full"
                    ).format(source=self.source, line=event.start_mark.line + 1, name=event.anchor)
                ]
            )
        return super().compose_node(parent, index)


def _duplicates(node: Node, path: str, source: str, problems: list[str]) -> None:
    """Record each key written twice in a mapping, with its whole path (due.vote)."""
    if isinstance(node, MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(getattr(key_node, "value", "?"))
            line = key_node.start_mark.line + 1
            where = f"{path}.{key}" if path else key
            if key in seen:
                problems.append(
                    _("{source}: {key}: written twice (lines {first} and {line}); keep one").format(
                        source=source, key=where, first=seen[key], line=line
                    )
                )
            seen.setdefault(key, line)
            _duplicates(value_node, where, source, problems)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            _duplicates(item, f"{path}[{i}]", source, problems)


def control_characters(data: Any, source: str, path: str = "") -> list[str]:
    """A problem for each string of the plan (keys and values, wherever they are) holding a
    control character other than a line break or tab: stored with the cycle, it would break
    the database (PostgreSQL refuses NUL), mail headers and workbook cells."""
    problems: list[str] = []
    if isinstance(data, str):
        for ch in data:
            if ch not in "\n\t" and (unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029"):
                problems.append(
                    _(
                        "{source}: {key}: holds the control character U+{code:04X}; remove it"
                    ).format(source=source, key=path or "(the document)", code=ord(ch))
                )
                break
    elif isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            problems += control_characters(key, source, where) if isinstance(key, str) else []
            problems += control_characters(value, source, where)
    elif isinstance(data, list):
        for i, item in enumerate(data):
            problems += control_characters(item, source, f"{path}[{i}]")
    return problems


def _timestamp(loader: _PlanLoader, node: Node) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except ValueError:  # 2026-02-30: keep the text, the plan's validation names the key
        return loader.construct_scalar(node)  # type: ignore[arg-type]


_PlanLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def read_plan_data(path: Path) -> Any:
    """The plan file's data; PlanInvalid if the file cannot be a plan."""
    if path.is_dir():
        raise PlanInvalid([_("{path}: is a directory, not a plan file").format(path=path)])
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise PlanInvalid([_("{path}: no such file").format(path=path)]) from None
    except OSError as exc:
        raise PlanInvalid(
            [_("{path}: cannot be read ({error})").format(path=path, error=exc.strerror or exc)]
        ) from None
    if len(raw) > MAX_BYTES:
        raise PlanInvalid(
            [
                _("{source}: larger than {limit} KiB; a plan is a page or two of YAML").format(
                    source=path.name, limit=MAX_BYTES // 1024
                )
            ]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlanInvalid(
            [
                _("{source}: not UTF-8 (byte {byte}); save the file as UTF-8").format(
                    source=path.name, byte=exc.start
                )
            ]
        ) from None
    loader = _PlanLoader(text, path.name)
    problems: list[str] = []
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _duplicates(node, "", path.name, problems)
        if problems:
            raise PlanInvalid(problems)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise PlanInvalid(
            [_("{source}: not valid YAML: {error}").format(source=path.name, error=exc)]
        ) from None
    except RecursionError:
        raise PlanInvalid(
            [_("{source}: nested too deeply to be a plan").format(source=path.name)]
        ) from None
    finally:
        loader.dispose()

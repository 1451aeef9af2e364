"""The command line's help in the person's language.

Every help text in `kiemdiem/cli` is an English msgid marked `N_`; the click objects typer
builds (`typer.main.get_command`, once per run and per test invocation) translate theirs as
they are made, so the words follow `KIEMDIEM_LANG` (or `use_language`) at that moment. The
words typer and click add themselves (panel titles, the help option, "Usage:") are
translated here too, and click's usage errors are worded again (`_usage`). Nothing heavier
than typer is imported: `kiemdiem --help` must be quick.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer
from typer import rich_utils
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandFunctionType

from kiemdiem.cli._usage import worded_usage
from vocabulary import N_, _

if TYPE_CHECKING:  # typer carries its own click; the one installed beside it is not loaded
    from typer._click.core import Context, Parameter
    from typer._click.formatting import HelpFormatter
    from typer.core import TyperOption as Option

# typer's and click's own words, as they write them.
_TYPER_WORDS = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try '{command_path} {help_option}' for help."),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEPRECATED_STRING": N_("(deprecated) "),
}
_HELP_OPTION = N_("Show this message and exit.")
_USAGE = N_("Usage: ")
_OPTIONS = N_("[OPTIONS]")
_SUBCOMMANDS = N_("COMMAND [ARGS]...")
# typer's completion options on the root command.
N_("Install completion for the current shell.")
N_("Show completion for the current shell, to copy it or customize the installation.")


# The kinds of value typer shows beside each parameter (`<str>`), as people read them; a flag
# (`<bool>`) shows none: it takes no value.
_TYPES = {
    "str": N_("text"),
    "int": N_("whole number"),
    "float": N_("number"),
    "int range": N_("whole number"),
    "float range": N_("number"),
    "Path": N_("path"),
    "path": N_("path"),
    "file": N_("file"),
    "list[str]": N_("texts"),
    "list[int]": N_("whole numbers"),
}


def _shown_type(label: str | None) -> str | None:
    if label is None or label in ("<bool>", "<bool>..."):
        return None
    inner, dots = (label[1:-4], "...") if label.endswith(">...") else (label[1:-1], "")
    if label.startswith("<") and inner in _TYPES:
        return f"<{_(_TYPES[inner])}>{dots}"
    return label  # a choice (open|in_progress) or a date format: shown as typed


def _translate_params(params: list[Parameter]) -> None:
    for param in params:
        text = getattr(param, "help", None)
        if text:
            param.help = _(text)  # type: ignore[attr-defined]
        if getattr(param, "param_type_name", None) == "argument" and param.metavar:
            param.metavar = _(param.metavar)  # an argument's name in usage, help and errors
        shown = getattr(param, "display_type_rich", None)
        if shown is not None:
            param.display_type_rich = (  # type: ignore[attr-defined]
                lambda ctx, _shown=shown: _shown_type(_shown(ctx=ctx))
            )


def _translate(kwargs: dict[str, Any]) -> None:
    if kwargs.get("options_metavar", _OPTIONS) == _OPTIONS:
        kwargs["options_metavar"] = _(_OPTIONS)
    for key in ("help", "short_help", "epilog"):
        if kwargs.get(key):
            kwargs[key] = _(kwargs[key])
    _translate_params(kwargs.get("params") or [])


class _Words:
    """What a translated command does beyond its help: click's usage, help option and usage
    errors (worded again as they leave the command that raised them, `_usage`)."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Context | None = None, **extra: Any
    ) -> Context:
        with worded_usage():
            return super().make_context(info_name, args, parent, **extra)  # type: ignore[misc,no-any-return]

    def invoke(self, ctx: Context) -> Any:
        with worded_usage():
            return super().invoke(ctx)  # type: ignore[misc]

    def get_help_option(self, ctx: Context) -> Option | None:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = _(_HELP_OPTION)
            option.display_type_rich = lambda ctx: None
        return option  # type: ignore[no-any-return]

    def format_usage(self, ctx: Context, formatter: HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=_(_USAGE))


class Command(_Words, TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _translate(kwargs)
        super().__init__(*args, **kwargs)


# Commands in the order of the process, wherever typer registered them.
PROCESS_ORDER = (
    "init", "org", "cycle", "unit", "remediation", "report", "serve",
    "import", "list", "show", "launch", "tick", "status", "insights", "close",
    "form", "suggest", "submit", "comment", "opinion", "vote", "close-vote",
    "approve", "return", "results",
    "assign", "progress", "supervise",
    "demo", "backup", "restore", "diagram",
)  # fmt: skip


class Group(_Words, TyperGroup):
    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Any, list[str]]:
        with worded_usage():
            return super().resolve_command(ctx, args)

    def list_commands(self, ctx: Context) -> list[str]:
        def place(name: str) -> int:
            return PROCESS_ORDER.index(name) if name in PROCESS_ORDER else len(PROCESS_ORDER)

        return sorted(super().list_commands(ctx), key=place)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _translate(kwargs)
        if kwargs.get("subcommand_metavar") is None:
            kwargs["subcommand_metavar"] = _(_SUBCOMMANDS)
        for name, msgid in _TYPER_WORDS.items():
            setattr(rich_utils, name, _(msgid))
        super().__init__(*args, **kwargs)


class App(typer.Typer):
    """A Typer whose groups and commands speak the current language."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", Group)
        kwargs.setdefault("no_args_is_help", True)
        super().__init__(**kwargs)

    def command(
        self, name: str | None = None, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        kwargs.setdefault("cls", Command)
        return super().command(name, **kwargs)


__all__ = ["App", "Command", "Group"]

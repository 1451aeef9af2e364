"""Click's usage errors (a missing argument, an unknown option, a bad value) in the person's
language.

typer carries its own click, whose messages are English f-strings (no gettext call to give a
catalog to), so they cannot be translated as click writes them. Instead each error is worded
again here from what it carries (the parameter, the option typed, the value and pydantic's
error type), as it leaves the command that raised it (`worded_usage`, used by
`kiemdiem/cli/_words.py`); typer then prints the new words in its usual panel.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from typer._click import exceptions as click_errors

from vocabulary import N_, _, ngettext

if TYPE_CHECKING:
    from typer._click.core import Parameter

KIND = {"argument": N_("argument"), "option": N_("option"), "parameter": N_("parameter")}

# What pydantic (typer converts values with it) says is wrong with a value, by error type.
VALUE_PROBLEMS = {
    "int_parsing": N_("{value} is not a whole number"),
    "int_from_float": N_("{value} is not a whole number"),
    "float_parsing": N_("{value} is not a number"),
    "bool_parsing": N_("{value} is neither true nor false"),
    "greater_than_equal": N_("{value} is less than {limit}, the smallest allowed"),
    "greater_than": N_("{value} must be greater than {limit}"),
    "less_than_equal": N_("{value} is more than {limit}, the largest allowed"),
    "less_than": N_("{value} must be less than {limit}"),
}
LIMITS = ("ge", "gt", "le", "lt")

# click's words for a path, a few extra arguments and a command that does not exist.
_PATH = re.compile(
    r"^(?:File|Directory|Path) '(?P<path>.*)' "
    r"(?P<problem>does not exist|is a file|is a directory|is not readable|is not writable)\.$",
    re.IGNORECASE,
)
PATH_PROBLEMS = {
    "does not exist": N_("{path} does not exist"),
    "is a file": N_("{path} is a file, not a directory"),
    "is a directory": N_("{path} is a directory, not a file"),
    "is not readable": N_("{path} cannot be read"),
    "is not writable": N_("{path} cannot be written"),
}
_EXTRA = re.compile(r"^Got unexpected extra argument\(s\) \((?P<args>.*)\)$")
_COMMAND = re.compile(r"^No such command '(?P<name>.*?)'(?:\. Did you mean (?P<like>.*)\?)?\.?$")
_REQUIRES = re.compile(r"^Option '.*' requires (?:an argument|(?P<n>\d+) arguments)\.$")


class Worded(click_errors.UsageError):
    """A usage error already in the person's words: passed on as it is."""

    def __init__(self, message: str, ctx: Any, exit_code: int) -> None:
        super().__init__(message, ctx)
        self.exit_code = exit_code


def _hint(param: Parameter | None, given: Any) -> str:
    """The parameter as typed on the command line: its option names, else its argument name."""
    if given is not None:
        return given if isinstance(given, str) else " / ".join(map(str, given))
    if param is None:
        return ""
    if getattr(param, "param_type_name", None) == "argument":
        return str(getattr(param, "display_name_raw", param.name))  # its metavar, translated
    opts = getattr(param, "opts", None)
    return " / ".join(opts) if opts else str(param.name)


def _choices(param: Parameter | None) -> list[str]:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or not descriptor.is_choice or descriptor.choices is None:
        return []
    return [str(getattr(c, "value", c)) for c in descriptor.choices]


def _value_problem(exc: click_errors.BadParameter) -> str:
    """Why the value was refused, from pydantic's error (typer converts values with it)."""
    cause = exc.__cause__
    errors = cause.errors() if cause is not None and hasattr(cause, "errors") else []
    if errors:
        error = errors[0]
        value = repr(error.get("input"))
        context = error.get("ctx") or {}
        if error["type"] in VALUE_PROBLEMS:
            limit = next((context[k] for k in LIMITS if k in context), "")
            return _(VALUE_PROBLEMS[error["type"]]).format(value=value, limit=limit)
        choices = _choices(exc.param)
        if choices:
            return _("{value} is not one of {choices}").format(
                value=value, choices=", ".join(choices)
            )
        return _("{value} cannot be used here").format(value=value)
    path = _PATH.match(exc.message)
    if path:
        return _(PATH_PROBLEMS[path["problem"]]).format(path=repr(path["path"]))
    return exc.message  # raised by kiemdiem itself, already in the person's language


def word(exc: click_errors.UsageError) -> str:
    """The error's message in the current language."""
    if isinstance(exc, click_errors.MissingParameter):
        kind = str(exc.param_type or getattr(exc.param, "param_type_name", "parameter"))
        said = _("Missing {kind} {name}.").format(
            kind=_(KIND.get(kind, KIND["parameter"])), name=_hint(exc.param, exc.param_hint)
        )
        choices = _choices(exc.param)
        if choices:
            said += " " + _("Choose from: {choices}.").format(choices=", ".join(choices))
        return said
    if isinstance(exc, click_errors.BadParameter):
        name = _hint(exc.param, exc.param_hint)
        problem = _value_problem(exc).rstrip(".")
        if not name:
            return _("Invalid value: {problem}.").format(problem=problem)
        return _("Invalid value for {name}: {problem}.").format(name=name, problem=problem)
    if isinstance(exc, click_errors.NoSuchOption):
        said = _("No such option: {name}.").format(name=exc.option_name)
        if exc.possibilities:
            said += " " + _("Did you mean {options}?").format(
                options=", ".join(sorted(exc.possibilities))
            )
        return said
    if isinstance(exc, click_errors.BadOptionUsage):
        requires = _REQUIRES.match(exc.message)
        if requires:
            n = int(requires["n"] or 1)
            return ngettext(
                "Option {name} needs a value.", "Option {name} needs {n} values.", n
            ).format(name=exc.option_name, n=n)
        return _("Option {name} takes no value.").format(name=exc.option_name)
    extra = _EXTRA.match(exc.message)
    if extra:
        return _("Unexpected extra arguments: {args}.").format(args=extra["args"])
    command = _COMMAND.match(exc.message)
    if command:
        said = _("No such command: {name}.").format(name=command["name"])
        if command["like"]:
            said += " " + _("Did you mean {options}?").format(options=command["like"])
        return said
    if exc.message == "Missing command.":
        return _("Missing command.")
    return exc.message


@contextmanager
def worded_usage() -> Iterator[None]:
    """Re-raise click's usage errors in the person's words (help shown for no arguments and
    an error worded already pass as they are)."""
    try:
        yield
    except (Worded, click_errors.NoArgsIsHelpError):
        raise
    except click_errors.UsageError as exc:
        raise Worded(word(exc), exc.ctx, exc.exit_code) from exc


__all__ = ["Worded", "word", "worded_usage"]

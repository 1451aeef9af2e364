"""Progress for long commands: a rich bar per step, on the terminal the output goes to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from kiemdiem.cli._common import console


class Steps:
    """Named steps of one command, advanced as each one finishes."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.task = progress.add_task("", total=total)

    def step(self, description: str) -> None:
        """Start the next step (the one before it is done)."""
        task = self.progress.tasks[0]
        if task.description:
            self.progress.advance(self.task)
        self.progress.update(self.task, description=description)

    def done(self) -> None:
        self.progress.update(self.task, completed=self.progress.tasks[0].total)


@contextmanager
def steps(total: int) -> Iterator[Steps]:
    """A bar of `total` steps that disappears when the command prints its answer."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        bar = Steps(progress, total)
        yield bar
        bar.done()

"""What every command shares: output (JSON or an 80-column table), options, errors."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mtorsim.errors import MtorsimError
from mtorsim.knowledge import base as kb_base

F = TypeVar("F", bound=Callable[..., Any])

#: table width when the output is not a terminal (and the terminal's is unknown)
DEFAULT_WIDTH = 80


def console() -> Console:
    """A console no wider than the terminal; 80 columns (or $COLUMNS) when piped."""
    if sys.stdout.isatty():
        return Console(highlight=False)
    width = int(os.environ.get("COLUMNS", DEFAULT_WIDTH) or DEFAULT_WIDTH)
    return Console(width=width, highlight=False)


def echo_json(payload: Any) -> None:
    """One JSON document on stdout (valid JSON: non-finite numbers are null)."""
    from mtorsim.trials.results import finite_or_none

    text = json.dumps(finite_or_none(payload), indent=2, ensure_ascii=False, default=str)
    click.echo(text)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=escape(title), show_lines=False, title_justify="left", pad_edge=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*("" if v is None else escape(str(v)) for v in r))
    console().print(table)


def echo_wrapped(text: str) -> None:
    """A sentence, wrapped to the table width (continuation lines indented)."""
    import textwrap

    click.echo(textwrap.fill(text, width=console().width, subsequent_indent="  "))


def print_pair(title: str, table: tuple[list[str], list[list[str]]]) -> None:
    print_table(title, table[0], table[1])


def load_kb(data_dir: str | None) -> kb_base.KnowledgeBase:
    return kb_base.load_knowledge_base(data_dir)


def data_dir_option(fn: F) -> F:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False),
        default=None,
        help="Knowledge-base folder to use instead of the built-in one.",
    )(fn)


def plot_option(help_text: str) -> Callable[[F], F]:
    """``--plot FILE``: where a command writes its figure (PNG), as ``plot_path``."""
    return click.option(
        "--plot", "plot_path", type=click.Path(dir_okay=False), default=None, help=help_text
    )


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")(fn)


class DomainType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2
    """An option's number checked against its declared domain
    (:mod:`mtorsim.knowledge.domains`): the error names the option, the value, the allowed
    range and the fix."""

    def __init__(self, name: str) -> None:
        from mtorsim.knowledge.domains import domain

        self.domain = domain(name)
        self.name = "integer" if self.domain.integer else "float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number: float = value
        else:
            try:
                number = float(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not a number; give {self.domain.describe()}", param, ctx)
        if not self.domain.contains(number):
            fix = self.domain.fix or "give a value in that range"
            self.fail(f"{value!r}: allowed {self.domain.describe()}; {fix}", param, ctx)
        return int(number) if self.domain.integer else float(number)


def domain_type(name: str) -> DomainType:
    """The click type of an option guarded by the declared domain ``name``."""
    return DomainType(name)


@contextlib.contextmanager
def progress_bar(description: str, as_json: bool) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (done/total, elapsed and remaining time) while the block
    runs; yields ``update(done, total)``.  Off with --json or when stderr is not a
    terminal, where the description is printed once instead."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    show = not as_json and sys.stderr.isatty()
    if not as_json and not show:
        click.echo(f"{description} ...", err=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        "remaining",
        TimeRemainingColumn(),
        disable=not show,
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def command_line() -> str:
    """The command line that is running, as a shell would take it back."""
    import shlex

    args = sys.argv[1:]
    return " ".join(["mtorsim", *(shlex.quote(a) for a in args)])


def say(as_json: bool) -> Callable[[str], None]:
    """Progress messages on stderr (none with --json)."""
    return (lambda _m: None) if as_json else (lambda m: click.echo(m, err=True))


def save_plot(ax: Any, plot_path: str | Path) -> Path:
    """Write a figure as PNG (atomically) and close it."""
    import matplotlib

    matplotlib.use("Agg")
    from mtorsim.fileio import save_figure

    return save_figure(ax, plot_path)


class MtorsimGroup(click.Group):
    """Turns MtorsimError into a one-line message and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MtorsimError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        import warnings

        from mtorsim.knowledge.domains import SuspectInputWarning

        shown = warnings.showwarning

        def show(message: Any, category: Any, *rest: Any, **kw: Any) -> None:
            if issubclass(category, SuspectInputWarning):
                import textwrap

                text = textwrap.fill(
                    f"warning: {message}", width=console().width, subsequent_indent="  "
                )
                click.echo(text, err=True)
            else:
                shown(message, category, *rest, **kw)

        warnings.showwarning = show
        try:
            return super().main(*args, **kwargs)
        finally:
            warnings.showwarning = shown


__all__ = [
    "DomainType",
    "MtorsimGroup",
    "command_line",
    "console",
    "data_dir_option",
    "domain_type",
    "echo_json",
    "echo_wrapped",
    "json_option",
    "load_kb",
    "print_pair",
    "print_table",
    "progress_bar",
    "save_plot",
    "say",
]

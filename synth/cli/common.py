"""Plumbing shared by the ``synth`` commands: consoles, option types, progress display,
JSON output, and the mapping of errors to the exit codes documented in :mod:`synth.errors`."""

from __future__ import annotations

import logging
import math
import os
import signal
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from synth.errors import StewardError

err = Console(stderr=True)
out = Console()
DEBUG = {"on": False}


def existing(what: str) -> Callable[[Path | None], Path | None]:
    """A parameter callback: a path that does not exist is refused while the command
    line is parsed, before any heavy module (torch, presidio, pandas) is imported, with the
    message the readers give (``PATH: file not found``) and exit code 2."""

    def check(value: Path | None) -> Path | None:
        if value is not None and not Path(value).exists():
            err.print(f"[red]error:[/red] {value}: {what} not found", highlight=False)
            raise typer.Exit(2)
        return value

    return check


def row_count(text: str) -> int:
    """``--rows`` as typed: a whole number, also in scientific notation (``1e6``) or with
    ``_`` separators; a fraction, ``inf`` or text is a usage error (exit 2). Its size is
    judged later (positive, and fits in memory)."""
    if isinstance(text, int):  # a default or a Python caller
        return text
    raw = str(text).strip().replace("_", "")
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        value = float(raw)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a whole number of rows") from None
    if not math.isfinite(value) or value != int(value):
        raise typer.BadParameter(f"{text!r} is not a whole number of rows")
    return int(value)


DataArg = Annotated[
    Path,
    typer.Argument(
        help="Input table: .csv, .tsv, .parquet or a folder of .parquet files, or a CSV/TSV "
        "compressed as .gz, .bz2, .xz or a one-file .zip (decompressed to a private "
        "temporary file, removed at the end).",
        callback=existing("file"),
    ),
]
ModelArg = Annotated[
    Path, typer.Argument(help="Model file from `synth fit`.", callback=existing("model file"))
]
SchemaOpt = Annotated[
    Path, typer.Option("--schema", help="Reviewed schema (YAML).", callback=existing("schema file"))
]
JsonOpt = Annotated[
    Path | None, typer.Option("--json", help="Also write machine-readable JSON here.")
]
ClusterOpt = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        help="Run the passes over the rows on Dask: 'local' starts a local cluster of 2 "
        "workers, tcp://HOST:PORT joins a running scheduler (workers must see the input "
        "files; a compressed input's copy is in TMPDIR). Default: in this process. The same "
        "mechanisms run either way.",
    ),
]
#: test-only: seeds every draw that touches real rows, so the run is NOT private (hidden
#: from --help; the model, ledger, report and JSON say "NOT PRIVATE")
InsecureSeedOpt = Annotated[
    int | None,
    typer.Option(
        "--insecure-seed",
        hidden=True,
        help="TEST ONLY: seed the draws that touch real rows. The result is NOT private.",
    ),
]


def privacy_line(privacy: dict[str, Any], randomness: dict[str, Any]) -> str:
    """One line on the privacy unit and, when seeded for a test, that nothing is private."""
    line = (
        f"privacy unit: {privacy.get('unit_words')}; "
        f"neighbours: {privacy.get('neighbouring', 'add/remove one')}"
    )
    if randomness and not randomness.get("private", True):
        line += " — [red]NOT PRIVATE: fit seeded with --insecure-seed (tests only)[/red]"
    return line


def empty_columns_line(columns: list[str]) -> str:
    """The CLI's warning for columns that come out empty (their DP domain was not found)."""
    from synth.private_domains import empty_columns_sentence

    return f"[yellow]utility:[/yellow] {empty_columns_sentence(columns)}"


def blank_shares_line(shares: dict[str, float]) -> str:
    """The CLI's warning for columns that come out partly blank."""
    from synth.private_domains import blank_shares_sentence

    return f"[yellow]utility:[/yellow] {blank_shares_sentence(shares)}"


def command_line(ctx: typer.Context) -> list[str]:
    """The running command as typed: ``synth``, the command, then each argument and each
    option given on the command line (hidden ones too), from the parsed parameters, so it
    is the same in a process and in tests. Paths and options only: the commands take no
    data value as an option."""
    argv = ["synth", str(ctx.info_name)]
    for param in ctx.command.params:
        name = param.name or ""
        source = ctx.get_parameter_source(name)
        if source is None or source.name != "COMMANDLINE":
            continue
        value = ctx.params.get(name)
        values = list(value) if isinstance(value, list | tuple) else [value]
        if param.param_type_name == "argument":
            argv += [str(v) for v in values]
        elif getattr(param, "is_flag", False):
            argv.append(param.opts[0] if value else (param.secondary_opts or param.opts)[0])
        else:
            for v in values:
                argv += [param.opts[0], str(v)]
    return argv


def quiet_libraries() -> None:
    warnings.filterwarnings("ignore")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in ("presidio-analyzer", "presidio-anonymizer", "opacus", "faker", "sdv", "rdt"):
        logging.getLogger(name).setLevel(logging.ERROR)


@contextmanager
def progress_display() -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress display (stderr); yields the callback the stages call."""
    enabled = err.is_terminal or os.environ.get("SYNTH_PROGRESS") == "1"
    if not enabled:

        def plain(what: str, done: int, total: int) -> None:
            check_interrupted()
            if done == total:
                err.print(f"[dim]✓ {what}[/dim]", highlight=False)

        yield plain
        return
    with Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(what: str, done: int, total: int) -> None:
            check_interrupted()
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total)
            bar.update(tasks[what], completed=done, total=total)

        yield update


def write_json(path: Path | None, payload: dict[str, Any]) -> None:
    if path is None:
        return
    from synth.io.atomic import atomic_write_text
    from synth.releasing import _dump

    atomic_write_text(path, _dump(payload))


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, so that it unwinds (and cleans up) as Ctrl-C."""


#: exit code after SIGTERM (128 + 15, the shell's convention)
TERMINATED_EXIT = 143

#: the interrupt a signal raised while the command runs, until the command ends: Python
#: raises a signal's exception wherever the main thread is, and inside a finalizer
#: (``__del__``, e.g. the ``regex`` module's, run by the garbage collector) it is printed
#: as "Exception ignored" and lost; the command went on and released (Ctrl-C after the
#: domain stage, 4 runs in 40). :func:`check_interrupted` raises it again at the next
#: progress report.
_PENDING: dict[str, type[KeyboardInterrupt] | None] = {"exc": None}


def _interrupted(signum: int, frame: object) -> None:
    exc = Terminated if signum == signal.SIGTERM else KeyboardInterrupt
    if signum == signal.SIGTERM:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut clean-up
    _PENDING["exc"] = exc
    raise exc


def check_interrupted() -> None:
    """Raise the interrupt a signal raised earlier, in case it was swallowed on the way
    (once: a command that is already unwinding from it is not interrupted again)."""
    exc, _PENDING["exc"] = _PENDING["exc"], None
    if exc is not None:
        raise exc


@contextmanager
def _signals_as_interrupt() -> Iterator[None]:
    """While a command runs, SIGTERM unwinds it like Ctrl-C (a staging folder is removed)
    instead of ending the process on the spot, and either signal is remembered until the
    command ends (:data:`_PENDING`); the previous handlers are back afterwards."""
    _PENDING["exc"] = None
    try:
        previous = {s: signal.signal(s, _interrupted) for s in (signal.SIGTERM, signal.SIGINT)}
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _PENDING["exc"] = None


def run(fn: Callable[[], int | None]) -> None:
    """Run a command body; map errors to documented exit codes without echoing data."""
    from synth.io.compressed import cleanup

    quiet_libraries()
    try:
        with _signals_as_interrupt():
            try:
                code = fn() or 0
            finally:  # a compressed input's private copy goes, however the command ends
                cleanup()
    except StewardError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except Terminated:
        err.print("[yellow]interrupted[/yellow] (SIGTERM): nothing was written", highlight=False)
        raise typer.Exit(TERMINATED_EXIT) from None
    except KeyboardInterrupt:
        err.print("[yellow]interrupted:[/yellow] nothing was written", highlight=False)
        raise typer.Exit(130) from None
    except typer.Exit:
        raise
    except Exception as exc:  # a bug: never print its message, it may hold a data value
        tb = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in tb if "/synth/" in f.filename or "/privacy/" in f.filename]
        where = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else ""
        err.print(
            f"[red]internal error:[/red] {type(exc).__name__}{where}. The message is withheld "
            "because it may contain data; rerun with --debug to see it.",
            highlight=False,
        )
        if DEBUG["on"]:
            traceback.print_exc()
        raise typer.Exit(1) from None
    raise typer.Exit(code)

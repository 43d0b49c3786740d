"""The ``synth`` command line. Exit codes are documented in :mod:`synth.errors`.

One module per concept: :mod:`.common` (consoles, option types, progress, JSON, exit
codes), :mod:`.scan`, :mod:`.model` (fit, sample), :mod:`.leakage` (check, report),
:mod:`.release`, :mod:`.linked` (release-linked), :mod:`.strip`, :mod:`.verify`. Heavy
imports stay inside the command bodies, so bad input is answered fast.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from synth.cli import common, drift, leakage, linked, model, release, scan, strip, verify

#: the exit codes of :mod:`synth.errors`, in ``synth --help`` (one paragraph each: rich
#: help joins single lines)
EXIT_CODES = """Exit codes:

0 success (check/release: the leakage gate passed)

1 internal error (a bug: please report it)

2 bad input: missing, unreadable, empty or malformed file or schema; table too large

3 the leakage gate blocked the release

4 privacy budget impossible: epsilon/delta out of range, too few rows

5 output cannot be written: not writable, already holds a release, another release is
writing it

130 interrupted (Ctrl-C): nothing half-written is left behind

143 terminated (SIGTERM): cleaned up as after Ctrl-C"""


def _no_flag_value(params: list[Any]) -> list[Any]:
    """Boolean flags (``--overwrite``, ``--help``) shown without a ``<bool>`` value in
    help: they take none (typer ≥ 0.2x prints every option's type)."""
    for p in params:
        if getattr(p, "is_flag", False) and p.metavar is None:
            p.metavar = ""
    return params


class _FlagsWithoutValue(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _no_flag_value(super().get_params(ctx))


class _GroupFlagsWithoutValue(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _no_flag_value(super().get_params(ctx))


app = typer.Typer(
    cls=_GroupFlagsWithoutValue,
    add_completion=False,
    no_args_is_help=True,
    help="steward-synth: PII scan, end-to-end DP synthesis, leakage gate, release report.",
    epilog=EXIT_CODES,
)


def _version(value: bool) -> None:
    if value:
        from synth.provenance import PACKAGE, package_version

        common.out.print(f"{PACKAGE} {package_version(PACKAGE)}", highlight=False)
        raise typer.Exit(0)


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Print the package version and exit.",
        ),
    ] = False,
) -> None:
    common.DEBUG["on"] = debug


# registered in this order: the order `synth --help` lists them
_cmd = _FlagsWithoutValue
app.command(cls=_cmd)(scan.scan)
app.command(cls=_cmd)(model.fit)
app.command(cls=_cmd)(model.sample)
app.command(cls=_cmd)(leakage.check)
app.command(cls=_cmd)(release.release)
app.command(cls=_cmd, name="release-linked")(linked.release_linked)
app.command(cls=_cmd)(leakage.report)
app.command(cls=_cmd)(strip.strip)
app.command(cls=_cmd)(verify.verify)
app.command(cls=_cmd)(drift.drift)


def main() -> None:
    try:
        app(prog_name="synth")
    except SystemExit as exc:
        sys.exit(exc.code)


__all__ = ["app", "main"]

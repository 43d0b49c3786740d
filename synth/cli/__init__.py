"""The ``synth`` command line. Exit codes are documented in :mod:`synth.errors`.

One module per concept: :mod:`.common` (consoles, option types, progress, JSON, exit
codes), :mod:`.scan`, :mod:`.model` (fit, sample), :mod:`.leakage` (check, report),
:mod:`.release`, :mod:`.strip`, :mod:`.verify`. Heavy imports stay inside the command
bodies, so bad input is answered fast.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from synth.cli import common, leakage, model, release, scan, strip, verify

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="steward-synth: PII scan, end-to-end DP synthesis, leakage gate, release report.",
)


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
) -> None:
    common.DEBUG["on"] = debug


# registered in this order: the order `synth --help` lists them
app.command()(scan.scan)
app.command()(model.fit)
app.command()(model.sample)
app.command()(leakage.check)
app.command()(release.release)
app.command()(leakage.report)
app.command()(strip.strip)
app.command()(verify.verify)


def main() -> None:
    try:
        app(prog_name="synth")
    except SystemExit as exc:
        sys.exit(exc.code)


__all__ = ["app", "main"]

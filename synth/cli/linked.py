"""``synth release-linked``: release a folder of linked tables under one budget per person."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synth.cli.common import (
    JsonOpt,
    command_line,
    empty_columns_line,
    out,
    progress_display,
    run,
    write_json,
)


def release_linked(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="Folder of linked tables (CSV or Parquet).")
    ],
    epsilon: Annotated[float, typer.Option("--epsilon", help="Privacy budget ε per person.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder (new or empty).")],
    delta: Annotated[float, typer.Option("--delta", help="Privacy budget δ.")] = 1e-6,
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Make the sampling reproducible (the fit never is)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an earlier release in --out.")
    ] = False,
    json_out: JsonOpt = None,
) -> None:
    """Scan every table of DIR, find the links to the person table from the values, split
    persons, fit all tables under one (ε, δ) per person, gate each table on its person
    view. DIR's tables are written to --out only when every gate passes (exit 0); else
    exit 3.
    """

    def body() -> int:
        from synth.linked_release import run_linked_release

        with progress_display() as progress:
            res = run_linked_release(
                folder,
                epsilon=epsilon,
                out_dir=out_dir,
                delta=delta,
                seed=seed,
                overwrite=overwrite,
                progress=progress,
                argv=command_line(ctx),
            )
        links = ", ".join(f"{x['table']}.{x['column']}" for x in res.links)
        out.print(
            f"privacy unit: one person of '{res.person_table}' (key '{res.key}') with their "
            f"rows in {links}",
            highlight=False,
        )
        if res.dropped:
            out.print(
                f"dropped (they link to a table other than their parent): {', '.join(res.dropped)}",
                highlight=False,
            )
        for table, columns in res.empty_columns.items():
            out.print(f"{table}: {empty_columns_line(columns)}", highlight=False)
        if res.passed:
            out.print(f"[green]RELEASED[/green] {len(res.rows)} tables in {out_dir}")
        else:
            blocked = "; ".join(f"{t}: {', '.join(m)}" for t, m in res.blocked_by.items())
            out.print(f"[red]BLOCKED[/red] by {blocked}; no synthetic table written")
        out.print(f"spent ε={res.epsilon_spent:.4f}, δ={res.delta_spent:.2e}; {res.seconds:.0f} s")
        write_json(json_out, res.to_dict())
        return 0 if res.passed else 3

    run(body)

"""``synth release``: scan, split, fit, sample, check and report in one step."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synth.cli.common import (
    ClusterOpt,
    DataArg,
    InsecureSeedOpt,
    JsonOpt,
    blank_shares_line,
    command_line,
    empty_columns_line,
    out,
    privacy_line,
    progress_display,
    row_count,
    run,
    write_json,
)


def release(
    ctx: typer.Context,
    data: DataArg,
    epsilon: Annotated[float, typer.Option("--epsilon", help="Privacy budget ε.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder (new or empty).")],
    schema: Annotated[
        Path | None,
        typer.Option(
            "--schema",
            help="Reviewed schema. The table is still scanned (or the scan.json next to the "
            "schema read) so that the report shows the steward's changes to the draft.",
        ),
    ] = None,
    delta: Annotated[
        float | None, typer.Option("--delta", help="δ (default: the schema's).")
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="Generator engine: auto, aim, mst or dpsgd.")
    ] = "auto",
    rows: Annotated[
        int | None,
        typer.Option(
            "--rows",
            parser=row_count,
            metavar="<int>",
            help="Synthetic rows (default: the model's DP estimate of its training rows); "
            "1e6 and 1_000_000 are accepted.",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Make the sampling of synthetic rows reproducible. The split and the fit always "
            "draw from fresh OS entropy.",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an earlier release in --out.")
    ] = False,
    filter_flagged: Annotated[
        bool,
        typer.Option(
            "--filter-flagged",
            help="Remove the rows the leakage check flagged before writing synthetic.csv. "
            "This step looks at real data: the result is outside the DP guarantee.",
        ),
    ] = False,
    cluster: ClusterOpt = None,
    json_out: JsonOpt = None,
    insecure_seed: InsecureSeedOpt = None,
) -> None:
    """Scan (or use --schema), split a holdout, fit, sample, check, report.

    DIR/synthetic.csv is written only when the leakage gate passes (exit 0);
    otherwise exit 3 with the report explaining why.
    """

    def body() -> int:
        from synth.releasing import run_release

        with progress_display() as progress:
            res = run_release(
                data,
                epsilon=epsilon,
                out_dir=out_dir,
                schema_path=schema,
                delta=delta,
                engine=engine,
                rows=rows,
                seed=seed,
                overwrite=overwrite,
                progress=progress,
                filter_flagged=filter_flagged,
                cluster=cluster,
                insecure_seed=insecure_seed,
                argv=command_line(ctx),
            )
        out.print(privacy_line(res.privacy, res.randomness), highlight=False)
        from synth.schema.io import REVIEWED

        if res.schema_source != REVIEWED:
            out.print(
                "[yellow]schema: the scan's unreviewed draft[/yellow] (types, roles and the "
                f"privacy unit read from the rows); review {out_dir / 'schema.yaml'} and "
                "re-run with --schema",
                highlight=False,
            )
        if res.empty_columns:
            out.print(empty_columns_line(res.empty_columns), highlight=False)
        if res.blank_shares:
            out.print(blank_shares_line(res.blank_shares), highlight=False)
        if res.passed:
            out.print(f"[green]RELEASED[/green] {out_dir / 'synthetic.csv'}")
        else:
            out.print(
                f"[red]BLOCKED[/red] by {', '.join(res.blocked_by)}; no synthetic data "
                f"written. See {out_dir / 'report.html'}"
            )
        out.print(
            f"spent ε={res.epsilon_spent:.4f}, δ={res.delta_spent:.2e}; "
            f"report: {out_dir / 'report.html'}; {res.seconds:.0f} s"
        )
        write_json(json_out, res.to_dict())
        return 0 if res.passed else 3

    run(body)

"""``synth fit`` and ``synth sample``: learn a DP model of a table, sample rows from it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from synth.cli.common import (
    ClusterOpt,
    DataArg,
    InsecureSeedOpt,
    JsonOpt,
    ModelArg,
    SchemaOpt,
    err,
    out,
    privacy_line,
    progress_display,
    row_count,
    run,
    write_json,
)


def _rows_source(path: Path, runner: Any) -> Any:
    """The input as partitions for ``runner``: chunks on a cluster, or when the table does
    not fit in memory (streamed); else the whole frame, read once (as before)."""
    from synth.errors import TooLargeError
    from synth.io.chunks import plan_chunks
    from synth.io.tables import read_table

    if runner.kind == "in-process":
        try:
            return read_table(path)
        except TooLargeError:
            err.print(f"{path.name}: larger than memory allows; streaming it in chunks")
    return plan_chunks(path)


def fit(
    data: DataArg,
    schema: SchemaOpt,
    epsilon: Annotated[float, typer.Option("--epsilon", help="Privacy budget ε.")],
    out_path: Annotated[Path, typer.Option("--out", help="Model file to write.")],
    delta: Annotated[float | None, typer.Option("--delta", help="δ (default: schema's).")] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="Generator engine: auto, aim, mst or dpsgd.")
    ] = "auto",
    cluster: ClusterOpt = None,
    json_out: JsonOpt = None,
    insecure_seed: InsecureSeedOpt = None,
) -> None:
    """Learn the table under (ε, δ)-DP and save the model (fresh randomness every run)."""

    def body() -> None:
        from synth.cluster import connect
        from synth.ledger import check_budget
        from synth.schema.io import load_schema

        sch = load_schema(schema)
        check_budget(epsilon, delta if delta is not None else sch.dataset.delta)
        with connect(cluster) as runner:
            rows = _rows_source(data, runner)
            from synth.synthesizer import Synthesizer

            model = Synthesizer(
                sch,
                epsilon=epsilon,
                delta=delta,
                engine=engine,
                insecure_fit_seed=insecure_seed,
            )
            with progress_display() as progress:
                model.fit(rows, source=str(data), progress=progress, runner=runner)
        model.save(out_path)
        desc = {**model.describe(), "cluster": model.runner_info}
        eps, dlt = desc["spent"]["epsilon"], desc["spent"]["delta"]
        out.print(
            f"model written to {out_path}; spent ε={eps:.4f}, δ={dlt:.2e} (budget ε={epsilon:g})"
        )
        out.print(privacy_line(desc["privacy"], desc["randomness"]), highlight=False)
        write_json(json_out, desc)

    run(body)


def sample(
    model_path: ModelArg,
    out_path: Annotated[Path, typer.Option("--out", help="Output .csv or .parquet.")],
    rows: Annotated[
        int | None,
        typer.Option(
            "--rows",
            parser=row_count,
            metavar="<int>",
            help="Number of rows (default: the model's DP estimate of its training rows); "
            "1e6 and 1_000_000 are accepted.",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Make the sample reproducible (default: fresh randomness)."),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            help='Only rows holding these conditions, e.g. "sex=F,age>=70", '
            '"age=30..40", "region=R01|R02", "smoker!=yes" (repeatable). Exact on the '
            "aim/mst models, measured rejection on dpsgd; an impossible condition is an error.",
        ),
    ] = None,
    rebalance: Annotated[
        str | None,
        typer.Option(
            "--rebalance",
            metavar="COLUMN[=VALUE:SHARE,...]",
            help="Set the shares of a categorical column's values: COLUMN=value:share,... "
            "(e.g. dx=E11:0.1 or dx=E11:10%; the rest keeps the model's proportions), or "
            "COLUMN alone for uniform shares.",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing file at --out.")
    ] = False,
    json_out: JsonOpt = None,
) -> None:
    """Sample synthetic rows from a model: post-processing, no privacy cost. With --where
    or --rebalance, the JSON says what was applied and how the output differs from the
    model's marginals. An existing --out file is kept unless --overwrite."""

    def body() -> None:
        from synth.errors import InputError
        from synth.io.tables import write_table

        if out_path.exists() and not overwrite:
            raise InputError(
                f"{out_path}: already exists (it may be a real table); pass --overwrite to "
                "replace it"
            )
        from synth.synthesizer import Synthesizer

        model = Synthesizer.load(model_path)
        applied: dict[str, Any] | None = None
        if where or rebalance:
            df, applied = model.sample_where(rows, where=where, rebalance=rebalance, seed=seed)
        else:
            df = model.sample(rows, seed=seed)
        write_table(df, out_path, model.output_decimals())
        out.print(f"{len(df)} rows written to {out_path}")
        if applied is not None:
            shown = ", ".join(applied["conditions"]) or "none"
            out.print(
                f"conditions: {shown}; model share of the conditions "
                f"{applied['model_share_of_conditions']:.2%} ({applied['method']})",
                highlight=False,
            )
        write_json(
            json_out,
            {
                "rows": len(df),
                "out": str(out_path),
                "seed": seed,
                "columns": list(df.columns),
                "conditional": applied,
            },
        )

    run(body)

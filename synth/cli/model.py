"""``synth fit`` and ``synth sample``: learn a DP model of a table, sample rows from it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from synth.cli.common import (
    ClusterOpt,
    DataArg,
    JsonOpt,
    err,
    out,
    progress_display,
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
    schema: Annotated[Path, typer.Option("--schema", help="Reviewed schema (YAML).")],
    epsilon: Annotated[float, typer.Option("--epsilon", help="Privacy budget ε.")],
    out_path: Annotated[Path, typer.Option("--out", help="Model file to write.")],
    delta: Annotated[float | None, typer.Option("--delta", help="δ (default: schema's).")] = None,
    engine: Annotated[str, typer.Option("--engine", help="Generator engine.")] = "auto",
    seed: Annotated[int, typer.Option("--seed")] = 0,
    cluster: ClusterOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """Learn the table under (ε, δ)-DP and save the model."""

    def body() -> None:
        from synth.cluster import connect
        from synth.ledger import check_budget
        from synth.schema.io import load_schema

        sch = load_schema(schema)
        check_budget(epsilon, delta if delta is not None else sch.dataset.delta)
        with connect(cluster) as runner:
            rows = _rows_source(data, runner)
            from synth.synthesizer import Synthesizer

            model = Synthesizer(sch, epsilon=epsilon, delta=delta, engine=engine, seed=seed)
            with progress_display() as progress:
                model.fit(rows, source=str(data), progress=progress, runner=runner)
        model.save(out_path)
        desc = {**model.describe(), "cluster": model.runner_info}
        eps, dlt = desc["spent"]["epsilon"], desc["spent"]["delta"]
        out.print(
            f"model written to {out_path}; spent ε={eps:.4f}, δ={dlt:.2e} (budget ε={epsilon:g})"
        )
        write_json(json_out, desc)

    run(body)


def sample(
    model_path: Annotated[Path, typer.Argument(help="Model file from `synth fit`.")],
    rows: Annotated[int, typer.Option("--rows", help="Number of rows.")],
    out_path: Annotated[Path, typer.Option("--out", help="Output .csv or .parquet.")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
    json_out: JsonOpt = None,
) -> None:
    """Sample synthetic rows from a model (reproducible with --seed)."""

    def body() -> None:
        from synth.io.tables import write_table
        from synth.synthesizer import Synthesizer

        model = Synthesizer.load(model_path)
        df = model.sample(rows, seed=seed)
        write_table(df, out_path)
        out.print(f"{len(df)} rows written to {out_path}")
        write_json(
            json_out,
            {"rows": len(df), "out": str(out_path), "seed": seed, "columns": list(df.columns)},
        )

    run(body)

"""``synth strip``: a de-identified (not DP) copy by the schema's actions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synth.cli.common import (
    DataArg,
    JsonOpt,
    SchemaOpt,
    out,
    progress_display,
    run,
    write_json,
)


def strip(
    data: DataArg,
    schema: SchemaOpt,
    out_path: Annotated[Path, typer.Option("--out", help="De-identified .csv/.parquet.")],
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the replacement values (surrogates).")
    ] = 0,
    json_out: JsonOpt = None,
) -> None:
    """Apply the schema's actions (drop/replace/redact/generalise): a de-identified,
    NOT differentially private, copy."""

    def body() -> None:
        from privacy.stripping import strip as run_strip
        from synth.io.tables import read_table, write_table
        from synth.schema.io import load_schema

        sch = load_schema(schema)
        df = read_table(data)
        from synth.prepare import check_columns

        check_columns(df, sch, str(data))
        with progress_display() as progress:
            stripped, counts = run_strip(df, sch, seed=seed, progress=progress)
        write_table(stripped, out_path)
        out.print(f"de-identified copy written to {out_path} (not DP)")
        write_json(
            json_out,
            {
                "out": str(out_path),
                "rows": len(stripped),
                "columns": list(stripped.columns),
                "redacted_spans": counts,
            },
        )

    run(body)

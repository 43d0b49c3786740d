"""``synth strip``: a de-identified (not DP) copy by the schema's actions."""

from __future__ import annotations

from enum import StrEnum
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


class SafeHarborDates(StrEnum):
    """``--safe-harbor-dates``: which kept columns HIPAA Safe Harbor generalises (the
    values of :data:`privacy.stripping.SAFE_HARBOR_MODES`)."""

    schema = "schema"
    all = "all"
    off = "off"


def strip(
    data: DataArg,
    schema: SchemaOpt,
    out_path: Annotated[Path, typer.Option("--out", help="De-identified .csv/.parquet.")],
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the replacement values (surrogates).")
    ] = 0,
    safe_harbor_dates: Annotated[
        SafeHarborDates,
        typer.Option(
            "--safe-harbor-dates",
            case_sensitive=False,
            help="HIPAA Safe Harbor on the columns the schema keeps: 'schema' takes the "
            "dates whose hipaa class is 'Dates (except year)' to their year and tops ages "
            "at 90; 'all' takes every kept date column to its year (a schema without hipaa "
            "classes) and tops AGE columns; 'off' keeps them as they are (only with an "
            "expert determination or a data-use agreement that allows full dates).",
        ),
    ] = SafeHarborDates.schema,
    json_out: JsonOpt = None,
) -> None:
    """Apply the schema's actions (drop/replace/redact/generalise): a de-identified,
    NOT differentially private, copy. Kept dates and ages follow --safe-harbor-dates."""

    def body() -> None:
        from privacy.stripping import safe_harbor
        from privacy.stripping import strip as run_strip
        from synth.io.tables import read_table, write_table
        from synth.schema.io import load_schema

        sch = load_schema(schema)
        df = read_table(data)
        from synth.prepare import check_columns

        check_columns(df, sch, str(data))
        with progress_display() as progress:
            stripped, counts = run_strip(
                df, sch, seed=seed, progress=progress, safe_harbor_dates=safe_harbor_dates.value
            )
        harbored = [
            c.name
            for c in sch.columns
            if c.name in df.columns and safe_harbor(c, mode=safe_harbor_dates.value)
        ]
        write_table(stripped, out_path)
        out.print(f"de-identified copy written to {out_path} (not DP)")
        out.print(
            f"Safe Harbor ({safe_harbor_dates.value}): "
            + (", ".join(harbored) if harbored else "no kept column changed"),
            highlight=False,
        )
        write_json(
            json_out,
            {
                "out": str(out_path),
                "rows": len(stripped),
                "columns": list(stripped.columns),
                "redacted_spans": counts,
                "safe_harbor_dates": safe_harbor_dates.value,
                "safe_harbor_columns": harbored,
            },
        )

    run(body)

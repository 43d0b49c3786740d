"""``synth scan``: find PII per column and draft a schema, in chunks when the table is large."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from synth.cli.common import (
    ClusterOpt,
    DataArg,
    InsecureSeedOpt,
    JsonOpt,
    err,
    out,
    progress_display,
    run,
    write_json,
)


def _size(n: float) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


def _scan_chunks(path: Path, cluster: str | None) -> tuple[list[Any], int | None]:
    """The chunks ``synth scan`` reads, checked before the slow imports and the cluster,
    and how many of them this machine holds at once (None: the table fits in memory).

    In this process the table is first read whole once and dropped: the reader's checks
    and messages (bad input fails fast, as before); a table too large for that is
    streamed one chunk at a time. On a cluster only the chunk planner's checks run here
    (header, record ends); the rows are parsed on the workers.
    """
    from synth.cluster import LOCAL_WORKERS
    from synth.errors import TooLargeError
    from synth.io.chunks import SCAN_CHUNK_BYTES, plan_chunks
    from synth.io.tables import read_table

    holders: int | None = LOCAL_WORKERS if cluster == "local" else 0
    if not cluster:
        try:
            read_table(path)
            holders = None
        except TooLargeError:
            holders = 1
    return plan_chunks(path, SCAN_CHUNK_BYTES), holders


def _check_stream_memory(path: Path, chunks: list[Any], holders: int, sample_rows: int) -> None:
    """Refuse (:class:`TooLargeError`) a chunked scan whose bounded memory does not fit:
    ``holders`` chunks loaded at once on this machine plus the classifier's row sample,
    estimated as :func:`synth.io.tables.estimate_memory` does; off like that check."""
    from synth.errors import TooLargeError
    from synth.io import tables

    if os.environ.get(tables.SKIP_MEMORY_CHECK_ENV) == "1":
        return
    avail = tables.available_memory()
    if avail is None:
        return
    cells = tables.BYTES_PER_CELL * len(chunks[0].header)
    largest = max(
        c.rows * cells + (tables.CSV_COPIES * (c.stop - c.start) if c.kind == "csv" else 0)
        for c in chunks
    )
    sample = min(sample_rows, sum(c.rows for c in chunks))
    need = holders * largest + sample * cells
    limit = int(avail * (1.0 - tables.MEMORY_HEADROOM))
    if need > limit:
        raise TooLargeError(
            f"{path}: too large for memory, even read in chunks: {holders} chunk(s) at a "
            f"time and the scan's sample of {sample} rows need about {_size(need)}, "
            f"{_size(limit)} may be used ({_size(avail)} available); use --cluster "
            f"tcp://HOST:PORT or set {tables.SKIP_MEMORY_CHECK_ENV}=1 to try anyway"
        )


def _scan_method_line(result: Any, runner: Any) -> str:
    """One line on how the scan read the table (the JSON's ``scan_method``)."""
    m = result.method or {}
    picked = int(m.get("sample_rows", result.rows))
    sample = "all rows" if picked >= result.rows else f"a random sample of {picked} rows"
    estimated = m.get("estimated", {}).get("columns", [])
    where = (
        "in this process" if runner.kind == "in-process" else f"on Dask ({runner.workers} workers)"
    )
    return (
        f"scan method: {m.get('chunks', 1)} chunk(s) {where}; columns classified on "
        f"{sample}; counts and free-text PII over all {result.rows} rows; distinct "
        f"counts estimated (KMV) for: {', '.join(estimated) if estimated else 'no column'}"
    )


def scan(
    data: DataArg,
    schema_out: Annotated[
        Path | None, typer.Option("--schema-out", help="Write the draft schema (YAML) here.")
    ] = None,
    cluster: ClusterOpt = None,
    json_out: JsonOpt = None,
    insecure_seed: InsecureSeedOpt = None,
) -> None:
    """Find PII per column and draft a schema for review. Never prints values."""

    def body() -> None:
        from synth.cluster import connect

        chunks, holders = _scan_chunks(data, cluster)  # bad input fails fast
        with connect(cluster) as runner:  # an unknown --cluster too, before the slow imports
            from privacy.chunked_scan import SAMPLE_ROWS, scan_source
            from synth.io.compressed import table_name
            from synth.schema.io import save_schema

            if holders is not None:
                _check_stream_memory(data, chunks, holders, SAMPLE_ROWS)
                if not cluster:
                    err.print(f"{data.name}: larger than memory allows; scanning it in chunks")
            with progress_display() as progress:
                result = scan_source(
                    chunks, runner, name=table_name(data), seed=insecure_seed, progress=progress
                )
            method = _scan_method_line(result, runner)
        table = Table(title=f"PII scan of {data.name} ({result.rows} rows)")
        for head in ("column", "type", "role", "entity", "conf.", "action"):
            table.add_column(head)
        for f in result.findings:
            action = f.action + (f" ({f.generalise})" if f.generalise else "")
            table.add_row(f.name, f.type, f.role, f.entity or "", f"{f.confidence:.2f}", action)
        out.print(table)
        out.print(method, highlight=False)
        unit, static = result.unit, [c.name for c in result.schema.columns if c.static]
        out.print(
            f"privacy unit: {unit.reason if unit else 'none'}; max_rows_per_unit: "
            f"{result.schema.dataset.max_rows_per_unit}"
            + (f"; static columns: {', '.join(static)}" if static else ""),
            highlight=False,
        )
        out.print(f"NLP engine: {result.nlp_engine}")
        if schema_out is not None:
            save_schema(
                result.schema,
                schema_out,
                header=(
                    f"Draft schema for {data.name}, written by `synth scan`.\n"
                    "Review every role and action. Add public domains (category lists, bounds)\n"
                    "only where they are public knowledge; the rest is estimated under DP.\n"
                ),
            )
            out.print(f"draft schema written to {schema_out}")
        write_json(json_out, result.to_dict())

    run(body)

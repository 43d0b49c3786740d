"""The ``synth`` command line. Exit codes are documented in :mod:`synth.errors`."""

from __future__ import annotations

import logging
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from synth.errors import StewardError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="steward-synth: PII scan, end-to-end DP synthesis, leakage gate, release report.",
)
err = Console(stderr=True)
out = Console()
_DEBUG = {"on": False}

DataArg = Annotated[Path, typer.Argument(help="Input table (.csv or .parquet).")]
JsonOpt = Annotated[
    Path | None, typer.Option("--json", help="Also write machine-readable JSON here.")
]
ClusterOpt = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        help="Run the passes over the rows on Dask: 'local' starts a local cluster of 2 "
        "workers, tcp://HOST:PORT joins a running scheduler (workers must see the input "
        "files). Default: in this process. Results are the same either way.",
    ),
]


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


def _quiet_libraries() -> None:
    warnings.filterwarnings("ignore")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in ("presidio-analyzer", "presidio-anonymizer", "opacus", "faker", "sdv", "rdt"):
        logging.getLogger(name).setLevel(logging.ERROR)


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress display (stderr); yields the callback the stages call."""
    enabled = err.is_terminal or os.environ.get("SYNTH_PROGRESS") == "1"
    if not enabled:

        def plain(what: str, done: int, total: int) -> None:
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
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total)
            bar.update(tasks[what], completed=done, total=total)

        yield update


def _write_json(path: Path | None, payload: dict[str, Any]) -> None:
    if path is None:
        return
    from synth.io.atomic import atomic_write_text
    from synth.release import _dump

    atomic_write_text(path, _dump(payload))


def _run(fn: Callable[[], int | None]) -> None:
    """Run a command body; map errors to documented exit codes without echoing data."""
    _quiet_libraries()
    try:
        code = fn() or 0
    except StewardError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
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
        if _DEBUG["on"]:
            traceback.print_exc()
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
) -> None:
    _DEBUG["on"] = debug


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
    sample = "all rows" if picked >= result.rows else f"a seeded sample of {picked} rows"
    estimated = m.get("estimated", {}).get("columns", [])
    where = (
        "in this process" if runner.kind == "in-process" else f"on Dask ({runner.workers} workers)"
    )
    return (
        f"scan method: {m.get('chunks', 1)} chunk(s) {where}; columns classified on "
        f"{sample}; counts and free-text PII over all {result.rows} rows; distinct "
        f"counts estimated (KMV) for: {', '.join(estimated) if estimated else 'no column'}"
    )


@app.command()
def scan(
    data: DataArg,
    schema_out: Annotated[
        Path | None, typer.Option("--schema-out", help="Write the draft schema (YAML) here.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the classifier's row sample.")] = 0,
    cluster: ClusterOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """Find PII per column and draft a schema for review. Never prints values."""

    def body() -> None:
        from synth.cluster import connect

        chunks, holders = _scan_chunks(data, cluster)  # bad input fails fast
        with connect(cluster) as runner:  # an unknown --cluster too, before the slow imports
            from privacy.chunked_scan import SAMPLE_ROWS, scan_source
            from synth.schema.io import save_schema

            if holders is not None:
                _check_stream_memory(data, chunks, holders, SAMPLE_ROWS)
                if not cluster:
                    err.print(f"{data.name}: larger than memory allows; scanning it in chunks")
            with _progress() as progress:
                result = scan_source(chunks, runner, name=data.stem, seed=seed, progress=progress)
            method = _scan_method_line(result, runner)
        table = Table(title=f"PII scan of {data.name} ({result.rows} rows)")
        for head in ("column", "type", "role", "entity", "conf.", "action"):
            table.add_column(head)
        for f in result.findings:
            action = f.action + (f" ({f.generalise})" if f.generalise else "")
            table.add_row(f.name, f.type, f.role, f.entity or "", f"{f.confidence:.2f}", action)
        out.print(table)
        out.print(method, highlight=False)
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
        _write_json(json_out, result.to_dict())

    _run(body)


@app.command()
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
            with _progress() as progress:
                model.fit(rows, source=str(data), progress=progress, runner=runner)
        model.save(out_path)
        desc = {**model.describe(), "cluster": model.runner_info}
        eps, dlt = desc["spent"]["epsilon"], desc["spent"]["delta"]
        out.print(
            f"model written to {out_path}; spent ε={eps:.4f}, δ={dlt:.2e} (budget ε={epsilon:g})"
        )
        _write_json(json_out, desc)

    _run(body)


@app.command()
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
        _write_json(
            json_out,
            {"rows": len(df), "out": str(out_path), "seed": seed, "columns": list(df.columns)},
        )

    _run(body)


@app.command()
def check(
    real: Annotated[Path, typer.Option("--real", help="Training rows the generator saw.")],
    holdout: Annotated[Path, typer.Option("--holdout", help="Real rows it never saw.")],
    synthetic: Annotated[Path, typer.Option("--synthetic", help="Synthetic rows.")],
    schema: Annotated[Path | None, typer.Option("--schema", help="Schema (YAML).")] = None,
    filter_out: Annotated[
        Path | None,
        typer.Option(
            "--filter",
            help="Also write the synthetic rows minus the flagged ones here. This step looks "
            "at real data: the result is outside the DP guarantee.",
        ),
    ] = None,
    cluster: ClusterOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """Leakage gate. Exit 0 when it passes, 3 when it blocks."""

    def body() -> int:
        from synth.cluster import connect
        from synth.io.chunks import plan_chunks
        from synth.io.tables import read_table
        from synth.schema.io import load_schema

        sch = load_schema(schema) if schema is not None else None
        # the real rows: whole frames in this process (as before), else chunks read where
        # they are normalised (workers; or here, one at a time, for tables too large)
        real_frames = None if cluster else _frames_that_fit(real, holdout)
        real_chunks = (plan_chunks(real), plan_chunks(holdout)) if real_frames is None else None
        syn_df = read_table(synthetic)  # in memory: --filter writes what it keeps
        from privacy.leakage import check_leakage
        from privacy.leakage.chunked import check_leakage_chunks

        with connect(cluster) as runner, _progress() as progress:
            if real_frames is not None:
                train_df, hold_df = real_frames
                result = check_leakage(
                    train_df, hold_df, syn_df, sch, progress=progress, runner=runner
                )
            else:
                assert real_chunks is not None
                result = check_leakage_chunks(
                    *real_chunks, syn_df, sch, runner=runner, progress=progress
                )
        if filter_out is not None:
            from privacy.leakage.filter import filter_flagged
            from synth.io.tables import write_table

            kept, result = filter_flagged(syn_df, result)
            write_table(kept, filter_out)
        payload = result.to_dict()
        table = Table(title="Leakage gate")
        for head in ("metric", "value", "baseline", "interval", "threshold", "verdict"):
            table.add_column(head)
        for m in payload["metrics"]:
            iv = m.get("interval")
            table.add_row(
                m["name"],
                _fmt(m.get("value")),
                _fmt(m.get("baseline")),
                f"[{_fmt(iv[0])}, {_fmt(iv[1])}]" if iv else "",
                _fmt(m.get("threshold")),
                m["verdict"],
            )
        out.print(table)
        verdict = "[green]PASSED[/green]" if payload["passed"] else "[red]BLOCKED[/red]"
        out.print(
            f"gate {verdict}; {len(payload.get('flagged_rows', []))} synthetic row(s) "
            "flagged (indices in the JSON)"
        )
        if payload.get("filter"):
            f = payload["filter"]
            out.print(
                f"filter: {f['removed']} flagged row(s) removed, {f['kept']} written to "
                f"{filter_out}. [yellow]{f['note']}[/yellow]"
            )
        for w in payload.get("warnings", []):
            out.print(f"[yellow]warning:[/yellow] {w}")
        _write_json(json_out, payload)
        return 0 if payload["passed"] else 3

    _run(body)


def _frames_that_fit(*paths: Path) -> tuple[Any, ...] | None:
    """The tables read whole, or None when one is too large for memory (then all of them
    are read in chunks, streamed through this process)."""
    from synth.errors import TooLargeError
    from synth.io.tables import read_table

    frames = []
    for path in paths:
        try:
            frames.append(read_table(path))
        except TooLargeError:
            err.print(f"{path.name}: larger than memory allows; reading the real rows in chunks")
            return None
    return tuple(frames)


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


@app.command()
def release(
    data: DataArg,
    epsilon: Annotated[float, typer.Option("--epsilon", help="Privacy budget ε.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder (new or empty).")],
    schema: Annotated[Path | None, typer.Option("--schema", help="Reviewed schema.")] = None,
    delta: Annotated[float | None, typer.Option("--delta")] = None,
    engine: Annotated[str, typer.Option("--engine")] = "auto",
    rows: Annotated[
        int | None,
        typer.Option("--rows", help="Synthetic rows (default: as many as training rows)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
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
) -> None:
    """Scan (or use --schema), split a holdout, fit, sample, check, report.

    DIR/synthetic.csv is written only when the leakage gate passes (exit 0);
    otherwise exit 3 with the report explaining why.
    """

    def body() -> int:
        from synth.release import run_release

        with _progress() as progress:
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
            )
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
        _write_json(json_out, res.to_dict())
        return 0 if res.passed else 3

    _run(body)


@app.command()
def report(
    real: Annotated[Path, typer.Option("--real", help="Training rows the generator saw.")],
    holdout: Annotated[Path, typer.Option("--holdout", help="Real rows it never saw.")],
    synthetic: Annotated[Path, typer.Option("--synthetic", help="Synthetic rows.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for report.html/json.")],
    model_path: Annotated[
        Path | None, typer.Option("--model", help="Model file (ledger, schema).")
    ] = None,
    schema: Annotated[Path | None, typer.Option("--schema", help="Schema (YAML).")] = None,
    cluster: ClusterOpt = None,
) -> None:
    """Write report.html and report.json for an existing synthetic table.

    The report's fidelity sections need the tables in this process; --cluster runs the
    leakage check's neighbour searches on Dask (same result).
    """

    def body() -> int:
        from privacy.leakage import check_leakage
        from synth.cluster import connect
        from synth.errors import InputError
        from synth.io.tables import read_table
        from synth.report import write_check_report
        from synth.schema.io import load_schema
        from synth.synthesizer import Synthesizer

        model = Synthesizer.load(model_path) if model_path is not None else None
        if schema is not None:
            sch = load_schema(schema)
        elif model is not None:
            sch = model.schema
        else:
            raise InputError("give --schema or --model: the report needs the schema")
        train_df, hold_df, syn_df = read_table(real), read_table(holdout), read_table(synthetic)
        with connect(cluster) as runner, _progress() as progress:
            leak = check_leakage(train_df, hold_df, syn_df, sch, progress=progress, runner=runner)
        write_check_report(
            out_dir,
            leak=leak,
            train=train_df,
            synthetic=syn_df,
            schema=sch,
            model=model.describe() if model is not None else None,
            holdout=hold_df,
        )
        out.print(
            f"report written to {out_dir / 'report.html'} "
            f"({'passed' if leak.passed else 'BLOCKED'})"
        )
        return 0 if leak.passed else 3

    _run(body)


@app.command()
def strip(
    data: DataArg,
    schema: Annotated[Path, typer.Option("--schema", help="Reviewed schema.")],
    out_path: Annotated[Path, typer.Option("--out", help="De-identified .csv/.parquet.")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
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
        with _progress() as progress:
            stripped, counts = run_strip(df, sch, seed=seed, progress=progress)
        write_table(stripped, out_path)
        out.print(f"de-identified copy written to {out_path} (not DP)")
        _write_json(
            json_out,
            {
                "out": str(out_path),
                "rows": len(stripped),
                "columns": list(stripped.columns),
                "redacted_spans": counts,
            },
        )

    _run(body)


def main() -> None:
    try:
        app(prog_name="synth")
    except SystemExit as exc:
        sys.exit(exc.code)


if __name__ == "__main__":
    main()


__all__ = ["app", "main"]

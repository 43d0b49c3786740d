"""``synth check`` and ``synth report``: the leakage gate, and the report of an existing
synthetic table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from synth.cli.common import (
    ClusterOpt,
    InsecureSeedOpt,
    JsonOpt,
    err,
    existing,
    out,
    progress_display,
    run,
    write_json,
)

#: the three tables `check` and `report` compare
RealOpt = Annotated[
    Path,
    typer.Option("--real", help="Training rows the generator saw.", callback=existing("file")),
]
HoldoutOpt = Annotated[
    Path, typer.Option("--holdout", help="Real rows it never saw.", callback=existing("file"))
]
SyntheticOpt = Annotated[
    Path, typer.Option("--synthetic", help="Synthetic rows.", callback=existing("file"))
]
RenameOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--rename",
        help="NEW=OLD: compare the synthetic column NEW as the real column OLD (repeatable). "
        "Without it, a synthetic table must hold every compared column under its own name.",
    ),
]


def _renames(pairs: list[str] | None) -> dict[str, str] | None:
    from synth.errors import InputError

    if not pairs:
        return None
    out: dict[str, str] = {}
    for pair in pairs:
        new, sep, old = pair.partition("=")
        if not sep or not new or not old:
            raise InputError(f"--rename expects NEW=OLD, got '{pair}'")
        out[new] = old
    return out


def check(
    real: RealOpt,
    holdout: HoldoutOpt,
    synthetic: SyntheticOpt,
    schema: Annotated[
        Path | None,
        typer.Option("--schema", help="Schema (YAML).", callback=existing("schema file")),
    ] = None,
    filter_out: Annotated[
        Path | None,
        typer.Option(
            "--filter",
            help="Also write the synthetic rows minus the flagged ones here. This step looks "
            "at real data: the result is outside the DP guarantee.",
        ),
    ] = None,
    rename: RenameOpt = None,
    cluster: ClusterOpt = None,
    json_out: JsonOpt = None,
    insecure_seed: InsecureSeedOpt = None,
) -> None:
    """Leakage gate. Exit 0 when it passes, 3 when it blocks, 2 when a compared column is
    missing, unknown or renamed."""

    def body() -> int:
        from synth.cluster import connect
        from synth.io.chunks import plan_chunks
        from synth.io.tables import read_table
        from synth.schema.io import load_schema

        sch = load_schema(schema) if schema is not None else None
        renames = _renames(rename)
        # the real rows: whole frames in this process (as before), else chunks read where
        # they are normalised (workers; or here, one at a time, for tables too large)
        real_frames = None if cluster else _frames_that_fit(real, holdout)
        real_chunks = (plan_chunks(real), plan_chunks(holdout)) if real_frames is None else None
        syn_df = read_table(synthetic)  # in memory: --filter writes what it keeps
        from privacy.leakage import check_leakage
        from privacy.leakage.chunked import check_leakage_chunks

        with connect(cluster) as runner, progress_display() as progress:
            if real_frames is not None:
                train_df, hold_df = real_frames
                result = check_leakage(
                    train_df,
                    hold_df,
                    syn_df,
                    sch,
                    progress=progress,
                    runner=runner,
                    rename=renames,
                    seed=insecure_seed,
                )
            else:
                assert real_chunks is not None
                result = check_leakage_chunks(
                    *real_chunks,
                    syn_df,
                    sch,
                    runner=runner,
                    progress=progress,
                    rename=renames,
                    seed=insecure_seed,
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
        write_json(json_out, payload)
        return 0 if payload["passed"] else 3

    run(body)


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


def _codecs(model: Any, schema: Any) -> dict[str, dict[str, Any]] | None:
    """The model's codecs (DP or declared edges and categories) for the columns the report's
    schema defines as the model does: they label numeric bins by their edges and let
    DP-selected category names be printed, as in the release report."""
    if model is None:
        return None
    from synth.report.build import model_codecs

    own = {c.name: c for c in model.schema.columns}
    used = {c.name: c for c in schema.columns}
    return {n: s for n, s in model_codecs(model).items() if n in used and own.get(n) == used[n]}


def report(
    real: RealOpt,
    holdout: HoldoutOpt,
    synthetic: SyntheticOpt,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for report.html/json.")],
    model_path: Annotated[
        Path | None,
        typer.Option(
            "--model", help="Model file (ledger, schema).", callback=existing("model file")
        ),
    ] = None,
    schema: Annotated[
        Path | None,
        typer.Option("--schema", help="Schema (YAML).", callback=existing("schema file")),
    ] = None,
    rename: RenameOpt = None,
    cluster: ClusterOpt = None,
    insecure_seed: InsecureSeedOpt = None,
) -> None:
    """Write report.html and report.json for an existing synthetic table.

    The report's fidelity sections need the tables in this process; --cluster runs the
    leakage check's neighbour searches on Dask (same result).
    """
    if schema is None and model_path is None:  # before any heavy import
        err.print("[red]error:[/red] give --schema or --model: the report needs the schema")
        raise typer.Exit(2)

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
        from privacy.leakage.columns import apply_rename

        syn_df = apply_rename(syn_df, _renames(rename))
        with connect(cluster) as runner, progress_display() as progress:
            leak = check_leakage(
                train_df,
                hold_df,
                syn_df,
                sch,
                progress=progress,
                runner=runner,
                seed=insecure_seed,
            )
        write_check_report(
            out_dir,
            leak=leak,
            train=train_df,
            synthetic=syn_df,
            schema=sch,
            model=model.describe() if model is not None else None,
            holdout=hold_df,
            codecs=_codecs(model, sch),
        )
        out.print(
            f"report written to {out_dir / 'report.html'} "
            f"({'passed' if leak.passed else 'BLOCKED'})"
        )
        return 0 if leak.passed else 3

    run(body)

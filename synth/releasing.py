"""One-command release: scan → schema → fit → sample → check → report.

The output folder is built in a hidden staging folder and moved into place at
the end, so an interrupted release leaves nothing half-written. One release at a time
writes a folder (a lock on ``.NAME.lock`` next to it): a second one fails at once with exit
5. The folder holds:

========================  ==========================================================
``schema.yaml``           the schema used (the reviewed one, or the scan's draft)
``scan.json``             the scan's findings (with a schema too: evidence only)
``model.synth``           the fitted model (data only, checksummed)
``ledger.json``           the privacy ledger: every mechanism and its cost
``leakage.json``          the leakage gate: metrics, thresholds, verdicts
``report.html/json``      the release report
``synthetic.csv``         the synthetic table — only when the gate passed
``release.json``          summary: passed, ε/δ spent, privacy unit, files, provenance
========================  ==========================================================

Provenance (:mod:`synth.provenance`), in ``release.json`` and the report: SHA-256 of the
schema file given and of every file above (the report lists all but itself and
``release.json``; ``release.json`` all but itself), the command line (paths and options
only), the package and privacy-relevant dependency versions, and the start and end times
(UTC). The input's SHA-256, a fingerprint of the real table, is in the internal report
only. ``synth verify DIR`` re-computes the hashes.

With ``--schema`` the table is still scanned (or the ``scan.json`` next to the schema is
read, when it is a scan of a table with the same columns): the scan is evidence only, and
the report shows where the steward's schema differs from the scan's draft.

Randomness: the holdout split, the scan's row sample and the fit draw from fresh OS
entropy (:mod:`synth.randomness`); ``seed`` only fixes the sampling of synthetic rows
from the model. ``insecure_seed`` (tests only) seeds everything and marks the release
NOT PRIVATE in ``release.json`` and the report.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synth.cluster import Runner, connect
from synth.engines.base import Progress, no_progress
from synth.errors import BudgetError, InputError, OutputError, TooLargeError
from synth.io import tables
from synth.io.atomic import atomic_write_text, folder_lock, staged_directory
from synth.io.compressed import table_name
from synth.io.tables import read_table, write_table
from synth.ledger import check_budget
from synth.prepare import check_columns
from synth.private_domains import empty_columns
from synth.provenance import (
    RELEASE_NOT_HASHED,
    REPORT_NOT_HASHED,
    finish,
    record,
    shareable,
    utc_now,
)
from synth.randomness import Randomness
from synth.schema.io import DRAFT, REVIEWED, load_schema, save_schema
from synth.schema.model import Schema
from synth.synthesizer import Synthesizer


@dataclass
class ReleaseResult:
    out_dir: Path
    passed: bool
    epsilon_spent: float
    delta_spent: float
    files: list[str] = field(default_factory=list)
    blocked_by: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rows: int = 0
    privacy: dict[str, Any] = field(default_factory=dict)
    randomness: dict[str, Any] = field(default_factory=dict)
    schema_source: str = REVIEWED
    #: wall seconds per stage (read, scan, fit, sample, check, write, report, provenance)
    stages: dict[str, float] = field(default_factory=dict)
    #: hashes of inputs and outputs, command line, versions, times (synth.provenance)
    provenance: dict[str, Any] = field(default_factory=dict)
    #: modelled columns that come out empty: their range (numbers, dates) or every value
    #: (categories) stayed below the DP noise (:func:`empty_columns`)
    empty_columns: list[str] = field(default_factory=list)
    #: category columns whose values below the DP threshold hold so much of the model's
    #: rows that they come out blank rather than on the kept values: the blank share
    #: (:meth:`synth.sampling.Sampling.blank_shares`)
    blank_shares: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "released": self.passed,
            "out_dir": str(self.out_dir),
            "epsilon_spent": self.epsilon_spent,
            "delta_spent": self.delta_spent,
            "privacy": self.privacy,
            "randomness": self.randomness,
            "schema": self.schema_source,
            "synthetic_rows": self.rows,
            "blocked_by": self.blocked_by,
            "files": self.files,
            "seconds": round(self.seconds, 2),
            "stages": {k: round(v, 2) for k, v in self.stages.items()},
            "provenance": self.provenance,
            "empty_columns": self.empty_columns,
            "blank_shares": self.blank_shares,
        }


def split_holdout(
    data: pd.DataFrame, schema: Schema, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train/holdout split: each person (privacy unit; else each row) goes to the holdout
    on its own secret coin of probability ``holdout_fraction``.

    Independent coins (not a fixed-size draw) keep neighbouring input tables neighbouring
    training tables, and no count is fixed by the split. A split with an empty side (a
    table of one row, or of a few) is :class:`BudgetError`: too few rows (exit 4).
    """
    frac = schema.dataset.holdout_fraction
    unit = schema.dataset.privacy_unit
    if unit:
        codes, uniques = pd.factorize(data[unit].astype(str))
        mask = (rng.random(len(uniques)) < frac)[codes]
    else:
        mask = rng.random(len(data)) < frac
    if mask.all() or not mask.any():  # e.g. a one-row table: exit 4, as too few rows
        who = "persons" if unit else "rows"
        raise BudgetError(
            f"too few {who} to split into training {who} and a holdout (each goes to the "
            f"holdout with probability {frac:g}); a DP release needs hundreds of {who}"
        )
    return data[~mask].reset_index(drop=True), data[mask].reset_index(drop=True)


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=False, default=_default) + "\n"


def _default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    return str(o)


def _check_out_dir(out_dir: Path, overwrite: bool) -> None:
    """Fail before any work when the output folder cannot be used."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: output path exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise OutputError(
            f"{out_dir}: output folder is not empty (it may hold an earlier release); "
            "choose a new folder or pass --overwrite"
        )
    parent = out_dir.parent if str(out_dir.parent) else Path(".")
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        raise OutputError(f"{probe}: output folder is not writable")
    temp = Path(tempfile.gettempdir()).resolve()
    if temp == out_dir.resolve() or out_dir.resolve() in temp.parents:
        # a compressed input's private copy would be released (or swapped away) with it
        raise OutputError(
            f"{out_dir}: the temporary folder ({temp}, TMPDIR) is inside the output folder; "
            "point TMPDIR elsewhere"
        )


#: bytes per synthetic cell while sampling: the int64 token and the decoded value
SAMPLE_BYTES_PER_CELL = 8 + tables.BYTES_PER_CELL


def _check_rows(rows: int | None) -> None:
    if rows is not None and rows <= 0:
        raise InputError(f"number of rows must be positive, got {rows} (--rows)")


def _check_rows_fit(rows: int | None, columns: int) -> None:
    """Refuse, before the fit, a ``rows`` whose synthetic table cannot fit in memory."""
    if rows is None or os.environ.get(tables.SKIP_MEMORY_CHECK_ENV) == "1":
        return
    avail = tables.available_memory()
    need = rows * max(columns, 1) * SAMPLE_BYTES_PER_CELL
    if avail is not None and need > avail:
        raise TooLargeError(
            f"--rows {rows}: too large for memory: {rows:,} synthetic rows of {columns} "
            f"columns need about {need / 2**30:,.1f} GiB, {avail / 2**30:.1f} GiB available; "
            "ask for fewer rows (or set "
            f"{tables.SKIP_MEMORY_CHECK_ENV}=1 to try anyway)"
        )


@contextmanager
def _dropping_copy(data_path: Path) -> Iterator[None]:
    """Remove a compressed input's decompressed copy on the way out (library use: the CLI
    removes every copy at the end of the command anyway)."""
    from synth.io.compressed import forget

    try:
        yield
    finally:
        forget(data_path)


def run_release(
    data_path: str | Path,
    *,
    epsilon: float,
    out_dir: str | Path,
    schema_path: str | Path | None = None,
    delta: float | None = None,
    engine: str = "auto",
    rows: int | None = None,
    seed: int | None = None,
    overwrite: bool = False,
    engine_options: dict[str, Any] | None = None,
    progress: Progress = no_progress,
    filter_flagged: bool = False,
    cluster: str | None = None,
    insecure_seed: int | None = None,
    argv: list[str] | None = None,
) -> ReleaseResult:
    """Scan (unless a schema is given), split, fit, sample, check and report into ``out_dir``.

    ``rows``: synthetic rows (default: the model's DP estimate of the training rows).
    ``seed``: makes the sampling of synthetic rows reproducible (post-processing); the
    split and the fit draw from fresh OS entropy. ``insecure_seed`` is for tests only: it
    seeds the scan, split and fit too, and the release is then NOT private.

    ``cluster`` (see :func:`synth.cluster.connect`) runs the passes over the rows on Dask:
    the scan's chunks (:func:`privacy.chunked_scan.scan_source`, which also runs in this
    process without a cluster, so the draft schema does not depend on ``cluster``), the
    fit's statistics and the leakage check's neighbour searches. The table itself is read
    into this process (the holdout split, the sampler's size and the report need it), so
    a release is bounded by this machine's memory; workers must see ``data_path`` at the
    same path. The same mechanisms run with or without a cluster (with ``insecure_seed``,
    the same release).

    ``argv``: the command line, recorded in the provenance (paths and options only).
    """
    start = time.perf_counter()
    started_at = utc_now()
    data_path = Path(data_path)
    out_dir = Path(out_dir)
    # bad input fails before a cluster is started
    check_budget(epsilon, delta if delta is not None else 1e-6)
    _check_rows(rows)
    _check_out_dir(out_dir, overwrite)
    # one release at a time into out_dir: a second one fails here, before any work; a
    # compressed input's private copy goes when the release returns, however it ends
    with folder_lock(out_dir), _dropping_copy(data_path):
        data = read_table(data_path)
        _check_rows_fit(rows, data.shape[1])  # before the fit spends minutes
        schema = load_schema(schema_path) if schema_path is not None else None
        # hashed after reading: a file that cannot be read fails there with its clear message
        prov = record(
            data_path=data_path, schema_path=schema_path, argv=argv, started_at=started_at
        )
        clock = {"read": time.perf_counter() - start}
        with connect(cluster) as runner:
            return _release(
                data_path,
                data,
                schema,
                schema_path=None if schema_path is None else Path(schema_path),
                start=start,
                clock=clock,
                epsilon=epsilon,
                out_dir=out_dir,
                delta=delta,
                engine=engine,
                rows=rows,
                seed=seed,
                overwrite=overwrite,
                engine_options=engine_options,
                progress=progress,
                filter_flagged=filter_flagged,
                runner=runner,
                insecure_seed=insecure_seed,
                prov=prov,
            )


#: the scan's findings a reviewed schema may sit next to (``synth scan --json``)
SCAN_BESIDE = "scan.json"


def _scan_beside(
    schema_path: Path | None, data: pd.DataFrame
) -> tuple[dict[str, Any] | None, str | None]:
    """The ``scan.json`` next to the reviewed schema, when it is a scan of a table with
    these columns (its draft is then compared with the schema); else (None, None)."""
    if schema_path is None:
        return None, None
    path = Path(schema_path).parent / SCAN_BESIDE
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if not isinstance(found, dict) or not isinstance(found.get("schema"), dict):
        return None, None
    names = {c.get("name") for c in found.get("columns") or [] if isinstance(c, dict)}
    if names != {str(c) for c in data.columns}:
        return None, None
    return found, f"read from {SCAN_BESIDE} next to the schema"


def _release(
    data_path: Path,
    data: pd.DataFrame,
    schema: Schema | None,
    *,
    schema_path: Path | None,
    start: float,
    clock: dict[str, float],
    epsilon: float,
    out_dir: Path,
    delta: float | None,
    engine: str,
    rows: int | None,
    seed: int | None,
    overwrite: bool,
    engine_options: dict[str, Any] | None,
    progress: Progress,
    filter_flagged: bool,
    runner: Runner,
    insecure_seed: int | None,
    prov: dict[str, Any],
) -> ReleaseResult:
    from privacy.chunked_scan import scan_source
    from privacy.leakage import check_leakage
    from synth.io.chunks import SCAN_CHUNK_BYTES, plan_chunks
    from synth.report import write_check_report
    from synth.report.build import model_codecs

    lap = time.perf_counter()

    def stage_done(name: str) -> None:
        nonlocal lap
        now = time.perf_counter()
        clock[name] = clock.get(name, 0.0) + now - lap
        lap = now

    reviewed = schema is not None
    scan_dict, scan_note = _scan_beside(schema_path, data) if reviewed else (None, None)
    if scan_dict is None:
        # chunks read where the scan runs (a worker, or here one at a time): the same
        # result on any runner; the file was parsed above, so it reads cleanly again.
        # With a reviewed schema the scan is evidence only: the report compares its draft
        # with the steward's schema, column by column.
        chunks = plan_chunks(data_path, SCAN_CHUNK_BYTES)
        result = scan_source(
            chunks, runner, name=table_name(data_path), seed=insecure_seed, progress=progress
        )
        scan_dict = result.to_dict()
        scan_note = "run at release time on this table"
        if schema is None:
            schema = result.schema
        stage_done("scan")
    check_columns(data, schema, str(data_path))
    split_rand = Randomness.create(None if insecure_seed is None else insecure_seed + 7919)
    train, holdout = split_holdout(data, schema, split_rand.rng)

    with staged_directory(out_dir, overwrite=overwrite) as stage:
        header = f"Schema used for the release of {data_path.name}.\n" + (
            "" if reviewed else "Drafted by `synth scan`: review roles, actions and domains.\n"
        )
        save_schema(schema, stage / "schema.yaml", header=header)
        if scan_dict is not None:
            atomic_write_text(stage / "scan.json", _dump(scan_dict))

        model = Synthesizer(
            schema,
            epsilon=epsilon,
            delta=delta,
            engine=engine,
            seed=seed,
            engine_options=engine_options,
            insecure_fit_seed=insecure_seed,
        )
        model.fit(train, source=str(data_path), progress=progress, runner=runner)
        stage_done("fit")
        model.save(stage / "model.synth")
        described = model.describe()
        atomic_write_text(stage / "ledger.json", _dump(described["ledger"]))

        progress("sampling", 0, 1)
        synthetic = model.sample(rows)  # default: the model's DP estimate of the rows
        progress("sampling", 1, 1)
        stage_done("sample")

        leak = check_leakage(
            train,
            holdout,
            synthetic,
            schema,
            progress=progress,
            runner=runner,
            seed=insecure_seed,  # None: fresh OS entropy, as every draw touching real rows
        )
        dp_sample = synthetic  # the model's output: its quantiles may label the report's bins
        if filter_flagged:  # looks at real data: outside the DP guarantee (said in the report)
            from privacy.leakage.filter import filter_flagged as drop_flagged

            synthetic, leak = drop_flagged(synthetic, leak)
        leak_dict = leak.to_dict()
        atomic_write_text(stage / "leakage.json", _dump(leak_dict))
        passed = bool(leak.passed)
        stage_done("check")

        # synthetic.csv before the report, so that the report can list its hash
        if passed:
            write_table(synthetic, stage / "synthetic.csv", model.output_decimals())
        stage_done("write")

        progress("report", 0, 1)
        written = sorted(p.name for p in stage.iterdir())
        write_check_report(
            stage,
            leak=leak,
            train=train,
            synthetic=synthetic,
            schema=schema,
            model=described,
            scan=scan_dict,
            holdout=holdout,
            provenance=finish(prov, stage, written, REPORT_NOT_HASHED),
            codecs=model_codecs(model),
            dp_sample=dp_sample,
            schema_reviewed=reviewed,
            scan_note=scan_note,
        )
        progress("report", 1, 1)
        stage_done("report")

        eps, dlt = model.ledger.spent()
        res = ReleaseResult(
            out_dir=out_dir,
            passed=passed,
            epsilon_spent=eps,
            delta_spent=dlt,
            blocked_by=[m["name"] for m in leak_dict["metrics"] if m["verdict"] == "block"],
            seconds=time.perf_counter() - start,
            rows=len(synthetic),
            privacy=described["privacy"],
            randomness=described["randomness"],
            schema_source=REVIEWED if reviewed else DRAFT,
            empty_columns=empty_columns(model.domain_notes),
            blank_shares=model.blank_shares(),
        )
        written = sorted(p.name for p in stage.iterdir())
        res.files = sorted([*written, "release.json"])
        res.provenance = shareable(finish(prov, stage, written, RELEASE_NOT_HASHED))
        stage_done("provenance")
        res.stages = dict(clock)
        res.seconds = time.perf_counter() - start
        atomic_write_text(stage / "release.json", _dump(res.to_dict()))
    return res

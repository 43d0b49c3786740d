"""The leakage check partitioned over real-row blocks (issue #8): identical on Dask.

The neighbour searches are cut into fixed blocks of real rows and merged exactly on the
driver in block order, so the result must not depend on the runner. A small ``ref_rows``
makes several blocks on the sample table. The chunked check (train and holdout read in
chunks, normalised where the chunk is loaded) must equal the whole-frame check on the
same files, in-process and on Dask.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from privacy.leakage import LeakageResult, check_leakage
from privacy.leakage.chunked import check_leakage_chunks
from synth.io.chunks import plan_chunks
from synth.io.tables import read_table
from synth.schema.io import load_schema

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "sample_data" / "patients.csv"
SCHEMA = ROOT / "schemas" / "patients.yaml"
#: real rows per task: 4000 training rows make 8 blocks, 1000 holdout rows 2
REF_ROWS = 512
BLOCK_ROWS = 512


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    df = read_table(DATA)
    train, holdout = df.iloc[:4000].reset_index(drop=True), df.iloc[4000:].reset_index(drop=True)
    rng = np.random.default_rng(3)
    n = 1000
    synthetic = pd.DataFrame(
        {c: train[c].to_numpy()[rng.integers(0, len(train), n)] for c in train.columns}
    )
    synthetic.iloc[:40] = train.iloc[rng.integers(0, len(train), 40)].to_numpy()  # copies
    return train, holdout, synthetic


@pytest.fixture(scope="module")
def in_process(frames) -> LeakageResult:
    return check_leakage(
        *frames, load_schema(SCHEMA), block_rows=BLOCK_ROWS, ref_rows=REF_ROWS, seed=1
    )


def assert_identical(a: LeakageResult, b: LeakageResult) -> None:
    # JSON text: exact for floats (shortest repr round-trips) and NaN-safe
    assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)
    for name in ("dcr_train", "dcr_holdout", "flagged"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert [_metric(m) for m in a.metrics] == [_metric(m) for m in b.metrics]


def _metric(m: Any) -> tuple[Any, ...]:
    return (m.name, m.value, m.baseline, m.interval, m.threshold, m.verdict)


def test_check_is_identical_on_a_two_worker_cluster(frames, in_process, cluster):
    on_dask = check_leakage(
        *frames,
        load_schema(SCHEMA),
        block_rows=BLOCK_ROWS,
        ref_rows=REF_ROWS,
        seed=1,
        runner=cluster,
    )
    assert_identical(in_process, on_dask)
    names = {m.name for m in in_process.metrics}
    assert {"dcr_share", "nndr", "dcr_share_qi"} <= names
    assert len(in_process.flagged) >= 40


def test_block_size_changes_no_distance(frames, in_process):
    """One block per part (the unpartitioned search) finds the same distances."""
    whole = check_leakage(*frames, load_schema(SCHEMA), ref_rows=1 << 20, seed=1)
    np.testing.assert_allclose(whole.dcr_train, in_process.dcr_train, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(whole.dcr_holdout, in_process.dcr_holdout, rtol=1e-12, atol=1e-12)
    assert np.array_equal(whole.flagged, in_process.flagged)
    assert [m.verdict for m in whole.metrics] == [m.verdict for m in in_process.metrics]


# -- chunked inputs -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(frames, tmp_path_factory) -> tuple[Path, Path]:
    """The train and holdout frames as CSV files (cells as text, as read_table reads them)."""
    folder = tmp_path_factory.mktemp("check_chunks")
    train, holdout, _ = frames
    paths = folder / "train.csv", folder / "holdout.csv"
    for df, path in zip((train, holdout), paths, strict=True):
        df.to_csv(path, index=False)
    return paths


def _chunks(files: tuple[Path, Path]) -> tuple[list[Any], list[Any]]:
    train, holdout = plan_chunks(files[0], 150_000), plan_chunks(files[1], 100_000)
    assert len(train) >= 4 and len(holdout) >= 2
    return train, holdout


def test_chunked_check_equals_the_whole_file_check(files, frames):
    schema = load_schema(SCHEMA)
    synthetic = frames[2]
    whole = check_leakage(
        read_table(files[0]), read_table(files[1]), synthetic, schema, ref_rows=1024, seed=1
    )
    chunked = check_leakage_chunks(*_chunks(files), synthetic, schema, ref_rows=1024, seed=1)
    assert_identical(whole, chunked)


def test_chunked_check_without_schema_infers_the_same_columns(frames, tmp_path):
    """Parquet row groups, some columns typed: dtype and value-based inference over chunks."""
    train, holdout, synthetic = (df.copy() for df in frames)
    for df in (train, holdout):
        for name in ("age", "systolic_bp", "hemoglobin_g_dl"):
            df[name] = pd.to_numeric(df[name])
    paths = tmp_path / "train.parquet", tmp_path / "holdout.parquet"
    train.to_parquet(paths[0], row_group_size=500, index=False)
    holdout.to_parquet(paths[1], row_group_size=300, index=False)
    chunks = plan_chunks(paths[0], 64 * 500), plan_chunks(paths[1], 64 * 300)
    assert len(chunks[0]) >= 4 and len(chunks[1]) >= 2
    kw: dict[str, Any] = {"attack": False, "ref_rows": 1024, "seed": 2}
    whole = check_leakage(read_table(paths[0]), read_table(paths[1]), synthetic, **kw)
    chunked = check_leakage_chunks(*chunks, synthetic, **kw)
    assert_identical(whole, chunked)
    assert len(chunked.columns_used) >= 10


def test_chunked_check_on_dask_equals_in_process(files, frames, cluster):
    schema = load_schema(SCHEMA)
    train, holdout = _chunks(files)
    kw: dict[str, Any] = {"ref_rows": 2048, "block_rows": BLOCK_ROWS, "attack": False, "seed": 3}
    local = check_leakage_chunks(train, holdout, frames[2], schema, **kw)
    on_dask = check_leakage_chunks(train, holdout, frames[2], schema, runner=cluster, **kw)
    assert_identical(local, on_dask)

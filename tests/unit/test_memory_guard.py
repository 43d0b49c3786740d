"""Inputs larger than memory are refused before they are read (issue #7, item 5).

The guard is the real one (``synth.io.tables.check_fits_in_memory``); only the figure for
available memory is made small, so a small file plays the part of a huge one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synth.errors import InputError, TooLargeError
from synth.io import tables
from synth.io.tables import estimate_memory, read_table

CANARY = "ZQX-CANARY-7731"


def _csv(tmp_path: Path, rows: int = 2000) -> Path:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], rows),
            "age": rng.integers(18, 95, rows).astype(str),
            "note": [CANARY] * rows,
        }
    )
    p = tmp_path / "t.csv"
    df.to_csv(p, index=False)
    return p


def test_estimate_covers_what_reading_takes(tmp_path: Path) -> None:
    p = _csv(tmp_path, 20_000)
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    in_memory = int(df.memory_usage(deep=True).sum())
    est = estimate_memory(p)
    assert in_memory <= est <= 4 * in_memory
    q = tmp_path / "t.parquet"
    df.to_parquet(q)
    assert in_memory <= estimate_memory(q) <= 4 * in_memory


def test_refused_when_it_does_not_fit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = _csv(tmp_path)
    need = estimate_memory(p)
    monkeypatch.setattr(tables, "available_memory", lambda: need)  # half is kept free
    with pytest.raises(TooLargeError) as exc:
        read_table(p)
    msg = str(exc.value)
    assert str(p) in msg and "too large for memory" in msg and CANARY not in msg
    assert tables.SKIP_MEMORY_CHECK_ENV in msg  # says how to override
    assert isinstance(exc.value, InputError) and exc.value.exit_code == 2


def test_read_when_it_fits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = _csv(tmp_path)
    monkeypatch.setattr(tables, "available_memory", lambda: 2 * estimate_memory(p) + 1)
    assert len(read_table(p)) == 2000


def test_override_and_unknown_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = _csv(tmp_path)
    monkeypatch.setattr(tables, "available_memory", lambda: 1024)
    with pytest.raises(TooLargeError):
        read_table(p)
    monkeypatch.setenv(tables.SKIP_MEMORY_CHECK_ENV, "1")
    assert len(read_table(p)) == 2000
    monkeypatch.delenv(tables.SKIP_MEMORY_CHECK_ENV)
    monkeypatch.setattr(tables, "available_memory", lambda: None)  # no /proc/meminfo
    assert len(read_table(p)) == 2000


def test_parquet_folder_is_summed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    df = pd.read_csv(_csv(tmp_path), dtype=str)
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(3):
        df.to_parquet(folder / f"part-{i}.parquet")
    one = estimate_memory(folder / "part-0.parquet")
    assert estimate_memory(folder) == 3 * one
    monkeypatch.setattr(tables, "available_memory", lambda: 4 * one)  # fits one part, not 3
    with pytest.raises(TooLargeError):
        read_table(folder)


def test_available_memory_is_read_from_the_kernel() -> None:
    avail = tables.available_memory()
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        assert avail is None
        return
    fields = {
        line.split(":")[0]: int(line.split()[1]) * 1024
        for line in meminfo.read_text().splitlines()
        if line.split(":")[0] in ("MemAvailable", "MemTotal")
    }
    assert avail is not None and 0 < avail <= fields["MemTotal"]
    # the kernel's own figure a moment later: within 5 % of the machine's memory
    assert abs(avail - fields["MemAvailable"]) < 0.05 * fields["MemTotal"]

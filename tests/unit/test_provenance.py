"""synth.provenance: streaming hashes, versions, the record a release keeps, and the check
``synth verify`` runs."""

from __future__ import annotations

import doctest
import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synth.provenance as provenance
from synth.provenance import (
    NOT_INSTALLED,
    PRIVACY_DEPENDENCIES,
    RELEASE_NOT_HASHED,
    check_files,
    finish,
    hash_files,
    hash_input,
    record,
    sha256_file,
    shareable,
    utc_now,
    versions,
)


def test_doctests_pass() -> None:
    res = doctest.testmod(provenance)
    assert res.attempted >= 5 and res.failed == 0


@pytest.mark.parametrize("size", [0, 1, 6, 7, 8, 1000])
def test_streaming_hash_equals_hash_of_the_whole_file(tmp_path: Path, size: int) -> None:
    """Read 7 bytes at a time: file sizes below, at and across chunk boundaries."""
    blob = np.random.default_rng(size).bytes(size)
    p = tmp_path / "f.bin"
    p.write_bytes(blob)
    assert sha256_file(p, chunk=7) == hashlib.sha256(blob).hexdigest() == sha256_file(p)


def test_hash_reads_in_chunks_not_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "f.bin"
    p.write_bytes(b"a" * 5000)
    sizes: list[int] = []
    real_open = open

    class Spy:
        def __init__(self, fh):
            self.fh = fh

        def read(self, n: int = -1) -> bytes:
            sizes.append(n)
            return self.fh.read(n)

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.fh.close()

    monkeypatch.setattr(provenance, "open", lambda *a, **k: Spy(real_open(*a, **k)), raising=False)
    sha256_file(p, chunk=1024)
    assert sizes and all(0 < n <= 1024 for n in sizes)  # never read(-1)


def test_versions_of_installed_and_absent_packages() -> None:
    v = versions(("numpy", "pandas", "no-such-distribution-zz"))
    assert v["numpy"] == np.__version__
    assert v["pandas"] == pd.__version__
    assert v["no-such-distribution-zz"] == NOT_INSTALLED
    assert set(versions()) == set(PRIVACY_DEPENDENCIES)
    assert {"opacus", "torch", "numpy", "pandas", "presidio-analyzer", "mbi"} <= set(versions())


def test_utc_now_is_iso_utc() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", utc_now())


def test_hash_input_of_a_folder_hashes_the_parquet_files_read(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1, 2, 3]})
    df.to_parquet(tmp_path / "b.parquet")
    df.head(1).to_parquet(tmp_path / "a.parquet")
    (tmp_path / "notes.txt").write_text("not read by read_table")
    got = hash_input(tmp_path)
    assert [Path(g["path"]).name for g in got] == ["a.parquet", "b.parquet"]
    for g in got:
        assert g["sha256"] == hashlib.sha256(Path(g["path"]).read_bytes()).hexdigest()
        assert set(g) == {"path", "sha256"}  # no size: it would tell the number of rows
    single = hash_input(tmp_path / "a.parquet")
    assert len(single) == 1 and single[0]["sha256"] == got[0]["sha256"]


def test_record_then_finish(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a\n1\n")
    (tmp_path / "s.yaml").write_text("columns: []\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.synth").write_bytes(b"model")
    start = utc_now()
    prov = record(
        data_path=tmp_path / "data.csv",
        schema_path=tmp_path / "s.yaml",
        argv=["synth", "release", "data.csv"],
        started_at=start,
    )
    assert prov["schema_file"]["sha256"] == sha256_file(tmp_path / "s.yaml")
    assert prov["inputs"][0]["sha256"] == sha256_file(tmp_path / "data.csv")
    assert prov["files"] == {} and prov["finished_at"] is None
    assert prov["package"]["name"] == "steward-synth" and prov["package"]["version"]
    done = finish(prov, out, ["model.synth"], RELEASE_NOT_HASHED)
    assert done["files"] == {"model.synth": {"sha256": hashlib.sha256(b"model").hexdigest()}}
    assert done["not_hashed"]["files"] == ["release.json"]
    assert done["finished_at"] >= done["started_at"] == start
    assert prov["files"] == {}  # finish copies: the record before outputs is unchanged
    no_schema = record(
        data_path=tmp_path / "data.csv", schema_path=None, argv=None, started_at=start
    )
    assert no_schema["schema_file"] is None and no_schema["argv"] is None


def test_check_files_names_each_kind_of_difference(tmp_path: Path) -> None:
    for name in ("a.csv", "b.synth", "c.json", "release.json"):
        (tmp_path / name).write_bytes(name.encode())
    listed = hash_files(tmp_path, ["a.csv", "b.synth", "c.json"])
    assert check_files(tmp_path, listed, ignore=("release.json",)).intact
    assert not check_files(tmp_path, listed).intact  # release.json unlisted, not ignored

    blob = bytearray((tmp_path / "a.csv").read_bytes())
    blob[0] ^= 1  # one bit
    (tmp_path / "a.csv").write_bytes(bytes(blob))
    (tmp_path / "b.synth").unlink()
    (tmp_path / "extra.csv").write_text("x")
    c = check_files(tmp_path, listed, ignore=("release.json",))
    assert (c.ok, c.changed, c.missing, c.extra) == (
        ["c.json"],
        ["a.csv"],
        ["b.synth"],
        ["extra.csv"],
    )
    assert not c.intact


def test_shareable_provenance_names_the_input_without_its_hash(tmp_path: Path) -> None:
    """A hash of the real table would let anyone with a candidate table confirm it: the
    shareable record (release.json) keeps the path only."""
    (tmp_path / "data.csv").write_text("a\n1\n")
    prov = record(
        data_path=tmp_path / "data.csv", schema_path=None, argv=None, started_at=utc_now()
    )
    digest = sha256_file(tmp_path / "data.csv")
    shared = shareable(prov)
    assert digest in str(prov) and digest not in str(shared)
    assert shared["inputs"] == [{"path": str(tmp_path / "data.csv")}]
    assert "report.json" in shared["inputs_note"]
    assert prov["inputs"][0]["sha256"] == digest  # the internal record is unchanged

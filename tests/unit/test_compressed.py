"""Compressed and tab-separated tables read directly (issue 20): the whole-file reader and
the chunked reader agree with the plain CSV, the private copy is 0600 in a 0700 folder
outside the working folder and goes at clean-up, and bad archives fail with a message
naming the user's file (never the temporary copy, never a value)."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synth.errors import InputError, TooLargeError
from synth.io import compressed
from synth.io.chunks import plan_chunks
from synth.io.tables import read_table, write_table

SECRET = "Zyxwvut-Qqq"


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    compressed.cleanup()
    yield
    compressed.cleanup()


def _frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "zip": [f"{z:05d}" for z in rng.integers(0, 99999, n)],  # leading zeros kept
            "note": rng.choice(["a, b", 'say "hi"', "line\nbreak", ""], n),
            "sex": rng.choice(["F", "M"], n),
        }
    ).replace("", None)


def _text(df: pd.DataFrame, sep: str = ",") -> bytes:
    return df.to_csv(index=False, sep=sep, lineterminator="\n").encode()


def _write(tmp: Path, name: str, df: pd.DataFrame) -> Path:
    p = tmp / name
    inner = name.rsplit(".", 1)[0] if not name.endswith(".zip") else "inner.csv"
    sep = "\t" if inner.endswith(".tsv") or name.endswith(".tsv") else ","
    raw = _text(df, sep)
    if name.endswith(".gz"):
        p.write_bytes(gzip.compress(raw))
    elif name.endswith(".bz2"):
        p.write_bytes(bz2.compress(raw))
    elif name.endswith(".xz"):
        p.write_bytes(lzma.compress(raw))
    elif name.endswith(".zip"):
        with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("__MACOSX/._inner.csv", b"resource fork")  # what macOS zips add
            zf.writestr(inner, raw)
    else:
        p.write_bytes(raw)
    return p


@pytest.mark.parametrize(
    "name", ["t.csv.gz", "t.csv.bz2", "t.csv.xz", "t.tsv.gz", "t.zip", "t.tsv", "t.gz"]
)
def test_compressed_and_tsv_read_as_the_plain_csv(tmp_path: Path, name: str) -> None:
    df = _frame()
    p = _write(tmp_path, name, df)
    whole = read_table(p)
    pd.testing.assert_frame_equal(whole, df, check_dtype=False)
    chunks = plan_chunks(p, chunk_bytes=512)
    assert len(chunks) > 1  # the chunked passes seek inside the copy
    parts = pd.concat([c.load() for c in chunks])
    pd.testing.assert_frame_equal(parts.reset_index(drop=True), df, check_dtype=False)


def test_the_private_copy_is_made_once_kept_private_and_removed(tmp_path: Path) -> None:
    p = _write(tmp_path, "t.csv.gz", _frame())
    read_table(p)
    chunks = plan_chunks(p)
    copy = Path(chunks[0].path)
    assert copy.name == "t.csv" and copy.exists()
    assert len(list(Path(str(compressed._state["dir"])).rglob("*.csv"))) == 1  # decompressed once
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(str(compressed._state["dir"])).stat().st_mode) == 0o700
    assert tmp_path not in copy.parents  # never beside the input or the outputs
    assert chunks[0].shown == str(p)
    compressed.cleanup()
    assert not copy.exists() and not copy.parent.parent.exists()


def test_a_changed_file_is_decompressed_again(tmp_path: Path) -> None:
    p = _write(tmp_path, "t.csv.gz", _frame(50))
    assert len(read_table(p)) == 50
    p.write_bytes(gzip.compress(_text(_frame(80))))
    os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 10**9))
    assert len(read_table(p)) == 80


def _zip(tmp: Path, members: dict[str, bytes]) -> Path:
    p = tmp / "t.zip"
    with zipfile.ZipFile(p, "w") as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    return p


BAD = [
    ("zip-two-members", lambda t: _zip(t, {"a.csv": b"x\n1\n", "b.csv": b"x\n2\n"}), "2 files"),
    ("zip-empty", lambda t: _zip(t, {}), "no file"),
    ("zip-not-csv", lambda t: _zip(t, {"a.xlsx": SECRET.encode()}), "not a CSV"),
    ("zip-parquet", lambda t: _zip(t, {"a.parquet": SECRET.encode()}), "Parquet"),
    ("gz-parquet", lambda t: _bytes(t, "a.parquet.gz", gzip.compress(b"PAR1")), "Parquet"),
    ("gz-not-gzip", lambda t: _bytes(t, "a.csv.gz", SECRET.encode()), "not readable gzip"),
    (
        "gz-truncated",
        lambda t: _bytes(t, "a.csv.gz", gzip.compress(f"x\n{SECRET}\n".encode() * 50)[:40]),
        "truncated or corrupt",
    ),
    ("bz2-corrupt", lambda t: _bytes(t, "a.csv.bz2", b"BZh9" + SECRET.encode()), "bzip2"),
    ("xz-corrupt", lambda t: _bytes(t, "a.csv.xz", SECRET.encode()), "xz"),
    ("zip-corrupt", lambda t: _bytes(t, "a.zip", b"PK\x03\x04" + SECRET.encode()), "zip"),
    ("zstd", lambda t: _bytes(t, "a.csv.zst", b"\x28\xb5\x2f\xfd" + SECRET.encode()), "zstd"),
]


def _bytes(tmp: Path, name: str, raw: bytes) -> Path:
    p = tmp / name
    p.write_bytes(raw)
    return p


@pytest.mark.parametrize("build,needle", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_archives_are_clear_errors(tmp_path: Path, build, needle: str) -> None:
    p = build(tmp_path)
    for reader in (read_table, plan_chunks):
        with pytest.raises(InputError) as info:
            reader(p)
        msg = str(info.value)
        assert msg.startswith(f"{p}:") and needle in msg, msg
        assert SECRET not in msg and "synth-input-" not in msg
    leftovers = compressed._state["dir"]
    assert leftovers is None or not any(Path(str(leftovers)).rglob("*.*"))


def test_encrypted_zip_member_is_refused(tmp_path: Path) -> None:
    p = _zip(tmp_path, {"a.csv": b"x\n1\n"})
    blob = bytearray(p.read_bytes())
    blob[6] |= 0x1  # local header's flag bits: "encrypted"
    central = blob.rfind(b"PK\x01\x02")
    blob[central + 8] |= 0x1  # the central directory's copy, which zipfile reads
    p.write_bytes(bytes(blob))
    with pytest.raises(InputError, match="encrypted"):
        read_table(p)


def test_decompression_bomb_stops_at_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tiny gzip of 64 MiB of one repeated line: refused at a 16 MiB limit, with the
    limit and how to raise it, and no partial copy left."""
    raw = b"a,b\n" + b"1,2\n" * (16 << 20)
    p = _bytes(tmp_path, "bomb.csv.gz", gzip.compress(raw, compresslevel=9))
    assert p.stat().st_size < 1 << 20
    monkeypatch.setenv(compressed.LIMIT_ENV, str(16 / 1024))
    with pytest.raises(TooLargeError) as info:
        read_table(p)
    msg = str(info.value)
    assert "more than 16.0 MiB" in msg and compressed.LIMIT_ENV in msg
    assert not any(Path(str(compressed._state["dir"])).rglob("bomb*"))


def test_limit_setting_must_be_a_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = _write(tmp_path, "t.csv.gz", _frame(10))
    monkeypatch.setenv(compressed.LIMIT_ENV, "lots")
    with pytest.raises(InputError, match=compressed.LIMIT_ENV):
        read_table(p)


def test_errors_inside_a_compressed_table_name_the_users_file(tmp_path: Path) -> None:
    p = _bytes(tmp_path, "r.csv.gz", gzip.compress(f"a,b\n1,2\n3,4,{SECRET}\n".encode()))
    for reader in (read_table, lambda x: [c.load() for c in plan_chunks(x)]):
        with pytest.raises(InputError) as info:
            reader(p)
        msg = str(info.value)
        assert msg.startswith(f"{p}: line 3") and SECRET not in msg, msg


def test_tsv_is_written_tab_separated(tmp_path: Path) -> None:
    df = _frame(20)
    write_table(df, tmp_path / "o.tsv")
    assert "\t" in (tmp_path / "o.tsv").read_text().splitlines()[0]
    pd.testing.assert_frame_equal(read_table(tmp_path / "o.tsv"), df, check_dtype=False)


def test_the_clean_up_every_command_imports_is_light() -> None:
    """``synth.cli.common.run`` imports this module for every command: it must not load
    pandas or numpy before a bad input is answered (issue 20: input errors in < 1 s)."""
    import subprocess
    import sys

    code = (
        "import sys, synth.io.compressed; "
        "print(sorted(m for m in ('pandas', 'numpy', 'torch') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_forget_drops_one_files_copy(tmp_path: Path) -> None:
    a = _write(tmp_path, "a.csv.gz", _frame(20))
    b = _write(tmp_path, "b.csv.bz2", _frame(30))
    copy_a, copy_b = Path(plan_chunks(a)[0].path), Path(plan_chunks(b)[0].path)
    compressed.forget(a)
    assert not copy_a.exists() and copy_b.exists()
    compressed.forget(tmp_path / "plain.csv")  # not compressed: nothing to do
    assert len(read_table(a)) == 20  # decompressed again when read again

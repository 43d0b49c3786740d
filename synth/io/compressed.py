"""Compressed tables (``.csv.gz``, ``.csv.bz2``, ``.csv.xz``, ``.zip`` holding one CSV),
read by decompressing them once into a private temporary file.

Why a file and not a stream: the passes over the rows (:mod:`synth.io.chunks`) find the
record ends once and then seek to byte ranges, from this process or from a worker; a
compressed stream cannot seek. So the first reader of a compressed path decompresses it
into ``<tmp>/synth-input-XXXX/<a folder per copy>/<inner name>`` and every later reader
in the process (the release reads, scans and hashes the same input) gets that copy:

* the folder is made by :func:`tempfile.mkdtemp` (mode 0700) and the file is created
  0600, in the system's temporary folder (``TMPDIR``), never next to the outputs;
* it is removed when the command ends (:func:`cleanup`, called by the CLI on success,
  error, Ctrl-C and SIGTERM), when :func:`synth.release` returns (:func:`forget`), and at
  interpreter exit (``atexit``) for other library use; a SIGKILL can leave it, as it
  would leave any temporary file; ``synth release`` refuses a ``TMPDIR`` inside its
  output folder;
* decompression stops at a size limit (:data:`DEFAULT_LIMIT_GB` GiB, or
  ``SYNTH_MAX_DECOMPRESSED_GB``; lower when the temporary folder has less space free), so
  a decompression bomb ends in a clear error, not a full disk;
* a zip must hold exactly one file (macOS ``__MACOSX/`` entries aside), and it must be a
  CSV or TSV (``.csv``, ``.tsv``, ``.txt``); the inner name's suffix chooses the separator.

Messages name the user's file (``data.csv.gz``), never the temporary copy. Workers of a
remote ``--cluster`` must see the copy at the same path: point ``TMPDIR`` at a folder
they share.
"""

from __future__ import annotations

import atexit
import bz2
import gzip
import lzma
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

from synth.errors import InputError, TooLargeError

#: compressed suffixes read directly, and the format's name in messages
READABLE = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zip": "zip"}
#: recognised but not read (no decoder in the standard library)
UNREADABLE = {".zst": "zstd"}
#: suffixes a member / inner file may have to be read as CSV (``""``: a bare name)
TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ""}
#: default ceiling of one decompressed input, in GiB
DEFAULT_LIMIT_GB = 16.0
LIMIT_ENV = "SYNTH_MAX_DECOMPRESSED_GB"
#: kept free in the temporary folder beyond the decompressed copy
_FREE_MARGIN = 256 << 20
_BLOCK = 1 << 20

_state: dict[str, object] = {"dir": None}
#: (resolved path, mtime_ns, size) → (decompressed copy, inner name)
_copies: dict[tuple[str, int, int], tuple[Path, str]] = {}


def is_compressed(path: Path) -> bool:
    """Whether ``path``'s last suffix names a compressed format (read or not)."""
    return path.suffix.lower() in READABLE or path.suffix.lower() in UNREADABLE


def inner_name(path: Path) -> str:
    """The name of the table inside a single-file compressed file: ``data.csv.gz`` →
    ``data.csv`` (a zip's inner name is its member's, known once it is opened).

    >>> inner_name(Path("/x/visits.tsv.bz2"))
    'visits.tsv'
    """
    return path.name[: -len(path.suffix)] if path.suffix else path.name


def table_name(path: Path) -> str:
    """The table's name for a draft schema: the file name without its suffixes of format
    and compression (``visits.csv.gz`` → ``visits``, ``visits.csv`` → ``visits``).

    >>> table_name(Path("visits.csv.gz")), table_name(Path("visits.parquet"))
    ('visits', 'visits')
    """
    inner = Path(inner_name(path)) if is_compressed(path) else path
    return inner.stem


def limit_bytes() -> int:
    """The most bytes one input may decompress to (``SYNTH_MAX_DECOMPRESSED_GB``)."""
    raw = os.environ.get(LIMIT_ENV)
    try:
        gb = float(raw) if raw else DEFAULT_LIMIT_GB
    except ValueError:
        raise InputError(f"{LIMIT_ENV}={raw!r} is not a number of GiB") from None
    if not gb > 0:
        raise InputError(f"{LIMIT_ENV} must be a positive number of GiB")
    return int(gb * 2**30)


def _temp_dir() -> Path:
    d = _state["dir"]
    if d is None or not Path(str(d)).is_dir():
        d = Path(tempfile.mkdtemp(prefix="synth-input-"))  # mode 0700
        _state["dir"] = d
    return Path(str(d))


def cleanup() -> None:
    """Remove every decompressed copy of this process (and their folder)."""
    d = _state["dir"]
    if d is not None:  # removed before it is forgotten: an interrupted removal is retried
        shutil.rmtree(str(d), ignore_errors=True)
    _copies.clear()
    _state["dir"] = None


atexit.register(cleanup)


def forget(path: str | Path) -> None:
    """Remove the decompressed copy of ``path`` made by this process, if any (a library
    call such as :func:`synth.release` drops its copy when it returns, not at exit)."""
    p = Path(path)
    if p.suffix.lower() not in READABLE:
        return
    try:
        resolved = str(p.resolve())
    except OSError:
        return
    for key in [k for k in _copies if k[0] == resolved]:
        copy, _ = _copies.pop(key)
        shutil.rmtree(copy.parent, ignore_errors=True)


def _check_name(path: Path, name: str) -> None:
    suffix = Path(name).suffix.lower()
    if suffix in {".parquet", ".pq"}:
        raise InputError(
            f"{path}: a compressed Parquet file is not read; Parquet compresses its own "
            "columns: give the .parquet file itself"
        )
    if suffix not in TEXT_SUFFIXES:
        raise InputError(
            f"{path}: the compressed file holds '{Path(name).name}', not a CSV or TSV "
            "(.csv, .tsv or .txt)"
        )


def _zip_member(path: Path, zf: zipfile.ZipFile) -> zipfile.ZipInfo:
    files = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
    if not files:
        raise InputError(f"{path}: the zip holds no file")
    if len(files) > 1:
        raise InputError(
            f"{path}: the zip holds {len(files)} files; zip one CSV per file (or unzip it "
            "and give the CSV)"
        )
    member = files[0]
    _check_name(path, member.filename)
    if member.flag_bits & 0x1:
        raise InputError(f"{path}: the zip is encrypted; unzip it with its password first")
    return member


def _copy_limited(src: IO[bytes], dst: IO[bytes], path: Path, limit: int, where: Path) -> None:
    done = 0
    while True:
        block = src.read(_BLOCK)
        if not block:
            return
        done += len(block)
        if done > limit:
            size = f"{limit / 2**30:.1f} GiB" if limit >= 2**30 else f"{limit / 2**20:.1f} MiB"
            raise TooLargeError(
                f"{path}: decompresses to more than {size}, the limit for a compressed input "
                f"(the free space in {where} and {LIMIT_ENV}, default {DEFAULT_LIMIT_GB:g}); "
                f"decompress it yourself, or raise {LIMIT_ENV} if it is genuine"
            )
        dst.write(block)


def _opener(path: Path, kind: str) -> Callable[[], IO[bytes]]:
    if kind == "gzip":
        return lambda: gzip.open(path, "rb")
    if kind == "bzip2":
        return lambda: bz2.open(path, "rb")
    return lambda: lzma.open(path, "rb")


def _decompress(path: Path) -> tuple[Path, str]:
    kind = READABLE[path.suffix.lower()]
    folder = _temp_dir()
    free = shutil.disk_usage(folder).free
    limit = max(0, min(limit_bytes(), free - _FREE_MARGIN))
    zf: zipfile.ZipFile | None = None
    try:
        if kind == "zip":
            zf = zipfile.ZipFile(path)
            member = _zip_member(path, zf)
            name = Path(member.filename).name
            open_src: Callable[[], IO[bytes]] = lambda: zf.open(member)  # noqa: E731
        else:
            name = inner_name(path)
            _check_name(path, name)
            open_src = _opener(path, kind)
        own = Path(tempfile.mkdtemp(dir=folder))  # one folder per copy: names may repeat
        target = own / (name or "table.csv")
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with open_src() as src, os.fdopen(fd, "wb") as dst:
                _copy_limited(src, dst, path, limit, folder.parent)
        except BaseException:
            shutil.rmtree(own, ignore_errors=True)
            raise
    except (zipfile.BadZipFile, gzip.BadGzipFile, lzma.LZMAError, zlib.error, EOFError) as exc:
        raise InputError(
            f"{path}: not readable {kind} data (truncated or corrupt: {type(exc).__name__})"
        ) from None
    except OSError as exc:
        if isinstance(exc, PermissionError) and not os.access(path, os.R_OK):
            raise
        if exc.errno is None and kind == "bzip2":  # bz2: "Invalid data stream"
            raise InputError(f"{path}: not readable bzip2 data (truncated or corrupt)") from None
        raise InputError(
            f"{path}: cannot decompress ({exc.strerror or type(exc).__name__})"
        ) from None
    finally:
        if zf is not None:
            zf.close()
    return target, name


def plain_copy(path: Path) -> tuple[Path, str]:
    """A seekable plain file holding ``path``'s table, and the table's own file name (its
    suffix chooses the separator): ``path`` itself unless it is compressed, else its
    private decompressed copy (made once per process and file version)."""
    suffix = path.suffix.lower()
    if suffix in UNREADABLE:
        raise InputError(
            f"{path}: {UNREADABLE[suffix]}-compressed files are not read directly; "
            "decompress it first, or compress it as .gz, .bz2, .xz or .zip"
        )
    if suffix not in READABLE:
        return path, path.name
    st = path.stat()  # missing or unreadable: the caller's message
    if not os.access(path, os.R_OK):
        raise PermissionError(path)
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    found = _copies.get(key)
    if found is not None and found[0].exists():
        return found
    made = _decompress(path)
    _copies[key] = made
    return made

"""Tables read in chunks: CSV byte ranges and Parquet row groups, each loadable anywhere.

:func:`plan_chunks` splits a CSV file, a Parquet file or a folder of Parquet files into
:class:`Chunk` specs without reading the data into memory: a CSV is cut at record ends
(a newline outside double quotes, found with a streaming quote-parity scan, so quoted
multi-line text stays whole), a Parquet file at row-group boundaries. A chunk knows its
first global row, so row-level decisions (samples, splits) do not depend on how the file
was cut. ``Chunk.load()`` returns a DataFrame read exactly as :func:`read_table` reads the
whole file (CSV cells as text, empty = missing), so chunked and whole-file paths agree.

Memory: reading holds one chunk (``chunk_bytes`` of CSV, about ``CSV_COPIES`` ×
``BYTES_PER_CELL`` per cell in pandas) plus the scan buffer (``_SCAN_BYTES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from synth.cluster import Chunkish
from synth.errors import InputError
from synth.io.compressed import plain_copy
from synth.io.tables import (
    CSV_SUFFIXES,
    EXPECTED,
    PARQUET_SUFFIXES,
    _check_header,
    _read_csv_text,
    not_text,
    parse_header,
    sep_for,
)

#: default CSV bytes per chunk (≈ 0.5–1 GB of pandas memory for text columns)
CHUNK_BYTES = 64 << 20
#: chunks of the scan: its redaction analyzer reads every note (~1.4 ms each on one core),
#: so a 64 MB chunk would be one task of ~20 minutes; 8 MB (or 125k Parquet rows, at
#: row-group granularity) spreads the work over the workers
SCAN_CHUNK_BYTES = 8 << 20
_SCAN_BYTES = 16 << 20


@dataclass(frozen=True)
class Chunk(Chunkish):
    """One partition of a table file: CSV bytes ``[start, stop)`` or Parquet row groups.

    ``path`` is the file read (a compressed input's decompressed copy); ``shown`` the
    user's file that messages name and ``sep`` the CSV separator (empty: by ``path``)."""

    path: str
    kind: str  # "csv" | "parquet"
    start: int  # CSV: byte offset; Parquet: first row group
    stop: int  # CSV: byte offset (exclusive); Parquet: last row group + 1
    first_row: int  # global index of the chunk's first row
    rows: int
    header: tuple[str, ...]
    shown: str = ""
    sep: str = ""

    def load(self) -> pd.DataFrame:
        p = Path(self.path)
        named = Path(self.shown) if self.shown else p
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            try:
                pf = pq.ParquetFile(p)
                table = pf.read_row_groups(list(range(self.start, self.stop)))
            except Exception as exc:  # pyarrow raises many types; none carries row values
                raise InputError(
                    f"{p}: not a readable Parquet file ({type(exc).__name__})"
                ) from None
            df = table.to_pandas()
        else:
            with open(p, "rb") as fh:
                fh.seek(self.start)
                raw = fh.read(self.stop - self.start)
            text = _decode(raw, named, self.first_row + 2)
            df = _read_csv_text(
                text,
                named,
                names=list(self.header),
                first_line=self.first_row + 2,
                sep=self.sep or sep_for(p.name),
            )
        df.index = pd.RangeIndex(self.first_row, self.first_row + len(df))
        return df


def _decode(raw: bytes, path: Path, first_line: int = 1) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise not_text(raw, path, exc, first_line) from None


def _record_ends(path: Path, sep: str, shown: Path) -> tuple[list[str], int, np.ndarray, str]:
    """Header, byte offset of the first data record, the offset after every record end of
    the CSV file ``path``, and its separator (``sep`` or the one the header shows, as
    :func:`synth.io.tables.parse_header` detects it); messages name ``shown``."""
    quote, newline = ord('"'), ord("\n")
    ends: list[np.ndarray] = []
    parity = 0
    offset = 0
    with open(path, "rb") as fh:
        while True:
            block = fh.read(_SCAN_BYTES)
            if not block:
                break
            b = np.frombuffer(block, dtype=np.uint8)
            q = np.cumsum(b == quote, dtype=np.int64) + parity
            nl = np.flatnonzero((b == newline) & (q % 2 == 0))
            ends.append(nl + offset + 1)
            parity = int(q[-1]) % 2
            offset += len(block)
    all_ends = np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64)
    if offset and (len(all_ends) == 0 or all_ends[-1] != offset):
        all_ends = np.append(all_ends, offset)  # last record without a final newline
    if len(all_ends) == 0:
        raise InputError(f"{shown}: file is empty")
    with open(path, "rb") as fh:
        head = fh.read(int(all_ends[0]))
    header, sep = parse_header(_decode(head, shown), shown, sep)
    body = all_ends[1:]
    if len(body):  # blank lines (pandas skips them) belong to the record before them
        mm = np.memmap(path, dtype=np.uint8, mode="r")
        length = np.diff(all_ends)
        blank = length == 1
        two = np.flatnonzero(length == 2)
        blank[two] = mm[body[two] - 2] == ord("\r")
        body = body[~blank]
        if len(body) and body[-1] != all_ends[-1]:
            body[-1] = all_ends[-1]
        del mm
    return header, int(all_ends[0]), body, sep


def _csv_chunks(path: Path, chunk_bytes: int, shown: Path, sep: str) -> list[Chunk]:
    header, data_start, ends, sep = _record_ends(path, sep, shown)
    if len(ends) == 0:
        raise InputError(f"{shown}: table has a header but no rows")
    chunks = []
    start, first = data_start, 0
    while first < len(ends):
        # last record end at or before start + chunk_bytes (at least one record)
        k = int(np.searchsorted(ends, start + chunk_bytes, side="right")) - 1
        k = max(k, first)
        stop = int(ends[k])
        rows = k - first + 1
        chunks.append(
            Chunk(str(path), "csv", start, stop, first, rows, tuple(header), str(shown), sep)
        )
        start, first = stop, k + 1
    return chunks


def _parquet_chunks(files: list[Path], rows_per_chunk: int) -> list[Chunk]:
    import pyarrow.parquet as pq

    chunks: list[Chunk] = []
    header: tuple[str, ...] | None = None
    first = 0
    for f in files:
        try:
            meta = pq.ParquetFile(f).metadata
        except Exception as exc:
            raise InputError(f"{f}: not a readable Parquet file ({type(exc).__name__})") from None
        names = tuple(meta.schema.to_arrow_schema().names)
        _check_header(list(names), f)
        if header is None:
            header = names
        elif names != header:
            raise InputError(f"{f}: its columns differ from the folder's first file")
        g, groups = 0, meta.num_row_groups
        while g < groups:
            start, rows = g, 0
            while g < groups and (rows == 0 or rows + meta.row_group(g).num_rows <= rows_per_chunk):
                rows += meta.row_group(g).num_rows
                g += 1
            if rows:
                chunks.append(Chunk(str(f), "parquet", start, g, first, rows, names))
            first += rows
    if first == 0:
        raise InputError(f"{files[0].parent if len(files) > 1 else files[0]}: table has no rows")
    return chunks


def plan_chunks(path: str | Path, chunk_bytes: int = CHUNK_BYTES) -> list[Chunk]:
    """Chunks of a CSV, a Parquet file or a folder of Parquet files (data not loaded)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    try:
        if p.is_dir():
            files = sorted(p.glob("*.parquet"))
            if not files:
                raise InputError(f"{p}: folder holds no .parquet files")
            return _parquet_chunks(files, max(1, chunk_bytes // 64))
        if p.suffix.lower() in PARQUET_SUFFIXES:
            return _parquet_chunks([p], max(1, chunk_bytes // 64))
        source, name = plain_copy(p)
        if Path(name).suffix.lower() in CSV_SUFFIXES or Path(name).suffix == "":
            if source.stat().st_size == 0:
                raise InputError(f"{p}: file is empty")
            return _csv_chunks(source, chunk_bytes, p, sep_for(name))
    except PermissionError:
        raise InputError(f"{p}: permission denied") from None
    raise InputError(f"{p}: unknown file type '{p.suffix}' ({EXPECTED})")


def total_rows(chunks: list[Chunk]) -> int:
    return sum(c.rows for c in chunks)

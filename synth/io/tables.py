"""Read CSV/Parquet tables with errors that name the file and the problem, never a value.

CSV cells are read as text (empty cell = missing) so that formats survive: ZIP codes
and record numbers keep their leading zeros, dates keep their layout. Typing happens
later, against the schema.

Inputs larger than memory are refused before they are read (:func:`check_fits_in_memory`):
the in-memory size is estimated from the file (cells × bytes per text cell, plus the
copies the CSV parser holds) and compared with the memory the kernel reports available.
``SYNTH_SKIP_MEMORY_CHECK=1`` turns the guard off (e.g. on a box with generous swap).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from synth.errors import InputError, TooLargeError
from synth.io.atomic import atomic_path
from synth.io.compressed import plain_copy

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
#: what an unknown suffix's message lists
EXPECTED = "expected .csv, .tsv or .parquet, or a CSV as .gz, .bz2, .xz or a one-file .zip"

#: bytes per cell of a text column in pandas (str object ~50 B + pointer + short payload);
#: measured: a 200k × 30 CSV read to 352 MB (59 B/cell), patients.csv to 58 B/cell
BYTES_PER_CELL = 64
#: the CSV reader holds the raw bytes, the decoded text and the parser's buffer at once
CSV_COPIES = 3
#: share of the available memory kept free for the rest of the run (model, gate, report)
MEMORY_HEADROOM = 0.5
SKIP_MEMORY_CHECK_ENV = "SYNTH_SKIP_MEMORY_CHECK"
_SNIFF_BYTES = 1 << 20


def available_memory() -> int | None:
    """Bytes the kernel reports available (``MemAvailable``), or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def estimate_memory(path: Path) -> int:
    """Estimated bytes needed to read ``path`` (a CSV, a Parquet file or a folder of them).

    Reads at most the first MiB of a CSV (to count columns and bytes per line) or a
    Parquet footer; never the data itself.
    """
    if path.is_dir():
        return sum(estimate_memory(p) for p in sorted(path.glob("*.parquet")))
    size = path.stat().st_size
    if path.suffix.lower() in PARQUET_SUFFIXES:
        try:
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(path).metadata
        except Exception:  # unreadable: the reader reports it properly
            return size
        raw = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        return meta.num_rows * meta.num_columns * BYTES_PER_CELL + raw
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    lines = head.count(b"\n")
    if lines < 2:
        return size * CSV_COPIES
    first = head.split(b"\n", 1)[0]  # the separator may be detected later: the likeliest
    columns = max(first.count(d) for d in (b",", b";", b"\t", b"|")) + 1
    rows = size * lines / len(head)
    return int(rows * columns * BYTES_PER_CELL + CSV_COPIES * size)


def check_fits_in_memory(path: Path, available: int | None = None) -> None:
    """Refuse (:class:`TooLargeError`) an input whose estimated size does not fit in memory.

    The limit is the available memory less a headroom (:data:`MEMORY_HEADROOM`) for what the
    run builds from the table. Off when ``SYNTH_SKIP_MEMORY_CHECK=1``.
    """
    if os.environ.get(SKIP_MEMORY_CHECK_ENV) == "1":
        return
    avail = available_memory() if available is None else available
    if avail is None:
        return
    need = estimate_memory(path)
    limit = int(avail * (1.0 - MEMORY_HEADROOM))
    if need > limit:
        raise TooLargeError(
            f"{path}: too large for memory: reading it needs about {need / 2**30:.1f} GiB, "
            f"{limit / 2**30:.1f} GiB may be used ({avail / 2**30:.1f} GiB available, half "
            "kept for the model and the gate); use a sample or a bigger machine, or set "
            f"{SKIP_MEMORY_CHECK_ENV}=1 to try anyway"
        )


#: leading bytes of compressed files, and what they are
_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"PK\x03\x04": "zip",
    b"\xfd7zXZ": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}


def sep_for(name: str) -> str:
    """The separator of a CSV file by its name: tab for ``.tsv``, else comma.

    >>> sep_for("visits.TSV"), sep_for("visits.csv")
    ('\\t', ',')
    """
    return "\t" if name.lower().endswith(".tsv") else ","


def not_text(raw: bytes, path: Path, exc: UnicodeDecodeError, first_line: int = 1) -> InputError:
    """The error for bytes that did not decode as UTF-8 (``exc``): compressed data is named
    as such, else the line of the first invalid byte (``first_line``: the line ``raw``
    starts on, for a chunk of the file)."""
    for magic, kind in _MAGIC.items():
        if raw.startswith(magic):
            return InputError(
                f"{path}: holds {kind}-compressed data, not CSV text; give it the suffix "
                "of its format (.gz, .bz2, .xz, .zip: read directly) or decompress it"
            )
    line = raw[: exc.start].count(b"\n") + first_line
    return InputError(
        f"{path}: not UTF-8 text (invalid byte at line {line}); re-encode the file as UTF-8"
    )


#: delimiters a file named .csv may use instead of a comma, and their names in messages
OTHER_DELIMITERS = ((";", "';'"), ("\t", "tab"), ("|", "'|'"))


def check_delimiter(header: list[str], path: Path, sep: str) -> None:
    """A one-column header holding another delimiter: the file is not ``sep``-separated."""
    if len(header) != 1:
        return
    found = [name for other, name in OTHER_DELIMITERS if other != sep and other in header[0]]
    if found:
        raise InputError(
            f"{path}: the header is one column holding {' and '.join(found)} characters: the "
            f"file looks {found[0]}-delimited but which delimiter is unclear; save it "
            "comma-separated (or tab-separated as .tsv)"
        )


def parse_header(text: str, path: Path, sep: str) -> tuple[list[str], str]:
    r"""The header row of CSV ``text`` and the separator the file uses: ``sep``, or the
    one other delimiter (';', tab, '|') a one-column header holds — a semicolon file from
    a European spreadsheet, a tab file named .csv — detected from the header's names only.
    A header holding several of them is an error (:func:`check_delimiter`).

    >>> parse_header("a;b;c\n1;2;3\n", Path("t.csv"), ",")
    (['a', 'b', 'c'], ';')
    """

    def first_row(delimiter: str) -> list[str]:
        try:
            return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        except csv.Error:
            raise InputError(f"{path}: malformed CSV header") from None

    header = first_row(sep)
    if not header:
        raise InputError(f"{path}: no header row")
    if len(header) == 1:
        others = [o for o, _ in OTHER_DELIMITERS if o != sep and o in header[0]]
        if len(others) == 1:
            sep, header = others[0], first_row(others[0])
    _check_header(header, path)
    check_delimiter(header, path, sep)
    return header, sep


def _check_header(names: list[str], path: Path) -> None:
    for i, name in enumerate(names):
        if name is None or not str(name).strip():
            raise InputError(f"{path}: column #{i + 1} has an empty name")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(f"{path}: column name '{name}' appears more than once")
        seen.add(name)


def _read_csv(source: Path, path: Path, sep: str) -> pd.DataFrame:
    """Read the CSV file ``source``; messages name ``path`` (the user's file, which may be
    the compressed original of ``source``)."""
    raw = source.read_bytes()
    if not raw.strip():
        raise InputError(f"{path}: file is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise not_text(raw, path, exc) from None
    _, sep = parse_header(text, path, sep)
    df = _read_csv_text(text, path, sep=sep)
    if len(df) == 0:
        raise InputError(f"{path}: table has a header but no rows")
    return df


def _read_csv_text(
    text: str,
    path: Path,
    names: list[str] | None = None,
    first_line: int = 1,
    sep: str | None = None,
) -> pd.DataFrame:
    """Parse CSV text (cells as text, empty = missing). ``names``: the text has no header
    (a chunk); ``first_line``: its first line's number in the file, for messages; ``sep``:
    the separator (default: by ``path``'s name)."""
    sep = sep_for(path.name) if sep is None else sep
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            engine="c",
            header=None if names is not None else "infer",
            names=names,
        )
    except pd.errors.EmptyDataError:
        if names is not None:
            return pd.DataFrame({n: pd.Series(dtype=object) for n in names})
        raise InputError(f"{path}: no columns could be read") from None
    except pd.errors.ParserError as exc:
        msg = re.sub(r"saw \d+.*", "", str(exc)).strip()
        m = re.search(r"Expected (\d+) fields in line (\d+)", msg)
        detail = (
            f"line {int(m.group(2)) + first_line - 1} does not have the {m.group(1)} fields "
            "of the header"
            if m
            else "malformed CSV"
        )
        raise InputError(f"{path}: {detail}") from None
    if names is not None and len(df.columns) != len(names):  # pragma: no cover
        raise InputError(f"{path}: malformed CSV")
    return df


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types; none carries row values
        raise InputError(f"{path}: not a readable Parquet file ({type(exc).__name__})") from None
    _check_header([str(c) for c in df.columns], path)
    if len(df) == 0:
        raise InputError(f"{path}: table has no rows")
    return df


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file (or a folder of Parquet files)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if p.is_dir():
        parts = sorted(p.glob("*.parquet"))
        if not parts:
            raise InputError(f"{p}: folder holds no .parquet files")
        check_fits_in_memory(p)
        frames = [_read_parquet(x) for x in parts]
        return pd.concat(frames, ignore_index=True)
    try:
        source, name = plain_copy(p)
        check_fits_in_memory(source)
        if p.suffix.lower() in PARQUET_SUFFIXES:
            return _read_parquet(p)
        if Path(name).suffix.lower() in CSV_SUFFIXES or Path(name).suffix == "":
            return _read_csv(source, p, sep_for(name))
    except PermissionError:
        raise InputError(f"{p}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{p}: is a folder") from None
    except OSError as exc:  # e.g. an I/O error; strerror never holds file content
        raise InputError(f"{p}: cannot read ({exc.strerror or type(exc).__name__})") from None
    raise InputError(f"{p}: unknown file type '{p.suffix}' ({EXPECTED})")


def _parquet_ready(df: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """A column mixing numbers and text (a numeric column with missing-value codes such
    as 'N') is written as text, as it reads in a CSV; Parquet has no mixed type."""
    mixed = [
        c
        for c in df.columns
        if df[c].dtype == object
        and len({type(v) for v in df[c].dropna().head(100_000)} - {str}) > 0
        and df[c].map(lambda v: isinstance(v, str)).any()
    ]
    if not mixed:
        return df, {}
    import pyarrow as pa

    fields = [
        pa.field(str(c), pa.string()) if c in mixed else pa.Schema.from_pandas(df[[c]]).field(0)
        for c in df.columns
    ]
    df = df.copy()
    for c in mixed:
        df[c] = df[c].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    return df, {"schema": pa.schema(fields)}


def write_table(
    df: pd.DataFrame, path: str | Path, decimals: Mapping[str, int] | None = None
) -> None:
    """Write CSV or Parquet atomically; format chosen by suffix. ``decimals``: columns whose
    numbers a CSV writes with that many decimals, as the input wrote them ('0.00', not
    '0.0'); text cells in them (missing-value codes) stay as they are."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in CSV_SUFFIXES | PARQUET_SUFFIXES:
        raise InputError(f"{p}: unknown output type '{p.suffix}' (use .csv or .parquet)")
    with atomic_path(p) as tmp:
        if suffix in PARQUET_SUFFIXES:
            ready, options = _parquet_ready(df)
            ready.to_parquet(tmp, index=False, **options)
        else:
            # with "\n" line ends the csv module leaves a lone "\r" unquoted, and readers
            # take it for a line break: quote every field when any text holds one
            has_cr = any(
                df[c].astype(str).str.contains("\r", regex=False).any()
                for c in df.columns
                if df[c].dtype == object
            )
            quoting = csv.QUOTE_ALL if has_cr else csv.QUOTE_MINIMAL
            df = with_decimals(df, decimals or {})
            df.to_csv(tmp, index=False, sep=sep_for(p.name), lineterminator="\n", quoting=quoting)


def with_decimals(df: pd.DataFrame, decimals: Mapping[str, int]) -> pd.DataFrame:
    """``df`` with the numbers of the ``decimals`` columns as text at that many decimals
    (missing cells and text cells unchanged; integers as they are).

    >>> frame = pd.DataFrame({"c": [0.0, 6.5, None, "N"], "n": [44.0, 2.0, None, 4.0]})
    >>> [with_decimals(frame, {"c": 2, "n": 0})[c].tolist() for c in ("c", "n")]
    [['0.00', '6.50', None, 'N'], ['44', '2', None, '4']]
    """
    todo = {c: int(d) for c, d in decimals.items() if c in df.columns and int(d) >= 0}
    if not todo:
        return df
    out = df.copy()
    for c, d in todo.items():
        out[c] = pd.Series(
            [
                None if pd.isna(v) else f"{v:.{d}f}" if isinstance(v, float | np.floating) else v
                for v in df[c].astype(object)
            ],
            index=df.index,
            dtype=object,
        )
    return out

"""Read CSV/Parquet tables with errors that name the file and the problem, never a value.

CSV cells are read as text (empty cell = missing) so that formats survive: ZIP codes
and record numbers keep their leading zeros, dates keep their layout. Typing happens
later, against the schema.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from synth.errors import InputError
from synth.io.atomic import atomic_path

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


def _check_header(names: list[str], path: Path) -> None:
    for i, name in enumerate(names):
        if name is None or not str(name).strip():
            raise InputError(f"{path}: column #{i + 1} has an empty name")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(f"{path}: column name '{name}' appears more than once")
        seen.add(name)


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError(f"{path}: file is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path}: not UTF-8 text (invalid byte at line {line}); re-encode the file as UTF-8"
        ) from None
    sep = "\t" if path.suffix == ".tsv" else ","
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=sep), [])
    except csv.Error:
        raise InputError(f"{path}: malformed CSV header") from None
    if not header:
        raise InputError(f"{path}: no header row")
    _check_header(header, path)
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: no columns could be read") from None
    except pd.errors.ParserError as exc:
        msg = re.sub(r"saw \d+.*", "", str(exc)).strip()
        m = re.search(r"Expected (\d+) fields in line (\d+)", msg)
        detail = (
            f"line {m.group(2)} does not have the {m.group(1)} fields of the header"
            if m
            else "malformed CSV"
        )
        raise InputError(f"{path}: {detail}") from None
    if len(df) == 0:
        raise InputError(f"{path}: table has a header but no rows")
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
        frames = [_read_parquet(x) for x in parts]
        return pd.concat(frames, ignore_index=True)
    try:
        if p.suffix.lower() in PARQUET_SUFFIXES:
            return _read_parquet(p)
        if p.suffix.lower() in CSV_SUFFIXES or p.suffix == "":
            return _read_csv(p)
    except PermissionError:
        raise InputError(f"{p}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{p}: is a folder") from None
    raise InputError(f"{p}: unknown file type '{p.suffix}' (expected .csv or .parquet)")


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """Write CSV or Parquet atomically; format chosen by suffix."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in CSV_SUFFIXES | PARQUET_SUFFIXES:
        raise InputError(f"{p}: unknown output type '{p.suffix}' (use .csv or .parquet)")
    with atomic_path(p) as tmp:
        if suffix in PARQUET_SUFFIXES:
            df.to_parquet(tmp, index=False)
        else:
            # with "\n" line ends the csv module leaves a lone "\r" unquoted, and readers
            # take it for a line break: quote every field when any text holds one
            has_cr = any(
                df[c].astype(str).str.contains("\r", regex=False).any()
                for c in df.columns
                if df[c].dtype == object
            )
            quoting = csv.QUOTE_ALL if has_cr else csv.QUOTE_MINIMAL
            df.to_csv(tmp, index=False, lineterminator="\n", quoting=quoting)

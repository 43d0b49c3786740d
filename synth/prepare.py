"""Check a table against its schema and type the modelled columns.

Errors name the column and count the bad cells; they never quote a value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth.encoding import DatetimeCodec
from synth.errors import SchemaError
from synth.io.numbers import to_numbers
from synth.schema.generalise import generalise, generalised_column
from synth.schema.model import Column, ColumnType, Schema


def check_columns(df: pd.DataFrame, schema: Schema, source: str) -> None:
    data_cols = [str(c) for c in df.columns]
    missing = [c for c in schema.names if c not in data_cols]
    if missing:
        raise SchemaError(
            f"{source}: column '{missing[0]}' is in the schema but not in the data"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
        )
    extra = [c for c in data_cols if c not in schema.names]
    if extra:
        raise SchemaError(
            f"{source}: column '{extra[0]}' is in the data but not in the schema; declare it "
            "(e.g. with action: drop)" + (f" (and {len(extra) - 1} more)" if len(extra) > 1 else "")
        )


def code_key(name: str) -> str:
    """Key of a column's missing-value code index (-1: no code) in :func:`model_view`."""
    return f"{name}\x00code"


def code_index(values: pd.Series, codes: list[str]) -> np.ndarray:
    """Per cell, the index of the missing-value code it holds (-1 for none): text cells
    equal to a code once stripped; numeric cells equal to a code that is a number.

    >>> code_index(pd.Series(["1", " N", None, "-999"]), ["N", "-999"]).tolist()
    [-1, 0, -1, 1]
    """
    out = np.full(len(values), -1, dtype=np.int64)
    if not codes or len(values) == 0:
        return out
    if pd.api.types.is_numeric_dtype(values):
        x = values.to_numpy(dtype=float)
        for i, c in enumerate(codes):
            num = to_numbers(pd.Series([c])).iloc[0]
            if pd.notna(num):
                out[(x == float(num)) & (out < 0)] = i
        return out
    present = values.notna().to_numpy()
    text = values[present].astype(str).str.strip()
    found = pd.Categorical(text, categories=codes).codes.astype(np.int64)
    out[present] = found
    return out


def _numeric(values: pd.Series, col: Column, source: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        values = values.astype(float)
    nums = to_numbers(values)
    bad = int((nums.isna() & values.notna()).sum())
    if bad:
        raise SchemaError(
            f"{source}: column '{col.name}' is declared numerical but {bad} value(s) are not "
            "numbers (a code such as 'N' or '?' that stands for a missing value can be "
            "declared in the column's missing_values)"
        )
    x = nums.astype(float)
    inf = int(np.isinf(x.to_numpy()).sum())
    if inf:
        raise SchemaError(
            f"{source}: column '{col.name}' has {inf} infinite or out-of-range value(s)"
        )
    return x


def _datetime_days(values: pd.Series, col: Column, source: str) -> pd.Series:
    days = DatetimeCodec.to_days(values, col.format)
    bad = int((days.isna() & values.notna()).sum())
    if bad:
        fmt = f" with format '{col.format}'" if col.format else ""
        raise SchemaError(
            f"{source}: column '{col.name}' is declared datetime but {bad} value(s) cannot be "
            f"parsed as dates{fmt}"
        )
    return days


def modelled_columns(schema: Schema) -> list[Column]:
    """The modelled columns as the model sees them (after generalisation)."""
    return [generalised_column(col) for col in schema.modelled]


def model_view(df: pd.DataFrame, schema: Schema, source: str) -> tuple[list[Column], pd.DataFrame]:
    """The modelled columns (after generalisation), typed: floats, day counts or strings."""
    cols: list[Column] = []
    out: dict[str, pd.Series] = {}
    for col in schema.modelled:
        values = df[col.name]
        gcol = generalised_column(col)
        codes = schema.missing_codes(gcol)
        if codes:
            idx = code_index(values, codes)
            values = values.where(idx < 0)
            out[code_key(col.name)] = pd.Series(idx, index=df.index)
        if gcol.type in (ColumnType.NUMERICAL, ColumnType.DATETIME) and values.dtype == object:
            # a blank cell is missing, as the scan reads it
            values = values.where(values.astype(str).str.strip() != "")
        if col.generalise is not None:
            values = generalise(values, col.generalise)
        if gcol.type == ColumnType.NUMERICAL:
            out[col.name] = _numeric(values, gcol, source)
        elif gcol.type == ColumnType.DATETIME:
            out[col.name] = _datetime_days(values, gcol, source)
        else:
            present = values.notna()
            text = values.astype(object).where(present, None)
            text[present] = values[present].astype(str)
            out[col.name] = text
        cols.append(gcol)
    return cols, pd.DataFrame(out, index=df.index)

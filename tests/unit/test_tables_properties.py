"""Property-based tests of the readers: any bytes either load or fail with InputError."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synth.errors import InputError
from synth.io.tables import read_table, write_table

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(blob: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "t.csv"
        p.write_bytes(blob)
        try:
            df = read_table(p)
        except InputError as exc:
            assert str(p) in str(exc)
        else:
            assert len(df) > 0 and len(df.columns) > 0


# NUL cannot travel in CSV (the C parser ends the field there); every other character must
cell = st.one_of(
    st.none(),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
        min_size=1,
        max_size=12,
    ),
)


@SETTINGS
@given(st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=20))
def test_round_trip_keeps_text(rows: list[tuple[str | None, ...]]) -> None:
    df = pd.DataFrame(rows, columns=["a", "b", "c"])
    # a row of only missing cells is written as an empty line, which CSV cannot keep
    df = df[df.notna().any(axis=1)].reset_index(drop=True)
    if len(df) == 0:
        return
    for suffix in (".parquet", ".csv"):
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / f"t{suffix}"
            write_table(df, p)
            back = read_table(p)
        pd.testing.assert_frame_equal(
            back.astype(object), df.astype(object), check_dtype=False, obj=suffix
        )

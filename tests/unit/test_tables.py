"""Readers: clear errors naming the file and the problem, never a value."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from synth.errors import InputError
from synth.io.tables import read_table, write_table


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"a,b\n", "no rows"),
        (b"a,a\n1,2\n", "more than once"),
        (b"a,,c\n1,2,3\n", "empty name"),
        (b"a,b\n1,2\n3,4,5,6\n", "line 3"),
        (b"name,ssn\n\xff\xfeJos\xe9,123\n", "not UTF-8"),
    ],
)
def test_bad_csv(tmp_path: Path, content: bytes, needle: str) -> None:
    p = tmp_path / "t.csv"
    p.write_bytes(content)
    with pytest.raises(InputError, match=needle) as exc:
        read_table(p)
    assert str(p) in str(exc.value)


def test_missing_and_folder_and_suffix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_table(tmp_path / "none.csv")
    with pytest.raises(InputError, match="no .parquet"):
        read_table(tmp_path)
    (tmp_path / "x.xlsx").write_bytes(b"x")
    with pytest.raises(InputError, match="unknown file type"):
        read_table(tmp_path / "x.xlsx")


def test_bad_parquet(tmp_path: Path) -> None:
    p = tmp_path / "t.parquet"
    p.write_bytes(b"PAR1 nonsense")
    with pytest.raises(InputError, match="not a readable Parquet"):
        read_table(p)


def test_leading_zeros_kept_and_parquet_round_trip(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("zip,n\n02139,1\n10001,\n")
    df = read_table(p)
    assert df["zip"].tolist() == ["02139", "10001"] and pd.isna(df["n"].iloc[1])
    q = tmp_path / "t.parquet"
    write_table(df, q)
    assert read_table(q).equals(df)


def test_error_never_quotes_values(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_bytes(b"ssn\n123-45-6789\n123-45-6789,EXTRA\n")
    with pytest.raises(InputError) as exc:
        read_table(p)
    assert "123-45-6789" not in str(exc.value)


@pytest.mark.parametrize(("sep", "name"), [(";", "semi.csv"), ("\t", "tab.csv"), ("|", "p.txt")])
def test_a_csv_with_another_delimiter_is_read_with_it(tmp_path: Path, sep: str, name: str) -> None:
    """A semicolon file from a European spreadsheet, a tab file named .csv: the one other
    delimiter a one-column header holds is used, by the whole-file and the chunked readers
    alike; commas inside the cells stay text (issue 20)."""
    from synth.io.chunks import plan_chunks

    df = pd.DataFrame(
        {"sex": ["F", "M"] * 50, "age": [str(20 + i % 60) for i in range(100)], "n": ["a,b"] * 100}
    )
    p = tmp_path / name
    df.to_csv(p, index=False, sep=sep)
    pd.testing.assert_frame_equal(read_table(p), df)
    chunks = plan_chunks(p, chunk_bytes=200)
    assert len(chunks) > 1 and {c.sep for c in chunks} == {sep}
    pd.testing.assert_frame_equal(pd.concat([c.load() for c in chunks]), df)


def test_numbers_are_written_at_the_inputs_decimals(tmp_path: Path) -> None:
    """A money column written '%.2f' with zeros and a code comes back as '0.00', not '0.0'
    (issue 16: the output file has the input's format)."""
    import numpy as np

    from synth import Synthesizer
    from synth.schema import parse_schema

    rng = np.random.default_rng(0)
    money = np.where(rng.random(3000) < 0.4, 0.0, np.round(rng.gamma(2.0, 500.0, 3000), 2))
    cells = [f"{v:.2f}" for v in money]
    cells[:150] = ["N"] * 150
    real = pd.DataFrame({"charges": cells, "ward": rng.choice(["a", "b"], 3000)})
    schema = parse_schema(
        {
            "dataset": {"missing_values": ["N"]},
            "columns": [
                {"name": "charges", "type": "numerical"},
                {"name": "ward", "type": "categorical", "domain": {"categories": ["a", "b"]}},
            ],
        }
    )
    model = Synthesizer(schema, epsilon=5.0, engine="aim").fit(real)
    assert model.output_decimals() == {"charges": 2}
    out = model.sample(seed=0)
    shaped = r"^(-?\d+\.\d\d|N|)$"  # a nullable column may come out blank now and then
    write_table(out, tmp_path / "plain.csv")
    plain = pd.read_csv(tmp_path / "plain.csv", dtype=str, keep_default_na=False)["charges"]
    assert not plain.str.match(shaped).all()  # pandas alone writes 0.0 and 6.5
    write_table(out, tmp_path / "s.csv", model.output_decimals())
    written = pd.read_csv(tmp_path / "s.csv", dtype=str, keep_default_na=False)["charges"]
    assert written.str.match(shaped).all()
    assert (written == "0.00").mean() > 0.2 and (written == "N").any()

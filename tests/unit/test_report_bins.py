"""Binned plots and tables name their bins by edges only when the edges are public or paid
for (the fitted model's codec, the schema's declared bounds); bins cut at the real rows'
own quantiles are named by quantile rank, and no real value shows (issue 20)."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pandas as pd

from synth.report.binning import codec_bins, numeric_bins
from synth.report.build import model_codecs
from synth.report.columns import (
    EDGES_MODEL,
    EDGES_RANKS,
    EDGES_SAMPLE,
    EDGES_SCHEMA,
    prepare_column,
)
from synth.schema import parse_schema
from synth.schema.model import Column


def _real(seed: int, n: int = 2000) -> pd.Series:
    """Odd, distinctive values (three decimals) that must never appear in a label."""
    rng = np.random.default_rng(seed)
    return pd.Series([f"{v:.3f}" for v in rng.gamma(2.0, 17.0, n) + 0.123])


def _numbers(labels: list[str]) -> list[float]:
    return [float(x) for lab in labels for x in re.findall(r"-?\d+(?:\.\d+)?", lab)]


def test_real_quantile_bins_are_labelled_by_rank_and_show_no_value() -> None:
    real = _real(1)
    c = prepare_column(Column(name="lab", type="numerical"), real, _real(2), None)
    assert c.edges_from == EDGES_RANKS
    assert c.labels[0] == "p0–p10" and c.labels[-2] == "p90–p100"
    assert len(c.labels) == 11  # 10 bins + missing
    shown = " ".join(c.labels)
    for v in real:
        assert v not in shown
    # every number in a label is a rank between 0 and 100, not a value of the column
    quantiles = np.quantile(real.astype(float), np.linspace(0.1, 0.9, 9))
    assert all(f"{q:.4g}" not in shown for q in quantiles)
    assert all(0 <= x <= 100 for x in _numbers(c.labels))


def test_declared_bounds_give_equal_width_edges_shown_as_values() -> None:
    col = Column(name="lab", type="numerical", domain={"min": 0, "max": 200, "precision": 0})
    a = prepare_column(col, _real(1), _real(2), None)
    b = prepare_column(col, _real(3), _real(4), None)
    assert a.edges_from == EDGES_SCHEMA
    assert a.labels[:3] == ["< 20", "20 – 40", "40 – 60"] and a.labels[-2] == "≥ 180"
    assert a.labels == b.labels  # the real rows choose nothing


def test_model_codec_edges_are_thinned_to_about_ten_bins_and_shown() -> None:
    edges = [0.0, *np.arange(1, 32) * 6.25, 200.0]  # 32 DP quantile bins
    codec = {
        "kind": "numerical",
        "name": "lab",
        "low": 0.0,
        "high": 200.0,
        "precision": 1,
        "max_bins": 32,
        "edges": edges,
        "points": [0.0],
    }
    col = Column(name="lab", type="numerical")
    a = prepare_column(col, _real(1), _real(2), None, codec)
    b = prepare_column(col, _real(3), _real(4), None, codec)
    assert a.edges_from == EDGES_MODEL and a.labels == b.labels
    assert a.labels[0] == "= 0" and a.labels[-1] == "(missing)"
    assert 8 <= len(a.labels) - 2 <= 10  # continuous bins besides the point and missing
    inner = set(_numbers(a.labels[1:-1]))
    on_grid = {math.ceil(e * 10 - 1e-9) / 10 for e in edges}  # moved up to precision 1
    assert inner <= on_grid  # every edge is one of the codec's
    # the report's codes follow those edges: a real value lands in the bin named for it
    x = pd.Series([0.0, 7.0, 199.0])
    codes = a.codes_for(x)
    assert a.labels[codes[0]] == "= 0" and a.labels[codes[2]].startswith("≥")


def test_exact_and_datetime_codecs() -> None:
    exact = codec_bins(
        {"kind": "numerical", "low": 18, "high": 90, "precision": 0, "max_bins": 128}
    )
    assert exact is not None
    labels = exact.labels("numeric")
    assert labels[0].startswith("< ") and all(float(x).is_integer() for x in _numbers(labels))
    days = codec_bins({"kind": "datetime", "low": 18262.0, "high": 18627.0, "max_bins": 16})
    assert days is not None and days.labels("datetime")[0].startswith("< 2020-")
    assert codec_bins({"kind": "categorical", "categories": ["a"]}) is None


def test_identifier_numbers_stay_ranked_even_with_public_edges() -> None:
    col = Column(
        name="mrn",
        type="numerical",
        role="direct_identifier",
        action="replace",
        domain={"min": 0, "max": 200},
    )
    codec = {"kind": "numerical", "low": 0.0, "high": 200.0, "precision": 0, "max_bins": 32}
    c = prepare_column(col, _real(1), _real(2), None, codec)
    assert c.edges_from == EDGES_RANKS and c.labels[0] == "p0–p10"


def test_a_fitted_model_gives_the_report_its_dp_edges() -> None:
    from synth.synthesizer import Synthesizer

    rng = np.random.default_rng(0)
    n = 1500
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 90, n).astype(str),
            "lab": [f"{v:.2f}" for v in rng.normal(13, 2, n)],
            "sex": rng.choice(["F", "M"], n),
        }
    )
    schema = parse_schema(
        {
            "dataset": {"name": "t"},
            "columns": [
                {"name": "age", "type": "numerical"},
                {"name": "lab", "type": "numerical"},
                {"name": "sex", "type": "categorical", "domain": {"categories": ["F", "M"]}},
            ],
        }
    )
    model = Synthesizer(schema, epsilon=2.0, engine="mst", insecure_fit_seed=1)
    model.fit(df)
    codecs = model_codecs(model)
    assert set(codecs) == {"age", "lab", "sex"}
    for name in ("age", "lab"):
        c = prepare_column(schema.column(name), df[name], df[name], None, codecs[name])
        assert c.edges_from == EDGES_MODEL, name
        low, high = codecs[name]["low"], codecs[name]["high"]
        assert all(low <= x <= high for x in _numbers(c.labels[:-1])), (name, c.labels)


def test_the_models_own_sample_labels_the_bins_with_its_quantiles() -> None:
    col = Column(name="lab", type="numerical")
    sample = _real(9)  # stands for the model's output: DP post-processing
    a = prepare_column(col, _real(1), _real(2), None, None, sample)
    b = prepare_column(col, _real(3), _real(4), None, None, sample)
    assert a.edges_from == EDGES_SAMPLE and a.labels == b.labels  # the real rows choose nothing
    ref = numeric_bins(sample.astype(float).to_numpy(), 10)
    assert a.labels == replace(ref, ranks=None).labels("numeric")
    assert a.labels[0].startswith("< ") and a.labels[-2].startswith("≥ ")

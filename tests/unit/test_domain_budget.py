"""The DP domain search's share of the budget, as the ledger records it: per unit of
measurement weight, between a floor (a narrow table still finds its domain) and a cap
(a wide table leaves the engine the rest); the engine spends what remains, no more."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synth.ledger import zcdp_rho_for
from synth.private_domains import (
    PREPROCESSING_FLOOR,
    PREPROCESSING_PER_WEIGHT,
    PREPROCESSING_SHARE,
)
from synth.schema import parse_schema
from synth.synthesizer import Synthesizer

SEARCH = ("category set", "bounds", "precision", "heavy values", "shape")


def _fit(n_cat: int) -> tuple[float, float, Synthesizer]:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({f"c{i}": rng.choice(["a", "b", "c"], 2000) for i in range(n_cat)})
    cols = [{"name": c, "type": "categorical"} for c in frame.columns]
    schema = parse_schema({"dataset": {"name": "t", "delta": 1e-6}, "columns": cols})
    model = Synthesizer(schema, epsilon=1.0, engine="aim", seed=0).fit(frame)
    rho = zcdp_rho_for(1.0, model.ledger.conversion_delta)
    search = sum(c.rho for c in model.ledger.charges if c.purpose.startswith(SEARCH))
    return search / rho, model.ledger.spent()[0], model


@pytest.mark.parametrize("n_cat", [2, 10, 20])
def test_the_domain_search_takes_its_share_by_weight_and_the_engine_the_rest(n_cat) -> None:
    share, spent, _ = _fit(n_cat)
    want = min(PREPROCESSING_SHARE, max(PREPROCESSING_FLOOR, PREPROCESSING_PER_WEIGHT * n_cat))
    assert share == pytest.approx(want, rel=1e-9)
    assert 0.98 < spent <= 1.0 + 1e-9

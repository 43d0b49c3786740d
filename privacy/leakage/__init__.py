"""Leakage checker: does the synthetic table sit closer to the training rows than chance?

>>> # doctest: +SKIP
>>> result = check_leakage(train, holdout, synthetic, schema)
>>> result.passed, [m.name for m in result.metrics if m.verdict == "block"]
(True, [])

The holdout rows are real rows the generator never saw; every metric compares
the synthetic rows' closeness to training rows with their closeness to holdout
rows. See :mod:`privacy.leakage.distance` for the distance and the exact
nearest-neighbour search, :mod:`privacy.leakage.metrics` for the metrics,
:mod:`privacy.leakage.attacks` for the inference and linkability attacks with a
control set, :mod:`privacy.leakage.columns` for the column choice (with
:mod:`privacy.leakage.normalise` for the values' normalised form),
:mod:`privacy.leakage.gate` for the decision, :mod:`privacy.leakage.quasi_identifiers`
for the information-only view over the quasi-identifiers, and
:mod:`privacy.leakage.filter` for the optional removal of flagged rows (outside the DP
guarantee).
"""

from __future__ import annotations

from privacy.leakage.gate import check_leakage
from privacy.leakage.metrics import LeakageResult, Metric

__all__ = ["LeakageResult", "Metric", "check_leakage"]

"""Optional filter: drop the synthetic rows the leakage check flagged.

The rule is the gate's ``flagged`` list (:func:`privacy.leakage.check_leakage`): a
synthetic row is removed when

* it is identical to a training row on the compared columns (found by row hashing, on
  every synthetic row), or
* its nearest training row is closer than the 1st percentile ``q01`` of the holdout rows'
  nearest-training-row distances *and* its nearest holdout row is farther than that by
  more than ``q01`` (a row that singles out one training record). Above
  ``exact_max_rows`` this second rule only sees the sampled synthetic rows.

This is not a privacy mechanism: it decides by looking at the real training and holdout
rows, so the rows it keeps are *outside the differential-privacy guarantee* (what was
removed depends on real records). It is a last-resort clean-up for stewards who accept
that; the report says so and how many rows went. Rows are identified by index only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from privacy.leakage.metrics import LeakageResult

RULE = (
    "removed: synthetic rows identical to a training row, and rows closer to a training row "
    "than 99% of holdout rows are to theirs (below q01 of holdout-to-train nearest "
    "distances) while farther from every holdout row by more than q01"
)
NOTE = (
    "This filter looked at the real training and holdout rows to choose what to remove: "
    "the filtered table is outside the differential-privacy guarantee."
)


def filter_flagged(
    synthetic: pd.DataFrame, result: LeakageResult
) -> tuple[pd.DataFrame, LeakageResult]:
    """The synthetic rows minus the flagged ones, and ``result`` with a ``filter`` record.

    The gate's verdict is not changed: it is about the generator, measured before the
    filter. Raises ``ValueError`` when ``synthetic`` is not the table that was checked.
    """
    if len(synthetic) != result.n_synthetic:
        raise ValueError(
            f"synthetic table has {len(synthetic)} rows but the check saw {result.n_synthetic}"
        )
    drop = np.zeros(len(synthetic), dtype=bool)
    drop[np.asarray(result.flagged, dtype=np.int64)] = True
    kept = synthetic.iloc[np.flatnonzero(~drop)].reset_index(drop=True)
    record: dict[str, Any] = {
        "removed": int(drop.sum()),
        "kept": len(kept),
        "rule": RULE,
        "note": NOTE,
    }
    return kept, dataclasses.replace(result, filter=record)

"""The leakage gate's second view, information only: the quasi-identifiers alone."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from privacy.leakage.distance import HOLDOUT, SYNTHETIC, TRAIN, identical_to, row_codes, row_hashes
from privacy.leakage.metrics import Metric, dcr_share, wilson
from privacy.leakage.units import Units
from synth.schema.model import GateThresholds, Role, Schema


def quasi_identifier_view(
    columns: list[Any],
    schema: Schema,
    nn: Callable[[list[Any], int, int], np.ndarray],
    p0: float,
    gate: GateThresholds,
    units: Units | None = None,
) -> list[Metric]:
    """Second view, information only: the same tests on the quasi-identifiers alone.

    ``dcr_share_qi`` is the DCR share over quasi-identifier columns; ``qi_unique_reproduced``
    is the share of training rows whose quasi-identifier combination is unique in the
    training rows and appears in the synthetic rows, against the same share for holdout
    rows (unique in the holdout): a linkage attacker's best targets. With ``units`` (a
    privacy unit) ``p0`` is the persons' training share, and a combination is unique when
    one person holds it (in one row or several): the share is of such combinations.
    """
    roles = {c.name: c.role for c in schema.columns}
    qi = [c for c in columns if roles.get(c.name) == Role.QUASI_IDENTIFIER]
    if not qi:
        return []
    share = dcr_share(
        nn(qi, SYNTHETIC, TRAIN), nn(qi, SYNTHETIC, HOLDOUT), p0, gate, persons=units is not None
    )
    out = [
        dataclasses.replace(
            share,
            name="dcr_share_qi",
            threshold=None,
            verdict="info",
            explanation=f"DCR share over the {len(qi)} quasi-identifier column(s) only "
            f"({', '.join(c.name for c in qi)}); information, not gating. " + share.explanation,
        )
    ]
    codes = row_codes(qi)
    hashes = [row_hashes(c) for c in codes]

    def reproduced(part: int) -> tuple[float, int]:
        h = pd.Series(hashes[part])
        if units is None:
            unique = ~h.duplicated(keep=False).to_numpy()
        else:  # one row per (combination, person); then combinations one person holds
            person = units.train if part == TRAIN else units.holdout
            first = ~pd.DataFrame({"h": h, "p": person}).duplicated().to_numpy()
            unique = np.zeros(len(h), dtype=bool)
            unique[first] = ~h[first].duplicated(keep=False).to_numpy()
        if not unique.any():
            return 0.0, 0
        hit = identical_to(
            codes[part][unique], hashes[part][unique], codes[SYNTHETIC], hashes[SYNTHETIC]
        )
        return float(hit.mean()), int(unique.sum())

    tr, n_tr_u = reproduced(TRAIN)
    ho, _ = reproduced(HOLDOUT)
    out.append(
        Metric(
            name="qi_unique_reproduced",
            value=tr,
            baseline=ho,
            interval=wilson(tr, n_tr_u, gate.confidence) if n_tr_u else None,
            threshold=None,
            verdict="info",
            explanation=(
                f"{tr:.1%} of the training rows with a unique quasi-identifier "
                f"combination appear in the synthetic rows; baseline: {ho:.1%} of the holdout "
                "rows unique in the holdout (never seen). A value well above the baseline "
                "means rare real combinations are being copied."
                if units is None
                else f"{tr:.1%} of the quasi-identifier combinations held by one training "
                f"person (in one row or several) appear in the synthetic rows; baseline: "
                f"{ho:.1%} of those held by one holdout person (never seen). A value well "
                "above the baseline means rare real combinations are being copied."
            ),
        )
    )
    return out

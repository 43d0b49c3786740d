"""Limits: what this synthetic table should not be trusted for, written from the measurements."""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.report.columns import Prepared
from synth.report.common import SMALL_GROUP_ROWS, fmt, pct, pp

TVD_NOTABLE = 0.05
V_NOTABLE = 0.1
MISSING_NOTABLE = 0.05


def _small_categories(cols: list[Prepared], rows_used: int) -> list[tuple[str, int]]:
    out = []
    for c in cols:
        if c.numeric:
            continue
        shares = c.real_shares().to_numpy()
        small = int(np.sum(shares * rows_used < SMALL_GROUP_ROWS))
        if small:
            out.append((c.name, small))
    return sorted(out, key=lambda t: -t[1])


def _fidelity_points(fid: dict[str, Any]) -> list[str]:
    out = []
    cols = sorted(
        (r for r in fid.get("columns", []) if r.get("tvd") is not None), key=lambda r: -r["tvd"]
    )
    worst = [r for r in cols[:3] if r["tvd"] >= TVD_NOTABLE]
    if worst:
        names = ", ".join(f"{r['column']} (TVD {fmt(r['tvd'], 2)})" for r in worst)
        out.append(
            f"Largest single-column differences: {names}; statistics that depend on "
            "these distributions will be off."
        )
    elif cols:
        out.append(
            f"Every column's distribution is within TVD {fmt(TVD_NOTABLE)} of the real "
            f"one (largest: {cols[0]['column']}, {fmt(cols[0]['tvd'], 2)})."
        )
    m = fid.get("marginals", {}).get("mean_tvd", {})
    if m.get("1-way") is not None and m.get("3-way") is not None:
        out.append(
            f"Structure degrades with order: mean TVD {fmt(m['1-way'], 2)} (1-way), "
            f"{fmt(m.get('2-way'), 2)} (2-way), {fmt(m['3-way'], 2)} (3-way); "
            "conclusions about interactions of several columns are the least reliable."
        )
    pairs = fid.get("marginals", {}).get("association", {}).get("largest_differences", [])
    big = [
        p
        for p in pairs[:3]
        if p.get("v_difference") is not None and abs(p["v_difference"]) >= V_NOTABLE
    ]
    if big:
        names = "; ".join(
            f"{p['columns'][0]} × {p['columns'][1]} (V {fmt(p['v_real'], 2)} real "
            f"vs {fmt(p['v_synthetic'], 2)} synthetic)"
            for p in big
        )
        out.append(f"Associations that changed most: {names}.")
    unseen = [r for r in cols if (r.get("unseen_share_synthetic") or 0) >= 0.01]
    if unseen:
        names = ", ".join(f"{r['column']} ({pct(r['unseen_share_synthetic'])})" for r in unseen[:5])
        out.append(
            f"Synthetic rows fall into categories that never occur in the real data: "
            f"{names}. The generator spreads probability over the whole declared domain; "
            "counts per category there are not real."
        )
    miss = [
        r
        for r in cols
        if r.get("missing_real") is not None
        and r.get("missing_synthetic") is not None
        and abs(r["missing_synthetic"] - r["missing_real"]) > MISSING_NOTABLE
    ]
    if miss:
        names = ", ".join(
            f"{r['column']} ({pp(r['missing_synthetic'] - r['missing_real'])})" for r in miss[:5]
        )
        out.append(f"Missing-value rates differ for {names}.")
    t = fid.get("tstr", {})
    if t.get("skipped"):
        out.append(f"Machine-learning utility was not measured: {t['skipped']}.")
    elif t.get("gap") is not None:
        out.append(
            f"A model trained on synthetic rows predicts {t['target']} on unseen real "
            f"rows with AUC {fmt(t['tstr_auc'], 3)}, vs {fmt(t['trtr_auc'], 3)} when "
            f"trained on the real rows (gap {fmt(t['gap'], 2)})."
        )
    for c in fid.get("constraints", []):
        if (c.get("violations_synthetic") or 0) > 0:
            out.append(
                f"Constraint {c['constraint']} is broken in "
                f"{pct(c['violations_synthetic'])} of synthetic rows."
            )
    return out


def limits(
    report: dict[str, Any], cols: list[Prepared], rows_ref: int, *, estimated: bool = True
) -> dict[str, Any]:
    """``rows_ref``: the model's DP estimate of its training rows (``estimated``), or the
    real table's size when no model was given (then never printed)."""
    points = _fidelity_points(report["fidelity"])
    eps = report["verdict"]["epsilon"].get("spent")
    small = _small_categories(cols, rows_ref)
    if small:
        total = sum(n for _, n in small)
        where = ", ".join(f"{name}: {n}" for name, n in small[:4])
        base = f"≈ {fmt(rows_ref)} rows, the model's DP estimate" if estimated else "real rows"
        points.append(
            f"{total} categories across {len(small)} column(s) ({where}) have fewer than "
            f"about {SMALL_GROUP_ROWS} real rows (share × {base}); at "
            f"ε = {fmt(eps)} their synthetic frequencies, and anything measured within them, "
            "are dominated by noise."
        )
    for a in report["bias"].get("attributes", []):
        moved = [g for g in a.get("groups", []) if g["flags"]]
        if moved:
            names = ", ".join(
                f"{g['group']} (share {pp(g['share_diff'])}"
                + (f", rate {pp(g['rate_diff'])}" if "rate" in g["flags"] else "")
                + ")"
                for g in moved[:5]
            )
            points.append(f"Protected attribute {a['column']}: groups outside tolerance: {names}.")
        tiny = [g["group"] for g in a.get("groups", []) if g.get("small")]
        extra = [
            g
            for g in a.get("groups", [])
            if g.get("only_synthetic") and g["share_synthetic"] >= 0.005
        ]
        if extra:
            points.append(
                f"Protected attribute {a['column']}: the synthetic data holds groups "
                "absent from the real data ("
                + ", ".join(f"{g['group']}: {pct(g['share_synthetic'])}" for g in extra)
                + ")."
            )
        if tiny:
            points.append(
                f"Protected attribute {a['column']}: groups with under "
                f"{SMALL_GROUP_ROWS} real rows ({', '.join(tiny[:6])}) cannot be "
                "analysed reliably in the synthetic data."
            )
    points += report["diversity"].get("warnings", [])
    gone = report["pii_scan"].get("not_released", [])
    if gone:
        points.append(
            "Not in the synthetic data: "
            + ", ".join(f"{g['column']} ({g['why']})" for g in gone)
            + "."
        )
    sur = report["pii_scan"].get("surrogates", [])
    if sur:
        points.append(
            f"{', '.join(sur)} hold fresh surrogate values: they are unrelated to the "
            "real values and to every other column, so do not join or link on them."
            + "".join(
                f" {x['column']}: {x['construction']}."
                for x in report["pii_scan"].get("surrogate_constructions", [])
            )
        )
    leak = report["leakage"]
    if leak["flagged_rows"]["count"]:
        points.append(
            f"The leakage check flagged {leak['flagged_rows']['count']} synthetic "
            "row(s) as unusually close to a training row."
        )
    points.append(
        "This report itself contains aggregate statistics of the real data (shares, "
        "quantile bin edges, group rates); share it only with people allowed to see "
        "them."
    )
    return {"points": points}

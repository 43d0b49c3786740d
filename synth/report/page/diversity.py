"""Section 7: diversity, duplicates, rare-category coverage, tails and spread."""

from __future__ import annotations

from typing import Any

from synth.report.common import STD_RATIO_HIGH, STD_RATIO_WARN, fixed, fmt, num, pct
from synth.report.page.markup import e, kv, table


def diversity(s: dict[str, Any], figures: dict[str, str]) -> str:
    lede = (
        "Does the synthetic data keep the variety of the real data, or collapse towards "
        "common rows (regression to the mean)?"
    )
    d, r = s.get("duplicates", {}), s.get("rare_categories", {})
    out = [f'<p class="lede">{lede}</p>']
    for w in s.get("warnings", []):
        out.append(f'<div class="warnbox"><b>Warning.</b> {e(w)}</div>')
    out.append(
        kv(
            [
                (
                    "duplicate rows",
                    f"{pct(d.get('synthetic'), 2)} synthetic vs {pct(d.get('real'), 2)} "
                    f'real <span class="note">(over {fmt(len(s.get("columns_compared", [])))}'
                    " released modelled columns)</span>",
                ),
                (
                    "rare categories covered",
                    f"{fmt(r.get('covered'))} of {fmt(r.get('total'))} "
                    f"({pct(r.get('coverage'), 0)}) "
                    f'<span class="note">(categories under '
                    f"{pct(r.get('threshold_share'), 0)} of real rows)</span>",
                ),
            ]
        )
    )
    by = r.get("by_column", [])
    if by:
        out.append(
            table(
                ["column", "rare categories", "seen in synthetic", "coverage"],
                [
                    [
                        e(x["column"]),
                        fmt(x["rare_categories"]),
                        fmt(x["in_synthetic"]),
                        pct(x["coverage"], 0),
                    ]
                    for x in by
                ],
                numeric={1, 2, 3},
            )
        )
    t = s.get("tails", {})
    if t.get("by_column"):
        out.append("<h3>Tails and spread</h3>")
        out.append(f'<p class="note">{e(t.get("note"))}</p>')
        rows, hl = [], []
        for x in t["by_column"]:
            rows.append(
                [
                    e(x["column"]),
                    pct(x["tail_share_real"]),
                    pct(x["tail_share_synthetic"]),
                    fixed(x.get("std_ratio"), 2),
                ]
            )
            ratio = num(x.get("std_ratio")) or 1.0
            hl.append(ratio < STD_RATIO_WARN or ratio > STD_RATIO_HIGH)
        out.append(
            table(
                ["column", "beyond real p5/p95: expected", "synthetic", "std synthetic / real"],
                rows,
                numeric={1, 2, 3},
                highlight=hl,
            )
        )
    return "".join(out)

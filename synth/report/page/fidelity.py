"""Section 5: fidelity, marginals, pairwise associations, ML utility and constraints."""

from __future__ import annotations

from typing import Any

from synth.report.common import fixed, fmt, num, pct
from synth.report.page.markup import LEGEND, e, figure, kv, table, tile


def fidelity(s: dict[str, Any], figures: dict[str, str]) -> str:
    lede = (
        "How closely the synthetic distributions follow the real training data. TVD (total "
        "variation distance) is 0 for identical distributions and 1 for disjoint ones; "
        "numbers are compared in 10 quantile bins of the real data, categories as they are, "
        "missing values as their own bin."
    )
    m = s.get("marginals", {})
    mt, cnt = m.get("mean_tvd", {}), m.get("counts", {})
    tiles = "".join(
        tile(
            f"mean TVD, {k}",
            fixed(mt.get(k)),
            f"over {fmt(cnt.get(k))} {'column' if k == '1-way' else 'combination'}s",
        )
        for k in ("1-way", "2-way", "3-way")
    )
    t = s.get("tstr", {})
    if t.get("tstr_auc") is not None:
        tiles += tile(
            "TSTR / TRTR (AUC)",
            f"{fixed(t['tstr_auc'])} / {fixed(t['trtr_auc'])}",
            f"gap {fixed(t.get('gap'))}",
        )
    out = [f'<p class="lede">{lede}</p><div class="tiles">{tiles}</div>']
    if m.get("three_way_sampled"):
        out.append(
            f'<p class="note">3-way TVD over {fmt(cnt.get("3-way"))} random column '
            "triples (seeded).</p>"
        )
    rows, hl = [], []
    for r in s.get("columns", []):
        if r["kind"] == "categorical":
            detail = (
                f"{fmt(r.get('categories_real'))} / {fmt(r.get('categories_synthetic'))} categories"
            )
            if r.get("unseen_share_synthetic"):
                detail += (
                    f"; {pct(r['unseen_share_synthetic'])} of synthetic rows in "
                    "categories absent from the real data"
                )
        elif r["kind"] == "numeric":
            detail = (
                f"mean {fmt(r.get('mean_real'))} / {fmt(r.get('mean_synthetic'))}, "
                f"std ratio {fixed(r.get('std_ratio'), 2)}"
            )
        else:
            detail = f"std ratio {fixed(r.get('std_ratio'), 2)}"
        for m in r.get("moved_values", [])[:3]:
            detail += (
                f"; share of {m['value']}: {pct(m['share_real'], 1)} real, "
                f"{pct(m['share_synthetic'], 1)} synthetic"
            )
        rows.append(
            [
                e(r["column"]),
                e(r["kind"]),
                f"<b>{fixed(r.get('tvd'))}</b>",
                f"{pct(r.get('missing_real'))} / {pct(r.get('missing_synthetic'))}",
                e(detail),
            ]
        )
        hl.append((num(r.get("tvd")) or 0) >= 0.1 or bool(r.get("moved_values")))
    out.append("<h3>Per column</h3>")
    out.append(
        table(
            ["column", "kind", "TVD", "missing real / synthetic", "real / synthetic"],
            rows,
            numeric={2, 3},
            highlight=hl,
        )
    )
    if s.get("skipped"):
        out.append(
            '<p class="note">Not compared: '
            + e("; ".join(f"{x['column']} ({x['reason']})" for x in s["skipped"]))
            + "</p>"
        )
    out.append(
        figure(
            "marginals",
            figures,
            f"{LEGEND} — share of rows per bin. " + e(s.get("panels_note", "")),
            "real vs synthetic distributions",
        )
    )
    out.append("<h3>Pairwise associations</h3>")
    out.append(
        figure(
            "association",
            figures,
            "Cramér's V between binned columns, real minus "
            "synthetic. Red: association weaker in the synthetic data; blue: "
            "stronger; white: preserved.",
            "association difference heatmap",
        )
    )
    pairs = m.get("association", {}).get("largest_differences", [])[:8]
    if pairs:
        out.append(
            table(
                ["columns", "V real", "V synthetic", "difference", "2-way TVD"],
                [
                    [
                        e(" × ".join(p["columns"])),
                        fixed(p["v_real"], 2),
                        fixed(p["v_synthetic"], 2),
                        fixed(p["v_difference"], 2),
                        fixed(p["tvd"]),
                    ]
                    for p in pairs
                ],
                numeric={1, 2, 3, 4},
            )
        )
    out.append("<h3>Machine-learning utility (TSTR vs TRTR)</h3>")
    if t.get("skipped"):
        out.append(f"<p>Not measured: {e(t['skipped'])}.</p>")
    else:
        out.append(
            kv(
                [
                    (
                        "task",
                        e(
                            f"predict {t.get('target')} ({t.get('classes')} classes, "
                            f"{t.get('averaging')})"
                        ),
                    ),
                    ("model", f"<code>{e(t.get('model'))}</code>"),
                    (
                        "train on synthetic, test on real (TSTR)",
                        f"<b>{fixed(t.get('tstr_auc'))}</b>",
                    ),
                    ("train on real, test on real (TRTR)", f"<b>{fixed(t.get('trtr_auc'))}</b>"),
                    ("gap (TRTR − TSTR)", fixed(t.get("gap"))),
                    ("scored on", "the holdout rows (real rows the model never saw)"),
                ]
            )
        )
    cons = s.get("constraints", [])
    if cons:
        out.append("<h3>Constraints</h3>")
        out.append(
            table(
                ["constraint", "rows breaking it: real", "synthetic"],
                [
                    [
                        e(c["constraint"]),
                        pct(c["violations_real"], 2),
                        pct(c["violations_synthetic"], 2),
                    ]
                    for c in cons
                ],
                numeric={1, 2},
            )
        )
    return "".join(out)

"""Section 4: the leakage check, gate metrics, distances, exact copies and attacks."""

from __future__ import annotations

from typing import Any

from synth.report.common import fmt, pct
from synth.report.page.markup import e, figure, kv, pill, table


def _leakage_scope(s: dict[str, Any]) -> list[tuple[str, str]]:
    """Sampling above the exact limit, warnings and the optional filter, said plainly."""
    facts: list[tuple[str, str]] = []
    for w in s.get("warnings") or []:
        facts.append(("warning", f"<b>{e(w)}</b>"))
    smp = s.get("sampling") or {}
    if smp:
        facts.append(
            (
                "synthetic rows measured",
                f"{fmt(smp.get('rows_measured'))} of {fmt(smp.get('synthetic_rows'))}"
                + (" (all, exact)" if smp.get("exact") else f" — {e(smp.get('method', ''))}"),
            )
        )
    flt = s.get("filter") or {}
    if flt:
        facts.append(
            (
                "filter of flagged rows",
                f"<b>{fmt(flt.get('removed'))}</b> row(s) removed, {fmt(flt.get('kept'))} kept. "
                f'<span class="note">{e(flt.get("note", ""))}</span>',
            )
        )
    return facts


def _attacks_table(a: dict[str, Any] | None) -> str:
    """Inference and linkability attacks: success on training vs control rows, risk."""
    if not a:
        return ""
    rows = []
    outcomes = [
        (f"inference: {o.get('name')}" + (f" (knows {o['knows']})" if o.get("knows") else ""), o)
        for o in a.get("inference") or []
    ]
    if a.get("linkability"):
        outcomes.append(("linkability", a["linkability"]))
    # singling-out: share of training rows among the people singled out vs the split's share
    outcomes += [
        (
            str(o.get("name", "")).replace("_", "-"),
            {
                **o,
                "success_rate_train": o.get("share_train_of_singled_out"),
                "success_rate_control": o.get("expected_share"),
                "n_train_targets": o.get("predicates"),
            },
        )
        for o in a.get("singling_out") or []
    ]
    for label, o in outcomes:
        iv = o.get("risk_interval") or [None, None]
        rows.append(
            [
                e(label),
                pct(o.get("success_rate_train")),
                pct(o.get("success_rate_control")),
                fmt(o.get("n_train_targets")) if o.get("n_train_targets") is not None else "all",
                fmt(o.get("risk")),
                f"{fmt(iv[0])} – {fmt(iv[1])}",
            ]
        )
    qi = ", ".join(a.get("auxiliary_columns") or [])
    knows = "the quasi-identifiers (" + qi + ") or " if qi else ""
    intro = (
        f"Attacks with a control set (Anonymeter's method): an attacker knowing {e(knows)}"
        "every other column of a real record finds its nearest synthetic row and reads off "
        "the secret; predicates read off the synthetic rows try to isolate one real person "
        "(singling-out: the share of training rows among the people isolated, against the "
        "split's share; 'targets' is then the number of predicates). The same attacks on "
        "holdout rows (never seen) are the control. Risk = (train − control) / (1 − control)."
    )
    if a.get("not_attacked"):
        intro += f" Not attacked as secrets (bounded work): {e(', '.join(a['not_attacked']))}."
    if a.get("skipped"):
        intro += f" Inference attack skipped: {e(a['skipped'])}."
    if not rows:
        return f'<p class="note">{intro}</p>'
    return f'<p class="note">{intro}</p>' + table(
        ["attack", "success on train", "success on control", "targets", "risk", "interval"],
        rows,
        numeric={1, 2, 3, 4, 5},
    )


def _near_copies_table(n: dict[str, Any] | None) -> str:
    """The near-copy test per factor, and what it can find at this table size."""
    if not n:
        return ""
    rows = [
        [
            "nearer a training row than any holdout row"
            + ("" if f.get("factor") == 1 else f" by ×{fmt(f.get('factor'))}"),
            pct(f.get("share")),
            pct(f.get("expected")),
            pct(f.get("excess")),
            pct(f.get("excess_lower")),
            fmt(f.get("p_value")),
        ]
        for f in n.get("factors") or []
    ]
    power = n.get("power") or {}

    def found(key: str) -> str:
        v = power.get(key)
        return "not at this table size" if v is None else f"from {pct(v)} of the rows"

    intro = (
        "Near-copies: how many synthetic rows sit nearer a <i>training</i> row than any "
        "holdout row (by a factor), against random train/holdout relabellings of the same "
        "real rows; the excess estimates the share of rows that copy a training row. "
        f"Power ({pct(power.get('probability'))} detection): copies that stand out are found "
        f"{found('copies_nearest')}; copies anywhere {found('copies_anywhere')}."
    )
    return f'<h3>Near-copy test</h3><p class="note">{intro}</p>' + table(
        ["synthetic rows", "share", "random splits", "copies (estimate)", "lower bound", "p"],
        rows,
        numeric={1, 2, 3, 4, 5},
    )


def leakage(s: dict[str, Any], figures: dict[str, str]) -> str:
    lede = (
        "Does any synthetic row sit closer to a training row than chance allows? Each "
        "synthetic row's distance to the closest training row is compared with its distance "
        "to the closest holdout row (real rows the model never saw)."
    )
    unit = s.get("unit") or {}
    if unit.get("column"):
        lede += (
            f" The unit is the person (column '{e(unit['column'])}'): the random train/holdout "
            "relabellings and the attacks move whole persons, and a predicate singles out a "
            "person, not a row."
        )
    elif unit:
        lede += " No person column is declared: the unit is one row."
    rows, hl = [], []
    for m in s.get("metrics", []):
        iv = m.get("interval")
        ivt = f"{fmt(iv[0])} – {fmt(iv[1])}" if isinstance(iv, list) and len(iv) == 2 else "—"
        rows.append(
            [
                f"<b>{e(m.get('name'))}</b>"
                + (
                    f'<br><span class="note">{e(m["plain_name"])}</span>'
                    if m.get("plain_name")
                    else ""
                ),
                fmt(m.get("value")),
                fmt(m.get("baseline")),
                ivt,
                fmt(m.get("threshold")),
                pill(m.get("verdict") or "info"),
                f'<span class="ev">{e(m.get("explanation"))}</span>',
            ]
        )
        hl.append(m.get("verdict") == "block")
    out = [
        f'<p class="lede">{lede}</p>',
        table(
            ["metric", "value", "baseline", "interval", "threshold", "verdict", "meaning"],
            rows,
            numeric={1, 2, 3, 4},
            highlight=hl,
        ),
    ]
    out.append(
        figure(
            "gate",
            figures,
            "Each gate metric with its confidence interval; a metric "
            "blocks when its interval crosses the threshold.",
            "gate metrics",
        )
    )
    out.append(
        figure(
            "dcr",
            figures,
            "Distance to closest record. If the synthetic→train curve "
            "lies left of the synthetic→holdout curve, synthetic rows copy training "
            "rows.",
            "distance to closest record distributions",
        )
    )
    x = s.get("exact_copies", {})
    d = s.get("dcr", {})
    facts = []
    for key, label in (("train", "training"), ("holdout", "holdout")):
        if d.get(key):
            facts.append(
                (
                    f"synthetic rows at distance 0 from a {label} row",
                    pct(d[key]["exact_match_share"], 2),
                )
            )
    if x.get("synthetic_in_train") is not None:
        facts.append(
            (
                "synthetic rows identical to a training row",
                f'{pct(x["synthetic_in_train"], 2)} <span class="note">(over '
                f"{fmt(x.get('columns'))} released modelled columns)</span>",
            )
        )
    if x.get("synthetic_in_holdout") is not None:
        facts.append(
            ("synthetic rows identical to a holdout row", pct(x["synthetic_in_holdout"], 2))
        )
    if x.get("holdout_in_train") is not None:
        facts.append(
            ("baseline: holdout rows identical to a training row", pct(x["holdout_in_train"], 2))
        )
    fl = s.get("flagged_rows", {})
    listed = ", ".join(str(i) for i in fl.get("indices", []))
    more = " …" if fl.get("count", 0) > len(fl.get("indices", [])) else ""
    facts.append(
        (
            "flagged synthetic rows",
            f"<b>{fmt(fl.get('count', 0))}</b>"
            + (f' <span class="note">(row indices: {e(listed)}{more})</span>' if listed else ""),
        )
    )
    sizes = s.get("sizes", {})
    if sizes:
        facts.append(("sizes", e(", ".join(f"{k}: {fmt(v)}" for k, v in sizes.items()))))
    if s.get("columns_used"):
        facts.append(("columns compared", e(", ".join(s["columns_used"]))))
    facts += _leakage_scope(s)
    out.append(kv(facts))
    out.append(_near_copies_table(s.get("near_copies")))
    out.append(_attacks_table(s.get("attacks")))
    q = s.get("dcr_quantiles") or {}
    if q:
        keys = sorted({k for v in q.values() if isinstance(v, dict) for k in v})
        out.append("<h3>Distance quantiles</h3>")
        out.append(
            table(
                ["synthetic → ", *keys],
                [
                    [e(side), *(fmt(v.get(k)) for k in keys)]
                    for side, v in q.items()
                    if isinstance(v, dict)
                ],
                numeric=set(range(1, len(keys) + 1)),
            )
        )
    return "".join(out)

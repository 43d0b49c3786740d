"""HTML for each report section. Every value is escaped; nothing here reads data."""

from __future__ import annotations

from html import escape
from typing import Any

from synth.report.common import STD_RATIO_HIGH, STD_RATIO_WARN, fixed, fmt, num, pct, pp

FOOTER = (
    "This report contains aggregate statistics of the real data. Share it only with "
    "people allowed to see them."
)


def e(x: Any) -> str:
    return escape("—" if x is None else str(x))


def table(
    head: list[str],
    rows: list[list[str]],
    *,
    numeric: set[int] | None = None,
    highlight: list[bool] | None = None,
    foot: list[str] | None = None,
    css: str = "",
) -> str:
    """``head`` is plain text; cells are HTML. ``numeric`` holds right-aligned column indices."""
    numeric = numeric or set()

    def cls(i: int) -> str:
        return ' class="n"' if i in numeric else ""

    th = "".join(f"<th{cls(i)}>{e(h)}</th>" for i, h in enumerate(head))
    body = []
    for r, cells in enumerate(rows):
        hl = ' class="hl"' if highlight and highlight[r] else ""
        body.append(
            f"<tr{hl}>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(cells)) + "</tr>"
        )
    tf = ""
    if foot:
        tf = (
            "<tfoot><tr>"
            + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(foot))
            + "</tr></tfoot>"
        )
    klass = f' class="{e(css)}"' if css else ""
    return (
        f'<div class="tablewrap"><table{klass}><thead><tr>{th}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody>{tf}</table></div>"
    )


def pill(text: Any, kind: str | None = None) -> str:
    k = escape(str(kind if kind is not None else text)).replace(" ", "_")
    return f'<span class="pill {k}">{e(text)}</span>'


def figure(fig_id: str, figures: dict[str, str], caption: str, alt: str) -> str:
    data = figures.get(fig_id)
    if not data:
        return ""
    return (
        f'<figure><img alt="{e(alt)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


LEGEND = (
    '<span class="legend"><i style="background:var(--real)"></i>real (training)'
    '<i style="background:var(--synth)"></i>synthetic</span>'
)


def section(key: str, no: int, title: str, body: str) -> str:
    return (
        f'<section class="card" id="{e(key)}"><h2><span class="secno">{no}</span>'
        f"{e(title)}</h2>{body}</section>"
    )


def kv(pairs: list[tuple[str, str]]) -> str:
    return '<dl class="kv">' + "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"


def meta_line(meta: dict[str, Any]) -> str:
    parts = [f"generated {e(meta.get('generated_at'))}"]
    if meta.get("tool_version"):
        parts.append(f"steward-synth {e(meta['tool_version'])}")
    rows = meta.get("rows", {})
    parts.append(
        f"{fmt(rows.get('train'))} training rows · {fmt(rows.get('holdout'))} holdout "
        f"rows · {fmt(rows.get('synthetic'))} synthetic rows"
    )
    return " · ".join(parts)


# -- 1. verdict -----------------------------------------------------------------------------
def _tile(k: str, v: str, s: str = "", bar: float | None = None) -> str:
    b = ""
    if bar is not None:
        width = max(0.0, min(1.0, bar)) * 100
        b = f'<div class="bar"><span style="width:{width:.1f}%"></span></div>'
    return (
        f'<div class="tile"><div class="k">{e(k)}</div><div class="v">{v}</div>'
        f'<div class="s">{s}</div>{b}</div>'
    )


def verdict(v: dict[str, Any], report: dict[str, Any]) -> str:
    ok = bool(v.get("released"))
    eps, dlt = v.get("epsilon", {}), v.get("delta", {})
    es, eb = num(eps.get("spent")), num(eps.get("budget"))
    tiles = [
        _tile(
            "privacy cost ε",
            f"{fixed(es, 2)} <small>of {fixed(eb, 2)}</small>",
            f"{pct(es / eb) if es is not None and eb else '—'} of the budget spent",
            es / eb if es is not None and eb else None,
        ),
        _tile("δ", f"{fmt(dlt.get('spent'))}", f"budget {fmt(dlt.get('budget'))}"),
        _tile("real rows used", fmt(v.get("rows_used")), "rows the model learned from"),
        _tile(
            "synthetic rows released",
            fmt(v.get("rows_released")),
            f"of {fmt(v.get('rows_generated'))} generated",
        ),
    ]
    h = v.get("headline", {})
    gate = report.get("leakage", {})
    n_block = sum(1 for m in gate.get("metrics", []) if m.get("verdict") == "block")
    n_gate = sum(1 for m in gate.get("metrics", []) if m.get("verdict") in ("pass", "block"))
    tiles.append(
        _tile(
            "leakage gate",
            "passed" if v.get("gate_passed") else "blocked",
            f"{n_block} of {n_gate} gate metrics blocked",
        )
    )
    if h.get("mean_tvd") is not None:
        tiles.append(
            _tile("fidelity (mean TVD)", fixed(h["mean_tvd"]), "1-way; 0 = identical distributions")
        )
    if h.get("tstr_auc") is not None:
        tiles.append(
            _tile(
                "ML utility (AUC)",
                fixed(h["tstr_auc"]),
                f"trained on synthetic; {fixed(h.get('trtr_auc'))} on real",
            )
        )
    att = ""
    if v.get("attention"):
        att = (
            '<div class="attention"><b>Before signing, look at:</b><ul>'
            + "".join(f"<li>{e(a)}</li>" for a in v["attention"])
            + "</ul></div>"
        )
    word, icon = ("RELEASED", "✓") if ok else ("BLOCKED", "✕")
    answer = (
        "This synthetic table may be released."
        if ok
        else "This synthetic table must not be released."
    )
    return (
        f'<section class="banner {"ok" if ok else "bad"}" id="verdict">'
        f'<div class="status"><div class="icon">{icon}</div><div class="word">{word}</div>'
        f"<div><b>{e(answer)}</b></div></div>"
        f'<p class="reason">{e(v.get("reason"))}</p>'
        f'<div class="tiles">{"".join(tiles)}</div>{att}</section>'
    )


# -- 2. PII scan ----------------------------------------------------------------------------
def pii_scan(s: dict[str, Any], figures: dict[str, str]) -> str:
    lede = (
        "How each column was classified and what was done with it before modelling. "
        "Only column names, classes and evidence summaries are shown, never values."
    )
    rows = []
    for c in s.get("columns", []):
        action = c["action"] + (f" ({c['generalise']})" if c.get("generalise") else "")
        rows.append(
            [
                f'<b>{e(c["column"])}</b><span class="sub">{e(c["type"])}</span>',
                pill(c["role"].replace("_", " "), c["role"]),
                f'<span class="ent">{e(c.get("entity")).replace("_", "_<wbr>")}</span>'
                + (f'<span class="sub">HIPAA: {e(c["hipaa"])}</span>' if c.get("hipaa") else ""),
                e(action),
                e(c["output"]),
                fixed(c.get("confidence"), 2),
                '<ul class="ev">'
                + "".join(f"<li>{e(x)}</li>" for x in c.get("evidence", []))
                + "</ul>",
            ]
        )
    out = [
        f'<p class="lede">{lede}</p>',
        table(
            ["column", "role", "entity", "action", "in output", "confidence", "evidence"],
            rows,
            numeric={5},
            css="pii",
        ),
    ]
    facts = [
        ("NLP engine", e(s.get("nlp_engine") or "no scan result given")),
        ("rows scanned", fmt(s.get("rows_scanned"))),
    ]
    roles = s.get("roles", {})
    facts.append(
        ("columns by role", e(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in roles.items())))
    )
    ents = s.get("free_text_entities", {})
    facts.append(
        (
            "PII spans in sampled free text",
            e(", ".join(f"{k}: {v}" for k, v in sorted(ents.items(), key=lambda kv: -kv[1])))
            if ents
            else "none found"
            if s.get("scanned")
            else "—",
        )
    )
    if s.get("surrogates"):
        facts.append(
            (
                "surrogate columns",
                e(", ".join(s["surrogates"]))
                + ' <span class="note">(fresh values, never derived from the data)</span>',
            )
        )
    out.append(kv(facts))
    gone = s.get("not_released", [])
    if gone:
        out.append("<h3>Not in the synthetic output</h3>")
        out.append(
            table(
                ["column", "action", "why"],
                [[e(g["column"]), e(g["action"]), e(g["why"])] for g in gone],
            )
        )
    return "".join(out)


# -- 3. ledger ------------------------------------------------------------------------------
def _params(p: dict[str, Any]) -> str:
    return ", ".join(
        f"{e(k)} = {e(fmt(v) if isinstance(v, float) else v)}"
        for k, v in p.items()
        if k != "mechanism"
    )


def ledger(s: dict[str, Any], figures: dict[str, str]) -> str:
    if not s.get("available"):
        return f'<p class="lede">{e(s.get("note"))}</p>'
    lede = (
        "Every mechanism that touched real rows, with its privacy cost. ε alone is each "
        "charge's cost by itself; the total is composed with Rényi-DP accounting, which is "
        "tighter than adding them up."
    )
    rows = [
        [
            e(c["purpose"]),
            e(c["target"]),
            e(c["parameters"].get("mechanism")),
            f'<span class="ev">{_params(c["parameters"])}</span>',
            fmt(c["epsilon_alone"]),
        ]
        for c in s.get("charges", [])
    ]
    spent, budget = s.get("spent", {}), s.get("budget", {})
    foot = [
        "Total (composed)",
        "",
        "",
        f"δ = {fmt(spent.get('delta'))} of {fmt(budget.get('delta'))}",
        f"ε = {fixed(spent.get('epsilon'), 2)} of {fixed(budget.get('epsilon'), 2)}",
    ]
    out = [
        f'<p class="lede">{lede}</p>',
        table(
            ["purpose", "target", "mechanism", "parameters", "ε alone"],
            rows,
            numeric={4},
            foot=foot,
        ),
    ]
    facts = [
        ("accounting", e(s.get("accounting"))),
        ("conversion δ", fmt(s.get("conversion_delta"))),
        ("engine", f"<b>{e(s.get('engine'))}</b> — {e(s.get('engine_reason'))}"),
        ("rows used", fmt(s.get("rows_used"))),
    ]
    tr = s.get("training", {})
    if tr:
        facts.append(
            (
                "training",
                e(
                    ", ".join(
                        f"{k} = {fmt(v) if isinstance(v, float) else v}" for k, v in tr.items()
                    )
                ),
            )
        )
    opts = s.get("engine_options", {})
    if opts:
        facts.append(("engine options", e(", ".join(f"{k} = {v}" for k, v in opts.items()))))
    doms = s.get("domains", [])
    if doms:
        facts.append(
            (
                "domains estimated under DP",
                e(", ".join(f"{d.get('column')} ({d.get('kind')})" for d in doms)),
            )
        )
    out.append(kv(facts))
    return "".join(out)


# -- 4. leakage -----------------------------------------------------------------------------
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
    outcomes = [(f"inference: {o.get('name')}", o) for o in a.get("inference") or []]
    if a.get("linkability"):
        outcomes.append(("linkability", a["linkability"]))
    for label, o in outcomes:
        iv = o.get("risk_interval") or [None, None]
        rows.append(
            [
                e(label),
                pct(o.get("success_rate_train")),
                pct(o.get("success_rate_control")),
                fmt(o.get("n_train_targets")),
                fmt(o.get("risk")),
                f"{fmt(iv[0])} – {fmt(iv[1])}",
            ]
        )
    intro = (
        "Attacks with a control set (Anonymeter's method): an attacker knowing "
        f"{e(', '.join(a.get('auxiliary_columns') or [])) or 'some columns'} of a real record "
        "finds its nearest synthetic row and reads off the secret; the same attack on holdout "
        "rows (never seen) is the control. Risk = (train − control) / (1 − control)."
    )
    if a.get("skipped"):
        intro += f" Inference attack skipped: {e(a['skipped'])}."
    if not rows:
        return f'<p class="note">{intro}</p>'
    return f'<p class="note">{intro}</p>' + table(
        ["attack", "success on train", "success on control", "targets", "risk", "interval"],
        rows,
        numeric={1, 2, 3, 4, 5},
    )


def leakage(s: dict[str, Any], figures: dict[str, str]) -> str:
    lede = (
        "Does any synthetic row sit closer to a training row than chance allows? Each "
        "synthetic row's distance to the closest training row is compared with its distance "
        "to the closest holdout row (real rows the model never saw)."
    )
    rows, hl = [], []
    for m in s.get("metrics", []):
        iv = m.get("interval")
        ivt = f"{fmt(iv[0])} – {fmt(iv[1])}" if isinstance(iv, list) and len(iv) == 2 else "—"
        rows.append(
            [
                f"<b>{e(m.get('name'))}</b>",
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


# -- 5. fidelity ----------------------------------------------------------------------------
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
        _tile(
            f"mean TVD, {k}",
            fixed(mt.get(k)),
            f"over {fmt(cnt.get(k))} {'column' if k == '1-way' else 'combination'}s",
        )
        for k in ("1-way", "2-way", "3-way")
    )
    t = s.get("tstr", {})
    if t.get("tstr_auc") is not None:
        tiles += _tile(
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
        rows.append(
            [
                e(r["column"]),
                e(r["kind"]),
                f"<b>{fixed(r.get('tvd'))}</b>",
                f"{pct(r.get('missing_real'))} / {pct(r.get('missing_synthetic'))}",
                e(detail),
            ]
        )
        hl.append((num(r.get("tvd")) or 0) >= 0.1)
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
                    ("scored on", f"{fmt(t.get('holdout_rows'))} holdout rows"),
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


# -- 6. bias --------------------------------------------------------------------------------
def bias(s: dict[str, Any], figures: dict[str, str]) -> str:
    tol = s.get("tolerances", {})
    lede = (
        f"Protected groups: their share of rows and, with a target, their outcome rate, real "
        f"vs synthetic. A group is flagged when its share moved by more than "
        f"{fmt(100 * (num(tol.get('share_points')) or 0))} percentage points or its rate by "
        f"more than {fmt(100 * (num(tol.get('rate_points')) or 0))} points. Groups with "
        f"fewer than about {fmt(tol.get('small_group_rows'))} real rows are marked small: "
        "there, DP noise dominates."
    )
    out = [f'<p class="lede">{lede}</p>']
    if s.get("note"):
        out.append(f'<p class="note">{e(s["note"])}</p>')
    for a in s.get("attributes", []):
        out.append(f"<h3>{e(a['column'])}</h3>")
        if a.get("skipped"):
            out.append(f'<p class="note">Skipped: {e(a["skipped"])}.</p>')
            continue
        has_rate = a.get("outcome") is not None
        head = ["group", "share real", "share synthetic", "change"]
        if has_rate:
            head += ["rate real", "rate synthetic", "change"]
        head.append("")
        rows, hl = [], []
        for g in a["groups"]:
            r = [
                e(g["group"]),
                pct(g["share_real"]),
                pct(g["share_synthetic"]),
                pp(g["share_diff"]),
            ]
            if has_rate:
                mean = str(a["outcome"]).startswith("mean ")
                r += (
                    [fmt(g.get("rate_real")), fmt(g.get("rate_synthetic")), fmt(g.get("rate_diff"))]
                    if mean
                    else [
                        pct(g.get("rate_real")),
                        pct(g.get("rate_synthetic")),
                        pp(g.get("rate_diff")),
                    ]
                )
            tags = [pill(f"{f} moved", "flag") for f in g["flags"]]
            if g.get("small"):
                tags.append(pill("small", "small"))
            if g.get("only_synthetic"):
                tags.append(pill("only in synthetic", "new"))
            r.append(" ".join(tags))
            rows.append(r)
            hl.append(bool(g["flags"]))
        out.append(
            f'<p class="note">Grouping: {e(a.get("grouping"))}'
            + (f"; outcome: {e(a['outcome'])}" if has_rate else "")
            + "</p>"
        )
        out.append(table(head, rows, numeric=set(range(1, len(head) - 1)), highlight=hl))
    out.append(
        figure(
            "bias",
            figures,
            f"{LEGEND} — group shares and outcome rates.",
            "group shares and outcome rates",
        )
    )
    return "".join(out)


# -- 7. diversity ---------------------------------------------------------------------------
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


# -- 8. limits ------------------------------------------------------------------------------
def limits(s: dict[str, Any], figures: dict[str, str]) -> str:
    items = "".join(f"<li>{e(p)}</li>" for p in s.get("points", []))
    return (
        '<p class="lede">What this synthetic table should not be trusted for, from the '
        f'measurements above.</p><ul class="limits">{items}</ul>'
    )


def signature() -> str:
    return (
        '<section class="card" id="signoff"><h2>Steward sign-off</h2>'
        '<p class="lede">I have reviewed this report and the release decision above.</p>'
        '<div class="sign"><div>Name</div><div>Signature</div><div>Date</div></div>'
        "</section>"
    )

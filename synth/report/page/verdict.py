"""Section 1, the first screen: released or blocked, why, and the privacy cost in tiles."""

from __future__ import annotations

from typing import Any

from synth.report.common import fixed, fmt, num, pct
from synth.report.page.markup import e, tile
from synth.report.page.provenance import provenance
from synth.report.remedies import RERUN
from synth.schema.io import REVIEWED


def verdict(v: dict[str, Any], report: dict[str, Any]) -> str:
    ok = bool(v.get("released"))
    eps, dlt = v.get("epsilon", {}), v.get("delta", {})
    es, eb = num(eps.get("spent")), num(eps.get("budget"))
    tiles = [
        tile(
            "privacy cost ε",
            f"{fixed(es, 2)} <small>of {fixed(eb, 2)}</small>",
            f"{pct(es / eb) if es is not None and eb else '—'} of the budget spent",
            es / eb if es is not None and eb else None,
        ),
        tile("δ", f"{fmt(dlt.get('spent'))}", f"budget {fmt(dlt.get('budget'))}"),
        tile(
            "privacy unit",
            "person" if (v.get("privacy") or {}).get("unit_column") else "row",
            e((v.get("privacy") or {}).get("unit_words", "")),
        ),
        tile(
            "training rows",
            f"≈ {fmt(v.get('rows_estimate'))}" if v.get("rows_estimate") is not None else "—",
            "DP estimate; the exact number is private",
        ),
        tile(
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
        tile(
            "leakage gate",
            "passed" if v.get("gate_passed") else "blocked",
            f"{n_block} of {n_gate} gate metrics blocked",
        )
    )
    if h.get("mean_tvd") is not None:
        tiles.append(
            tile("fidelity (mean TVD)", fixed(h["mean_tvd"]), "1-way; 0 = identical distributions")
        )
    if h.get("tstr_auc") is not None:
        tiles.append(
            tile(
                "ML utility (AUC)",
                fixed(h["tstr_auc"]),
                f"trained on synthetic; {fixed(h.get('trtr_auc'))} on real",
            )
        )
    att = _remedies(v.get("remedies") or [])
    if v.get("attention"):
        att += (
            '<div class="attention"><b>Before signing, look at:</b><ul>'
            + "".join(f"<li>{e(a)}</li>" for a in v["attention"])
            + "</ul></div>"
        )
    word, icon = ("RELEASED", "✓") if ok else ("BLOCKED", "✕")
    guarantee = _guarantee(v, report)
    answer = (
        "This synthetic table may be released."
        if ok
        else "This synthetic table must not be released."
    )
    return (
        f'<section class="banner {"ok" if ok else "bad"}" id="verdict">'
        f'<div class="status"><div class="icon">{icon}</div><div class="word">{word}</div>'
        f"<div><b>{e(answer)}</b></div></div>"
        f'<p class="reason">{e(v.get("reason"))}</p>{guarantee}'
        f'<div class="tiles">{"".join(tiles)}</div>{att}'
        f"{provenance(report.get('provenance'))}</section>"
    )


def _guarantee(v: dict[str, Any], report: dict[str, Any]) -> str:
    """What the ε/δ guarantee covers, for whom, and what it does not cover; warnings when
    the fit was seeded for a test or the schema is the scan's unreviewed draft."""
    out = []
    rnd = v.get("randomness") or {}
    if rnd and not rnd.get("private", True):
        out.append(
            '<p class="warnbox"><b>NOT PRIVATE:</b> the fit was seeded for a test '
            "(--insecure-seed); anyone with the seed can remove the noise. Never release it.</p>"
        )
    g = v.get("privacy") or {}
    if v.get("guarantee_plain"):
        formal = (
            f' <span class="note">Formally: {e(g["statement"])}</span>'
            if g.get("statement")
            else ""
        )
        out.append(
            f'<p class="guarantee"><b>What this means for one person:</b> '
            f"{e(v['guarantee_plain'])}{formal}</p>"
        )
    elif g.get("statement"):
        out.append(f'<p class="guarantee"><b>Guarantee:</b> {e(g["statement"])}</p>')
    if v.get("schema") and v["schema"] != REVIEWED:
        out.append(
            '<p class="warnbox"><b>Unreviewed draft schema:</b> the scan chose column types, '
            "roles, actions and the privacy unit from the rows (holdout included), outside "
            "the DP guarantee. Review schema.yaml and release again with --schema.</p>"
        )
    gaps = v.get("not_covered") or []
    if gaps:
        out.append(
            '<p class="note"><b>Not covered by the guarantee:</b> '
            + "; ".join(e(x) for x in gaps)
            + ". "
            + e((report.get("meta") or {}).get("internal", ""))
            + "</p>"
        )
    return "".join(out)


def _remedies(items: list[dict[str, Any]]) -> str:
    """For each blocking gate metric: its plain name, likely causes and what to do."""
    if not items:
        return ""
    parts, seen = [], set()
    for r in items:
        new = [x for x in r.get("remedies") or [] if x not in seen]
        more = len(new) < len(r.get("remedies") or [])
        seen.update(new)
        parts.append(
            f"<li><b>{e(r.get('plain'))}</b> <code>{e(r.get('metric'))}</code>"
            "<br>Likely causes: "
            + "; ".join(e(c) for c in r.get("causes") or [])
            + ".<ul>"
            + "".join(f"<li>{e(x)}</li>" for x in new)
            + ("<li>and the remedies above.</li>" if more else "")
            + "</ul></li>"
        )
    return (
        '<div class="attention" id="remedies"><b>What to do: the gate blocked on</b><ul>'
        + "".join(parts)
        + f'</ul><p class="note">{e(RERUN)}</p></div>'
    )

"""Section 1, the first screen: released or blocked, why, and the privacy cost in tiles."""

from __future__ import annotations

from typing import Any

from synth.report.common import fixed, fmt, num, pct
from synth.report.page.markup import e, tile


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
        tile("real rows used", fmt(v.get("rows_used")), "rows the model learned from"),
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

"""Section 2: how each column was classified and handled. Names and evidence, never values."""

from __future__ import annotations

from typing import Any

from synth.report.common import fixed
from synth.report.page.markup import e, kv, pill, table


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

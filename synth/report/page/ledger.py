"""Section 3: the privacy ledger, every DP charge on real rows and the composed total."""

from __future__ import annotations

from typing import Any

from synth.report.common import fixed, fmt
from synth.report.page.markup import e, kv, table


def _value(v: Any) -> str:
    """A parameter in words: marginals as 'age × sex', per-column values as 'age: 5',
    lists comma-separated (plain text; the caller escapes)."""
    if isinstance(v, float):
        return fmt(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        if v and all(isinstance(x, list) for x in v):
            return "[" + "; ".join(" × ".join(str(i) for i in x) for x in v) + "]"
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return str(v)


def _params(p: dict[str, Any]) -> str:
    return ", ".join(f"{e(k)} = {e(_value(v))}" for k, v in p.items() if k != "mechanism")


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
        (
            "training rows",
            f"≈ {fmt(s.get('rows_estimate'))} (DP estimate from the noisy 1-way counts; the "
            "exact number is private)",
        ),
    ]
    g = s.get("privacy") or {}
    if g:
        facts.append(("privacy unit", e(g.get("unit_words"))))
        facts.append(("neighbouring relation", e(g.get("neighbouring"))))
    rnd = s.get("randomness") or {}
    if rnd:
        facts.append(("randomness", e(rnd.get("fit"))))
    tr = s.get("training", {})
    if tr:
        facts.append(
            (
                "training",
                e(", ".join(f"{k} = {_value(v)}" for k, v in tr.items())),
            )
        )
    opts = s.get("engine_options", {})
    if opts:
        facts.append(
            ("engine options", e(", ".join(f"{k} = {_value(v)}" for k, v in opts.items())))
        )
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

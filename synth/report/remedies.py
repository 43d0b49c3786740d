"""What a blocked release can do next: for each blocking gate metric, a plain name, the
likely causes and the remedies that fit this table, in words (issue 20).

The texts are here, one entry per metric; :func:`remedies` picks the ones that apply
(public domains only when some were estimated under DP, the other engine than the one
used, more rows only for a small table) and names the columns the leakage result points
at (the attacked secrets for inference, the quasi-identifiers for linkage and
singling-out)."""

from __future__ import annotations

from typing import Any

from synth.report.common import fmt, num

#: below this DP estimate of persons (or rows), "more rows" is offered as a remedy
FEW_ROWS = 20_000
#: at most this many columns named per remedy
MAX_NAMED = 5

_NEAR = {
    "plain": "synthetic rows that are near-copies of real people's rows",
    "causes": [
        "the model fits the training rows too closely: a high ε buys accuracy, and on a "
        "small table accuracy means reproducing individual rows",
        "a column with many distinct values (a precise date, a lab value to many decimals, a "
        "fine-grained code) makes every real row distinctive, so a faithful synthetic row "
        "lands near one real row",
        "the privacy unit is wrong: a person with several rows counted as several persons "
        "weighs more than the budget allows",
        "chance: a genuine DP fit blocks now and then at the gate's threshold",
    ],
}
_EXACT = {
    "plain": "synthetic rows identical to a real row",
    "causes": [
        "few columns with few values each: many real rows are identical, so identical "
        "synthetic rows say little, but above the holdout's rate they do",
        "a high ε on a small table: the model reproduces rare whole rows",
        "the privacy unit is wrong: a person's repeated rows are counted as several persons",
    ],
}
_INFERENCE = {
    "plain": "an attacker who knows some of a person's columns guesses a hidden one",
    "causes": [
        "the secret column is nearly determined by a few quasi-identifiers, and the model "
        "learnt that link for the training persons more than for unseen ones",
        "a high ε on a small table: the combinations of the training persons are reproduced",
    ],
}
_LINK = {
    "plain": "an attacker links two halves of a real person's record through the synthetic rows",
    "causes": [
        "the quasi-identifiers together single out most persons, and the synthetic rows "
        "keep their combinations",
        "a high ε on a small table",
    ],
}
_SINGLE = {
    "plain": "a value or combination in the synthetic rows picks out one real person",
    "causes": [
        "rare values or rare combinations of the quasi-identifiers survive in the synthetic "
        "rows (a rare category, an extreme number, an exact date)",
        "a high ε on a small table",
    ],
}
#: the texts by gate metric name (dcr_share: the older name of the near-copy share)
METRICS: dict[str, dict[str, Any]] = {
    "near_copy_share": _NEAR,
    "dcr_share": _NEAR,
    "exact_match_share": _EXACT,
    "inference_risk": _INFERENCE,
    "linkability_risk": _LINK,
    "singling_out_risk": _SINGLE,
}
_OTHER = {
    "plain": "a leakage-gate metric",
    "causes": ["the synthetic rows are measurably closer to the training rows than chance"],
}

RERUN = (
    "Do not simply run the release again until the gate passes: every re-run on the same "
    "rows spends budget again and the choice among runs is not covered by the guarantee; "
    "change something, and count every run's ε."
)


def plain_name(metric: str) -> str | None:
    """The metric's name in plain words, or None for a metric without one."""
    m = METRICS.get(metric)
    return None if m is None else m["plain"]


def _names(cols: list[str]) -> str:
    shown = ", ".join(f"'{c}'" for c in cols[:MAX_NAMED])
    return shown + (f" and {len(cols) - MAX_NAMED} more" if len(cols) > MAX_NAMED else "")


def _pointed(metric: dict[str, Any], attacks: dict[str, Any] | None) -> list[str]:
    """The columns the leakage result says a metric is about."""
    a = attacks or {}
    name = metric.get("name")
    if name == "inference_risk":
        limit = num(metric.get("threshold"))
        outs = [o for o in a.get("inference") or [] if o.get("name")]
        high = [
            o
            for o in outs
            if limit is not None
            and num((o.get("risk_interval") or [None])[0]) is not None
            and num(o["risk_interval"][0]) > limit  # type: ignore[operator]
        ]
        if not high:
            high = sorted(
                (o for o in outs if (num(o.get("risk")) or 0) > 0),
                key=lambda o: -(num(o.get("risk")) or 0),
            )[:3]
        return list(dict.fromkeys(str(o["name"]) for o in high))
    return [str(c) for c in a.get("auxiliary_columns") or []]


def _fixes(
    name: str,
    cols: list[str],
    model: dict[str, Any] | None,
) -> list[str]:
    m = model or {}
    eps = num((m.get("spent") or {}).get("epsilon")) or num((m.get("budget") or {}).get("epsilon"))
    engine = (m.get("engine") or {}).get("engine")
    rows = num(((m.get("privacy") or {}).get("persons") or {}).get("persons_estimate")) or num(
        m.get("rows_estimate")
    )
    unit = (m.get("privacy") or {}).get("unit_column")
    out: list[str] = []
    if name == "inference_risk" and cols:
        out.append(
            f"Generalise or drop the secret column(s) the attack guessed best ({_names(cols)}), "
            "or generalise the quasi-identifiers it guessed them from (action: generalise, "
            "e.g. zip3, year, age_band)."
        )
    elif cols:
        out.append(
            f"Generalise the quasi-identifiers ({_names(cols)}): coarser zip, year instead of "
            "date, age bands (action: generalise), or drop one that the use of the data "
            "does not need."
        )
    else:
        out.append(
            "Generalise or drop the column with the most distinct values (exact dates, "
            "precise measurements, fine codes): action generalise or drop in schema.yaml."
        )
    out.append(
        f"Lower ε (now {fmt(eps)}): the model then follows the individual rows less. Raise it "
        "only with care, as the fidelity gained is bought with the same closeness the gate "
        "measures."
        if eps is not None
        else "Lower ε: the model then follows the individual rows less."
    )
    if name in ("near_copy_share", "dcr_share", "exact_match_share") and not unit:
        out.append(
            "Declare the person column (privacy unit) if a person can have several rows: "
            "their rows then count as one person."
        )
    if rows is not None and rows < FEW_ROWS:
        out.append(
            f"Use more rows if you have them (about {fmt(int(rows))} now, DP estimate): each "
            "person then weighs less in every statistic the model learns."
        )
    if m.get("domains"):
        out.append(
            "Declare public domains in schema.yaml (code lists, clinical ranges, the "
            "extract's date window): the budget spent estimating them goes to the model, so "
            "a lower ε keeps the same fidelity."
        )
    if engine == "dpsgd":
        out.append("Switch engine (--engine aim): the marginal engines keep only aggregates.")
    elif engine in ("aim", "mst"):
        other = "mst" if engine == "aim" else "aim"
        out.append(
            f"Switch engine (--engine {other}"
            + (", fewer and fixed column pairs" if other == "mst" else "")
            + "): a different model fits the rows differently."
        )
    return out


def remedies(leakage: dict[str, Any], model: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One entry per blocking gate metric: its plain name, likely causes, the remedies that
    fit this release and the columns they name; empty when nothing blocks. ``leakage`` is
    the report's leakage section (metrics and attacks), ``model`` the model description."""
    out = []
    for m in leakage.get("metrics") or []:
        if m.get("verdict") != "block":
            continue
        name = str(m.get("name"))
        text = METRICS.get(name, _OTHER)
        cols = _pointed(m, leakage.get("attacks"))
        out.append(
            {
                "metric": name,
                "plain": text["plain"],
                "columns": cols,
                "causes": list(text["causes"]),
                "remedies": _fixes(name, cols, model),
            }
        )
    return out

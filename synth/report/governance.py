"""The privacy sections: PII scan, privacy ledger, leakage gate, the verdict, and the
release's provenance."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synth.ledger import NOT_COVERED
from synth.person_size import SIZE_COLUMN
from synth.report.common import fmt, num
from synth.report.remedies import plain_name
from synth.schema.io import DRAFT, REVIEWED
from synth.schema.model import Action, ColumnType, Schema

#: flagged synthetic row indices listed in the report (the count is always complete)
MAX_FLAGGED_LISTED = 50

NOT_RELEASED_WHY = {
    "drop": "dropped by the schema (action: drop)",
    "redact": "free text: not synthesised in this release (action: redact)",
    "replace": "replaced, but text surrogates are not generated",
    "keep": "modelled but absent from the synthetic table",
    "generalise": "modelled but absent from the synthetic table",
}


def pii_scan(
    schema: Schema,
    scan: dict[str, Any] | None,
    model: dict[str, Any] | None,
    released_columns: list[str],
) -> dict[str, Any]:
    findings = {f.get("name"): f for f in (scan or {}).get("columns", [])}
    rows = []
    for col in schema.columns:
        f = findings.get(col.name, {})
        if col.name in released_columns:
            output = "surrogate" if col.action == Action.REPLACE else "synthesised"
        else:
            output = "not released"
        rows.append(
            {
                "column": col.name,
                "type": str(col.type),
                "role": str(col.role),
                "entity": col.entity,
                "action": str(col.action),
                "generalise": col.generalise,
                "hipaa": col.hipaa,
                "confidence": f.get("confidence", col.confidence),
                "evidence": list(f.get("evidence") or col.evidence),
                "output": output,
            }
        )
    if model is not None and "not_released" in model:
        gone = [{"column": r["column"], "action": str(r["action"])} for r in model["not_released"]]
    else:
        gone = [
            {"column": c.name, "action": str(c.action)}
            for c in schema.columns
            if c.name not in released_columns
        ]
    for g in gone:
        g["why"] = NOT_RELEASED_WHY.get(g["action"], "not in the synthetic output")
    summary = (scan or {}).get("summary", {})
    roles: dict[str, int] = {}
    for col in schema.columns:
        roles[str(col.role)] = roles.get(str(col.role), 0) + 1
    return {
        "scanned": scan is not None,
        "nlp_engine": (scan or {}).get("nlp_engine"),
        "scan_seconds": (scan or {}).get("seconds"),
        "roles": roles,
        "columns": rows,
        "free_text_entities": dict(summary.get("free_text_entities", {})),
        "surrogates": [
            c.name
            for c in schema.columns
            if c.name in released_columns
            and c.action == Action.REPLACE
            and c.type != ColumnType.TEXT
        ],
        "not_released": gone,
        # how numeric identifiers were replaced, and why no surrogate can equal a real one
        "surrogate_constructions": [
            {"column": str(r.get("column")), "construction": str(r.get("construction"))}
            for r in (model or {}).get("numeric_surrogates") or []
            if isinstance(r, dict) and r.get("column") in released_columns
        ],
    }


#: engine and charge fields holding lists of column-index tuples (AIM's and the marginal
#: engine's selected marginals and model factors)
INDEX_TUPLES = ("selected", "factors", "cliques")
#: engine fields with one value per modelled column, in the engine's column order
PER_COLUMN = ("compressed_cardinalities", "ordinal")


def _name(i: Any, names: list[str]) -> Any:
    ok = isinstance(i, int | np.integer) and not isinstance(i, bool) and 0 <= i < len(names)
    return names[int(i)] if ok else i


def named(fields: dict[str, Any], names: list[str] | None) -> dict[str, Any]:
    """``fields`` (an engine's training report or options, a charge's details) with column
    indices replaced by the modelled columns' names: index tuples, a ``columns`` list, a
    ``target`` index, and per-column lists as {name: value}. Counts stay numbers (a
    ``columns`` that is an int is how many columns, not which).

    >>> named({"selected": [[1, 0]], "target": 1, "columns": 2, "ordinal": [5, 0]},
    ...       ["age", "sex"])
    {'selected': [['sex', 'age']], 'target': 'sex', 'columns': 2, 'ordinal': {'age': 5, 'sex': 0}}
    """
    if not names:
        return fields
    out = dict(fields)
    for key, v in fields.items():
        if key in INDEX_TUPLES and isinstance(v, list):
            out[key] = [[_name(i, names) for i in c] if isinstance(c, list) else c for c in v]
        elif key == "columns" and isinstance(v, list):
            out[key] = [_name(i, names) for i in v]
        elif key == "target" and v is not None:
            out[key] = _name(v, names)
        elif key in PER_COLUMN and isinstance(v, list) and len(v) == len(names):
            out[key] = dict(zip(names, v, strict=True))
    return out


def _parameters(charge: dict[str, Any], names: list[str] | None = None) -> dict[str, Any]:
    kind = charge.get("kind")
    if kind == "gaussian":
        rho = num(charge.get("rho"))
        out: dict[str, Any] = {
            "mechanism": "Gaussian (zCDP)",
            "rho": rho,
            "sigma": math.sqrt(1 / (2 * rho)) if rho else None,
        }
        if charge.get("delta"):
            out["delta"] = charge["delta"]
    elif kind == "zcdp":
        out = {"mechanism": "exponential mechanism (zCDP)", "rho": num(charge.get("rho"))}
    else:
        out = {
            "mechanism": "DP-SGD (subsampled Gaussian)",
            "sample_rate": charge.get("sample_rate"),
            "noise_multiplier": charge.get("noise_multiplier"),
            "steps": charge.get("steps"),
        }
    out.update(named(charge.get("details") or {}, names))
    return out


#: more charges than this with one purpose (AIM's rounds) show as one row
GROUP_OVER = 3


def _row(c: dict[str, Any], names: list[str] | None = None) -> dict[str, Any]:
    return {
        "purpose": c.get("purpose"),
        "target": c.get("target"),
        "kind": c.get("kind"),
        "parameters": _parameters(c, names),
        "epsilon_alone": c.get("epsilon_alone"),
    }


def _grouped(
    charges: list[dict[str, Any]], conversion_delta: float, names: list[str] | None = None
) -> list[dict[str, Any]]:
    """zCDP charges sharing a purpose as one row, where its first charge was: ρ adds up
    under composition (in any order), so the row's ε alone is that of the summed ρ; the
    charges stay itemised in ledger.json."""
    from synth.ledger import ORDERS, rdp_to_dp

    groups: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for c in charges:
        if c.get("kind") in ("gaussian", "zcdp"):
            groups.setdefault((c.get("purpose"), c.get("kind")), []).append(c)
    out: list[dict[str, Any]] = []
    shown: set[tuple[Any, Any]] = set()
    for c in charges:
        key = (c.get("purpose"), c.get("kind"))
        run = groups.get(key, [])
        if len(run) <= GROUP_OVER:
            out.append(_row(c, names))
            continue
        if key in shown:
            continue
        shown.add(key)
        rho = float(sum(num(r.get("rho")) or 0.0 for r in run))
        params: dict[str, Any] = {"mechanism": _parameters(c)["mechanism"], "rho": rho}
        sigmas = [_parameters(r).get("sigma") for r in run]
        if all(isinstance(x, float) for x in sigmas):
            params["sigma"] = f"{min(sigmas):.3g}–{max(sigmas):.3g}"  # type: ignore[type-var]
        out.append(
            {
                "purpose": c.get("purpose"),
                "target": f"{len(run)} charges (itemised in ledger.json)",
                "kind": c.get("kind"),
                "parameters": params,
                "epsilon_alone": rdp_to_dp(rho * np.asarray(ORDERS), conversion_delta),
            }
        )
    return out


def _engine_names(engine: dict[str, Any], columns: list[str] | None) -> list[str] | None:
    """The modelled columns in the engine's order, when they fit its column count."""
    if not columns:
        return None
    tr = engine.get("training") or {}
    cards = tr.get("compressed_cardinalities")
    if isinstance(cards, list) and len(cards) != len(columns):
        return None
    idx = [i for key in INDEX_TUPLES for c in tr.get(key) or [] for i in c]
    if any(isinstance(i, int) and not 0 <= i < len(columns) for i in idx):
        return None
    return list(columns)


def ledger(model: dict[str, Any] | None, columns: list[str] | None = None) -> dict[str, Any]:
    """The ledger section; ``columns`` (the modelled columns in the schema's order, which
    is the engine's) turns the column indices of the engine and of the charges into names.
    A linked release's composed ledger (every target prefixed with its table) holds other
    tables' charges, so its charges keep their indices."""
    if model is None:
        return {"available": False, "note": "no model description was given"}
    led = model.get("ledger", {})
    engine = model.get("engine", {})
    if columns and (model.get("persons") or {}).get("size_modelled"):
        columns = [*columns, SIZE_COLUMN]  # the engine's last column
    names = _engine_names(engine, columns)
    raw = led.get("charges", [])
    linked = bool(raw) and all(": " in str(c.get("target", "")) for c in raw)
    charges = _grouped(raw, float(led.get("conversion_delta") or 1e-9), None if linked else names)
    return {
        "available": True,
        "budget": model.get("budget", led.get("budget")),
        "spent": model.get("spent", led.get("spent")),
        "accounting": led.get("accounting"),
        "conversion_delta": led.get("conversion_delta"),
        "charges": charges,
        "note": "ε alone is each charge's cost by itself; the total is composed (RDP), which is "
        "smaller than the sum.",
        "engine": engine.get("engine"),
        "engine_reason": model.get("engine_reason"),
        "engine_options": named(engine.get("options", {}), names),
        "training": named(engine.get("training", {}), names),
        "columns": names,
        "domains": model.get("domains", []),
        "blank_shares": model.get("blank_shares", {}),
        "absent_values": model.get("absent_values", {}),
        "rows_estimate": model.get("rows_estimate"),
        "privacy": model.get("privacy", led.get("privacy")),
        "randomness": model.get("randomness"),
    }


def _dcr_summary(d: np.ndarray | None) -> dict[str, Any] | None:
    if d is None or len(d) == 0:
        return None
    d = np.asarray(d, dtype=float)
    d = d[np.isfinite(d)]
    if len(d) == 0:
        return None
    q = np.quantile(d, [0.01, 0.05, 0.25, 0.5, 0.75])
    return {
        "rows": len(d),
        "exact_match_share": float(np.mean(d <= 1e-12)),
        "quantiles": {"p01": q[0], "p05": q[1], "p25": q[2], "p50": q[3], "p75": q[4]},
    }


def leakage(
    leak: dict[str, Any],
    dcr_train: np.ndarray | None,
    dcr_holdout: np.ndarray | None,
    exact_copies: dict[str, Any],
) -> dict[str, Any]:
    flagged = [int(i) for i in leak.get("flagged_rows", []) or []]
    return {
        "passed": bool(leak.get("passed", False)),
        "metrics": [
            {
                k: m.get(k)
                for k in (
                    "name",
                    "value",
                    "baseline",
                    "interval",
                    "threshold",
                    "verdict",
                    "explanation",
                )
            }
            | {"plain_name": plain_name(str(m.get("name")))}
            for m in leak.get("metrics", [])
        ],
        "sizes": leak.get("sizes", {}),
        "columns_used": list(leak.get("columns_used", [])),
        "flagged_rows": {
            "count": len(flagged),
            "indices": flagged[:MAX_FLAGGED_LISTED],
            "note": "indices of synthetic rows; no row content is shown",
        },
        "dcr_quantiles": leak.get("dcr_quantiles", {}),
        "dcr": {"train": _dcr_summary(dcr_train), "holdout": _dcr_summary(dcr_holdout)},
        "exact_copies": exact_copies,
        "attacks": leak.get("attacks"),
        "near_copies": leak.get("near_copies"),
        "sampling": leak.get("sampling"),
        "warnings": list(leak.get("warnings", []) or []),
        "filter": leak.get("filter"),
        "unit": leak.get("unit"),
    }


def _block_text(m: dict[str, Any]) -> str:
    iv = m.get("interval")
    ivt = (
        f" (interval {fmt(iv[0])}–{fmt(iv[1])})"
        if isinstance(iv, list | tuple) and len(iv) == 2
        else ""
    )
    plain = plain_name(str(m.get("name")))
    named = f"{m.get('name')} ({plain})" if plain else str(m.get("name"))
    return f"{named} = {fmt(m.get('value'))}{ivt} vs threshold {fmt(m.get('threshold'))}"


def verdict(
    leak: dict[str, Any],
    model: dict[str, Any] | None,
    released: bool,
    rows_generated: int,
    scan: dict[str, Any] | None = None,
    *,
    reviewed: bool | None = None,
) -> dict[str, Any]:
    """``reviewed``: whether the schema is the steward's (default: when no scan is given;
    a release with --schema passes its scan as evidence and reviewed=True)."""
    if reviewed is None:
        reviewed = scan is None
    metrics = leak.get("metrics", [])
    blocks = [m for m in metrics if m.get("verdict") == "block"]
    gated = [m for m in metrics if m.get("verdict") in ("pass", "block")]
    names = "; ".join(_block_text(m) for m in blocks)
    if blocks:
        reason = (
            f"Released although the leakage gate blocked on {names}; a documented override "
            "by the data steward is required."
            if released
            else f"The leakage gate blocked the release: {names}."
        )
    elif released and not gated:
        reason = (
            "Released, but no leakage-gate metric was reported: nothing here shows that the "
            "synthetic rows do not copy training rows."
        )
    elif released and not leak.get("passed", False):
        reason = (
            "Released although the leakage gate did not pass; a documented override is required."
        )
    elif released:
        which = {1: "The leakage-gate metric passed", 2: "Both leakage-gate metrics passed"}.get(
            len(gated), f"All {len(gated)} leakage-gate metrics passed"
        )
        reason = (
            f"{which}: synthetic rows are not measurably closer to the training rows "
            "than to unseen real rows."
        )
    elif not leak:
        reason = "Not released: no leakage-check result was given, so the gate cannot pass."
    elif not leak.get("passed", False):
        reason = "The leakage gate did not pass, although no single metric is marked as blocking."
    else:
        reason = "Not released: the release was withheld although the leakage gate passed."
    spent = (model or {}).get("spent", {})
    budget = (model or {}).get("budget", {})
    return {
        "released": bool(released),
        "status": "released" if released else "blocked",
        "reason": reason,
        "gate_passed": bool(leak.get("passed", False)),
        "blocking_metrics": [m.get("name") for m in blocks],
        "epsilon": {"spent": spent.get("epsilon"), "budget": budget.get("epsilon")},
        "delta": {"spent": spent.get("delta"), "budget": budget.get("delta")},
        "rows_estimate": (model or {}).get("rows_estimate"),
        "rows_generated": rows_generated,
        "rows_released": rows_generated if released else 0,
        "privacy": (model or {}).get("privacy"),
        "randomness": (model or {}).get("randomness"),
        "schema": REVIEWED if reviewed else DRAFT,
        "not_covered": ((model or {}).get("privacy") or {}).get("not_covered", NOT_COVERED),
        "guarantee_plain": plain_guarantee(
            (model or {}).get("privacy"),
            spent.get("epsilon", budget.get("epsilon")),
            spent.get("delta", budget.get("delta")),
        ),
    }


def plain_guarantee(
    privacy: dict[str, Any] | None, epsilon: float | None, delta: float | None
) -> str | None:
    """The guarantee in one sentence for one person: who the unit is and what ε and δ
    mean as a factor and a probability; None without a privacy unit or ε.

    >>> plain_guarantee({"unit_column": "patient_nbr", "rows_per_person": 2}, 1.0, 1e-6)
    "Whether or not any one person (column 'patient_nbr', up to 2 rows each) is in the \
data changes the chance of any result of this release by at most a factor e^1 ≈ 2.7, \
except with probability 1e-06."
    """
    eps = num(epsilon)
    if not privacy or eps is None:
        return None
    col, k = privacy.get("unit_column"), privacy.get("rows_per_person") or 1
    if col:
        who = f"any one person (column '{col}', {'one row' if k == 1 else f'up to {k} rows'} each)"
    else:
        who = "any one row"
    dlt = num(delta)
    out = (
        f"Whether or not {who} is in the data changes the chance of any result of this "
        f"release by at most a factor e^{fmt(eps)} ≈ {fmt(math.exp(eps), 2)}"
        + (f", except with probability {dlt:.0e}." if dlt else ".")
    )
    if not col:
        out += " A person with several rows is protected only row by row."
    return out


def provenance(prov: dict[str, Any] | None) -> dict[str, Any]:
    """The release's provenance (:mod:`synth.provenance`): hashes of the input, schema and
    written files, command line, versions, times; or a note that none was recorded."""
    if not prov:
        return {
            "available": False,
            "note": "no provenance recorded: this report was not written by synth release",
        }
    return {"available": True, **prov, "verify": "synth verify DIR re-computes these hashes"}

"""Fidelity across the links of a linked release: ``report-links.json`` and
``report-links.html`` (rendered from ``synth/report/templates/links.html.j2``, autoescaped).

Internal evidence, like each table's report: it compares the synthetic tables with the
real training rows. What it shows, per child table:

* **children per person**: the share of persons with 0, 1, …, k child rows, real (cut at
  the child's bound k, as the fit saw it) against synthetic (cut likewise), and its TVD;
  the same uncut up to :data:`FULL_TOP` rows ("more" above);
* **person × child marginals**: for each of the person model's categorical columns, the
  joint share of child rows by (person's value, child's modelled value), real against
  synthetic, and its TVD. Only values the models hold appear (DP or declared categories,
  the presence values chosen under DP; the rest as "other"), never a value read from the
  real rows alone;
* **which values go together in one person**: for each value chosen by the presence
  model, the share of persons holding it, real against synthetic, the largest and mean
  error, beside the noise floor from the person model's σ.

The JSON also carries the privacy unit, the budget and its split into parts (each
table's fit, each presence choice) and the provenance (SHA-256 of the input tables; this
file is internal, so the inputs' hashes belong here and not in ``release.json``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from synth.encoding import CategoricalCodec
from synth.io.atomic import atomic_write_text
from synth.linked import LinkedSynthesizer
from synth.linked_presence import present_matrix, value_keys

#: rows per person shown uncut up to this many ("more" above)
FULL_TOP = 30
#: the label of values outside those the models hold
OTHER = "(other)"
INTERNAL = "compares with the real training rows; not for publication"


def _per_person(keys: pd.Series, persons: pd.Series, top: int) -> list[float]:
    """Share of persons with 0, 1, …, top child rows (more cut to top)."""
    n = keys.astype(str).value_counts().reindex(persons.astype(str), fill_value=0).to_numpy()
    counts = np.bincount(np.minimum(n, top), minlength=top + 1)
    return (counts / max(1, counts.sum())).tolist()


def _tvd(p: list[float] | np.ndarray, q: list[float] | np.ndarray) -> float:
    return round(0.5 * float(np.abs(np.subtract(p, q)).sum()), 4)


def children_per_person(
    model: LinkedSynthesizer,
    train: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
    child: str,
) -> dict[str, Any]:
    fitted = model.models[child]
    k = fitted.persons.k if fitted.persons is not None else 1
    out: dict[str, Any] = {"bound": k}
    real_keys = model.person_keys(child, train)
    syn_keys = model.person_keys(child, synthetic)
    for name, top in (("within_bound", k), ("full", FULL_TOP)):
        real = _per_person(real_keys, train[model.root][model.key], top)
        syn = _per_person(syn_keys, synthetic[model.root][model.key], top)
        out[name] = {
            "rows_per_person_real": [round(x, 4) for x in real],
            "rows_per_person_synthetic": [round(x, 4) for x in syn],
            "tvd": _tvd(real, syn),
        }
    return out


def children_per_parent(
    model: LinkedSynthesizer,
    train: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
    child: str,
) -> dict[str, Any] | None:
    """For a deeper table: the share of parent rows with 0, 1, …, cap rows of ``child``
    (cap: the parent view's count column's, :data:`synth.linked.COUNT_CAP`), real
    against synthetic; None for a child of the person table."""
    from synth.linked import COUNT_CAP

    link = model.link_of(child)
    if link.parent == model.root:
        return None
    real = _per_person(train[child][link.column], train[link.parent][link.key], COUNT_CAP)
    syn = _per_person(synthetic[child][link.column], synthetic[link.parent][link.key], COUNT_CAP)
    return {
        "parent": link.parent,
        "cap": COUNT_CAP,
        "rows_per_parent_real": [round(x, 4) for x in real],
        "rows_per_parent_synthetic": [round(x, 4) for x in syn],
        "tvd": _tvd(real, syn),
    }


def _child_values(model: LinkedSynthesizer, child: str) -> tuple[tuple[str, ...], list[str]]:
    """The child's columns shown in the person × child marginals and the values the models
    hold: the presence values, or the DP/declared categories of the first categorical
    column the child model keeps."""
    pres = model.presence.get(child)
    if pres is not None:
        return pres.columns, [" | ".join(v) for v in pres.values]
    fitted = model.models[child]
    own = set(model.schemas[child].names)  # not joined, flag or count columns
    for c, codec in zip(fitted.columns, fitted.codecs, strict=True):
        if isinstance(codec, CategoricalCodec) and codec.categories and c.name in own:
            return (c.name,), list(codec.categories)
    return (), []


def person_child_marginals(
    model: LinkedSynthesizer,
    train: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
    child: str,
) -> list[dict[str, Any]]:
    """Per person column: the share of child rows by (person value, child value)."""
    columns, values = _child_values(model, child)
    if not columns:
        return []
    known = set(values)
    real = model.view(child, train, raw=True)
    syn = model.view(child, synthetic, raw=False)
    out = []
    for col, codec in model._given():
        if not isinstance(codec, CategoricalCodec) or not codec.categories:
            continue
        name, cats = f"{model.root}.{col.name}", set(codec.categories)
        cells: dict[str, pd.Series] = {}
        for side, frame in (("real", real), ("synthetic", syn)):
            left = frame[name].astype(object).where(frame[name].astype(str).isin(cats), OTHER)
            keys = value_keys(frame, columns).str.replace("\x1f", " | ", regex=False)
            right = keys.where(keys.isin(known), OTHER)
            cell = left.astype(str) + " × " + right.astype(str)
            cells[side] = cell.value_counts(normalize=True)
        both = cells["real"].index.union(cells["synthetic"].index)
        r = cells["real"].reindex(both, fill_value=0.0)
        s = cells["synthetic"].reindex(both, fill_value=0.0)
        largest = (r - s).abs().sort_values(ascending=False).head(5)
        out.append(
            {
                "person_column": col.name,
                "child_column": "+".join(columns),
                "cells": len(both),
                "tvd": _tvd(r.to_numpy(), s.to_numpy()),
                "largest_differences": [
                    {"cell": c, "real": round(float(r[c]), 4), "synthetic": round(float(s[c]), 4)}
                    for c in largest.index
                ],
            }
        )
    return out


def presence_fidelity(
    model: LinkedSynthesizer,
    train: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
    child: str,
) -> dict[str, Any] | None:
    """Share of persons holding each presence value, real against synthetic."""
    pres = model.presence.get(child)
    if pres is None:
        tried = model.presence_tried.get(child)
        if tried is None:
            return None
        return {  # nothing cleared the threshold: say so, with what it took
            "column": tried.column,
            "values": [],
            "error_max": None,
            "error_mean": None,
            "chosen": tried.chosen,
            "threshold_persons": round(tried.threshold, 1),
            "sigma_persons": round(tried.sigma, 1),
        }
    real = present_matrix(train[model.root][model.key], *model.person_frame(child, train), pres)
    syn = present_matrix(
        synthetic[model.root][model.key], *model.person_frame(child, synthetic), pres
    )
    r = real.mean(axis=0) if len(real) else np.zeros(len(pres.values))
    s = syn.mean(axis=0) if len(syn) else np.zeros(len(pres.values))
    err = np.abs(r - s)
    return {
        "column": pres.column,
        "values": [
            {"value": v, "real": round(float(a), 4), "synthetic": round(float(b), 4)}
            for v, a, b in zip(pres.labels(), r, s, strict=True)
        ],
        "error_max": round(float(err.max()), 4) if len(err) else None,
        "error_mean": round(float(err.mean()), 4) if len(err) else None,
        "chosen": pres.chosen,
    }


def links_report(
    model: LinkedSynthesizer,
    train: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
    *,
    provenance: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything ``report-links.json`` holds (see the module doc)."""
    assert model.ledger is not None
    eps, dlt = model.ledger.spent()
    described = model.describe()
    tables: dict[str, Any] = {}
    for link in model.links:
        child = link.child
        per = children_per_person(model, train, synthetic, child)
        tables[child] = {
            "link": f"{child}.{link.column} → {link.parent}.{link.key}",
            "parent": link.parent,
            "children_per_parent": children_per_parent(model, train, synthetic, child),
            "bound": per["bound"],
            "rows_per_person_real": per["within_bound"]["rows_per_person_real"],
            "rows_per_person_synthetic": per["within_bound"]["rows_per_person_synthetic"],
            "tvd": per["within_bound"]["tvd"],
            "children_per_person": per,
            "person_child_marginals": person_child_marginals(model, train, synthetic, child),
            "presence": presence_fidelity(model, train, synthetic, child),
            "sample": model.sample_stats.get(child),
        }
    return {
        "internal": INTERNAL,
        "privacy": {
            "unit": "person",
            "person_table": model.root,
            "unit_column": model.key,
            "rows_per_person_bound": {
                t: m.persons.k for t, m in model.models.items() if m.persons is not None
            },
            "bounds": described["bounds"],
            "statement": (
                f"({model.epsilon:g}, {model.delta:.0e})-differential privacy per person "
                f"across every table: a person is one row of '{model.root}' (key "
                f"'{model.key}') and every row of a linked table whose links lead to that "
                "key (through its parent row for a deeper table), at most k of them per "
                "table; the parts of the budget compose in one ledger"
            ),
        },
        "budget": {"epsilon": model.epsilon, "delta": model.delta},
        "spent": {"epsilon": eps, "delta": dlt},
        "budget_parts": model.parts,
        "presence": described["presence"],
        "presence_floor": described["presence_floor"],
        "tables": tables,
        "provenance": provenance,
    }


def environment() -> Environment:
    return Environment(
        loader=PackageLoader("synth", "report/templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_links(report: dict[str, Any]) -> str:
    """``report-links.html``: one self-contained page."""
    return environment().get_template("links.html.j2").render(r=report)


def write_links_report(folder: str | Path, report: dict[str, Any]) -> None:
    folder = Path(folder)
    atomic_write_text(folder / "report-links.json", json.dumps(report, indent=2, default=str))
    atomic_write_text(folder / "report-links.html", render_links(report))


__all__ = ["links_report", "render_links", "write_links_report"]

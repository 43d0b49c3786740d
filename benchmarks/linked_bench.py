"""Linked tables on the Synthea trio (issue 17): patients → encounters → conditions.

    .venv/bin/python benchmarks/linked_bench.py [--epsilon 1 10] [--fits 2] [--data DIR]
        [--scale N] [--levels 2] [--no-off] [--indicator-rounds 1|engine]

Each table goes through the scan (its draft schema); the links are declared, nothing
else edited: the default path. With ``--levels 2`` (default) ``encounters.PATIENT`` →
``patients.Id`` and ``conditions.ENCOUNTER`` → ``encounters.Id`` (plus
``conditions.PATIENT`` → ``patients.Id``, checked to agree): conditions are a grandchild
drawn given their synthetic encounter; ``--levels 1`` is the design before (each child
links ``PATIENT`` only, ``conditions.ENCOUNTER`` dropped). The
"declared" variant also declares the code lists of the children public (``CODE`` and
``DESCRIPTION``: SNOMED/LOINC vocabularies, public), as a steward would. All rows are
fitted (no holdout: this measures fidelity, not the gate) with
:class:`synth.linked.LinkedSynthesizer` at ε per person for the three tables together.
Which values go together in one patient is modelled per person
(:mod:`synth.linked_presence`): in the draft, on the column the schema ranks first
(``CODE`` of each child); in the declared variant, on ``CODE``+``DESCRIPTION`` together
(a code and its description name one thing). One more fit per case runs with the
presence model off (``presence_values=0``, rows drawn one by one given the patient: the
design before) for comparison.

* ``join``: share of child rows whose key is a synthetic patient's (target 100 %);
  ``join_encounter``: share of conditions whose ENCOUNTER is a synthetic encounter of
  the same patient (level 2);
* ``per_encounter_tvd``: TVD of conditions per encounter (0 included, 5 or more as 5),
  real against synthetic;
* ``per_patient_mean`` / ``per_patient_q``: children per patient uncut, real then
  synthetic (mean; 10th, 50th, 90th percentiles); ``sample_s``: wall seconds of the sample;
* ``children_tvd``: TVD of children per patient (0 included) against the real, both cut
  at k (k: the child's DP bound; a synthetic patient can hold more than k rows when more
  values are indicated), and ``children_tvd_full`` on 0…30 and more;
* ``prevalence_err``: largest and mean absolute error of the share of patients with each
  of the 20 most frequent conditions (``DESCRIPTION``; target ±0.03), and the same by
  ``CODE`` (``prevalence_code_err``);
* ``floor``: what DP noise alone allows for one such share, from the person model's
  ledger: σ of one count in its 1-way measurement over the DP persons estimate (SD and
  mean |error|), and the mean |error| had its whole ρ measured only the indicators.

Two broken outputs score in the same run: the synthetic conditions with (code,
description) pairs at random (per-patient counts kept, prevalence moved), and with the
patient column shuffled across rows (the row marginal kept, which conditions go together
in one patient lost).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

DATA = HERE.parent.parent / "shared" / "datasets" / "synthea"
CHILDREN = ("encounters", "conditions")


def read(data: Path) -> dict[str, pd.DataFrame]:
    return {
        t: pd.read_csv(data / f"{t}.csv", dtype=str, keep_default_na=False, na_values=[""])
        for t in ("patients", *CHILDREN)
    }


def scaled(tables: dict[str, pd.DataFrame], times: int) -> dict[str, pd.DataFrame]:
    """Every patient ``times`` times under new ids, with their rows: the same tables at a
    size where DP noise no longer dominates (copies, so only for fidelity at scale)."""
    if times == 1:
        return tables
    out = {}
    keys = {
        "patients": ["Id"],
        "encounters": ["Id", "PATIENT"],
        "conditions": ["PATIENT", "ENCOUNTER"],
    }
    for name, df in tables.items():
        out[name] = pd.concat(
            [df.assign(**{c: df[c] + f"-{i}" for c in keys[name]}) for i in range(times)],
            ignore_index=True,
        )
    return out


def presence(declared: bool) -> dict | None:
    """The draft lets the schema choose; the declared variant groups code and description."""
    if not declared:
        return None
    return {t: ["CODE", "DESCRIPTION"] for t in CHILDREN}


def schemas(tables: dict[str, pd.DataFrame], declared: bool, levels: int = 2):
    from privacy import scan
    from synth.schema.model import Domain, ForeignKey

    out = {}
    for name, df in tables.items():
        s = scan(df, name=name).schema
        if name != "patients":
            cols = []
            for c in s.columns:
                if name == "conditions" and c.name == "ENCOUNTER" and levels == 1:
                    c = c.model_copy(update={"action": "drop"})  # the design before
                if declared and c.name in ("CODE", "DESCRIPTION") and c.type == "categorical":
                    cats = sorted(df[c.name].dropna().unique().tolist())
                    c = c.model_copy(update={"domain": Domain(categories=cats)})
                cols.append(c)
            links = [ForeignKey(column="PATIENT", table="patients", key="Id")]
            if name == "conditions" and levels == 2:
                links.insert(0, ForeignKey(column="ENCOUNTER", table="encounters", key="Id"))
            ds = s.dataset.model_copy(update={"links": links})
            s = s.model_copy(update={"dataset": ds, "columns": cols})
        out[name] = s
    return out


def children(child: pd.DataFrame, parent: pd.DataFrame) -> np.ndarray:
    return child.groupby("PATIENT").size().reindex(parent["Id"], fill_value=0).to_numpy()


def per_parent(links: pd.Series, keys: pd.Series) -> np.ndarray:
    return links.value_counts().reindex(keys, fill_value=0).to_numpy()


def tvd_counts(real: np.ndarray, syn: np.ndarray, top: int) -> float:
    p = np.bincount(np.minimum(real, top + 1), minlength=top + 2) / len(real)
    q = np.bincount(np.minimum(syn, top + 1), minlength=top + 2) / len(syn)
    return 0.5 * float(np.abs(p - q).sum())


def prevalence(real: dict, syn: dict, column: str = "DESCRIPTION") -> tuple[float, float]:
    r, s = real["conditions"], syn["conditions"]
    top = r.groupby(column)["PATIENT"].nunique().nlargest(20) / len(real["patients"])
    got = s.groupby(column)["PATIENT"].nunique().reindex(top.index, fill_value=0)
    err = (top - got / max(1, len(syn["patients"]))).abs()
    return round(float(err.max()), 4), round(float(err.mean()), 4)


def score(case: str, real: dict, syn: dict, model) -> dict:
    row: dict = {"case": case, "patients": len(syn["patients"])}
    for t in CHILDREN:
        k = model.models[t].persons.k if model is not None else 10
        rc, sc = children(real[t], real["patients"]), children(syn[t], syn["patients"])
        row[t] = {
            "rows": len(syn[t]),
            "k": k,
            "join": round(float(syn[t]["PATIENT"].isin(syn["patients"]["Id"]).mean()), 4),
            "children_tvd": round(tvd_counts(np.minimum(rc, k), np.minimum(sc, k), k), 4),
            "children_tvd_full": round(tvd_counts(rc, sc, 30), 4),
            # uncut: mean and 10/50/90th percentiles, real then synthetic
            "per_patient_mean": [round(float(rc.mean()), 2), round(float(sc.mean()), 2)],
            "per_patient_q": [np.percentile(x, [10, 50, 90]).round(1).tolist() for x in (rc, sc)],
        }
    cond, enc = syn["conditions"], syn["encounters"]
    if "ENCOUNTER" in cond.columns:
        j = cond.merge(enc[["Id", "PATIENT"]], left_on="ENCOUNTER", right_on="Id", how="left")
        same = j["PATIENT_y"].notna() & (j["PATIENT_x"] == j["PATIENT_y"])
        row["conditions"]["join_encounter"] = round(float(same.mean()), 4) if len(j) else 1.0
        rc = per_parent(real["conditions"]["ENCOUNTER"], real["encounters"]["Id"])
        sc = per_parent(cond["ENCOUNTER"], enc["Id"])
        row["per_encounter_tvd"] = round(tvd_counts(np.minimum(rc, 5), np.minimum(sc, 5), 5), 4)
        row["per_encounter_mean"] = [round(float(rc.mean()), 3), round(float(sc.mean()), 3)]
    row["prevalence_err_max"], row["prevalence_err_mean"] = prevalence(real, syn)
    row["prevalence_code_err_max"], row["prevalence_code_err_mean"] = prevalence(real, syn, "CODE")
    if model is not None:
        row["floor"] = model.floor()
        row["values_modelled"] = {c: len(p.values) for c, p in model.presence.items()}
        row["sample_stats"] = model.sample_stats
    return row


def broken(real: dict, syn: dict, model) -> list[dict]:
    """The two broken outputs, scored."""
    rng = np.random.default_rng(0)
    cond = syn["conditions"]
    pairs = real["conditions"][["CODE", "DESCRIPTION"]].drop_duplicates().to_numpy()
    pick = pairs[rng.integers(0, len(pairs), len(cond))]
    at_random = cond.assign(CODE=pick[:, 0], DESCRIPTION=pick[:, 1])
    shuffled = cond.assign(PATIENT=rng.permutation(cond["PATIENT"].to_numpy()))
    return [
        score("broken: condition codes at random", real, {**syn, "conditions": at_random}, model),
        score("broken: patients shuffled", real, {**syn, "conditions": shuffled}, model),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epsilon", type=float, nargs="+", default=[1.0, 10.0])
    ap.add_argument("--fits", type=int, default=2)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument(
        "--variants", nargs="+", choices=["draft", "declared"], default=["draft", "declared"]
    )
    ap.add_argument(
        "--scale", type=int, default=1, help="copies of every patient (fidelity at scale)"
    )
    ap.add_argument("--levels", type=int, choices=[1, 2], default=2)
    ap.add_argument(
        "--values",
        type=int,
        default=None,
        help="values modelled per person in each child (default: the model's; 20 before)",
    )
    ap.add_argument("--no-off", action="store_true", help="skip the presence-off fit")
    ap.add_argument(
        "--indicator-rounds",
        default="1",
        help="AIM rounds per presence indicator in the person model ('engine': 4, as before)",
    )
    args = ap.parse_args()
    rounds = None if args.indicator_rounds == "engine" else int(args.indicator_rounds)
    if not (args.data / "patients.csv").exists():
        print(f"no Synthea tables at {args.data}", file=sys.stderr)
        return 1
    from synth.linked import LinkedSynthesizer
    from synth.linked_presence import PRESENCE_VALUES

    values = PRESENCE_VALUES if args.values is None else args.values

    real = scaled(read(args.data), args.scale)
    rows = []
    for declared in [v == "declared" for v in args.variants]:
        sch = schemas(real, declared, args.levels)
        for eps in args.epsilon:
            for fit in range(args.fits + (0 if args.no_off else 1)):
                before = fit == args.fits  # the last fit: the presence model off
                t0 = time.perf_counter()
                model = LinkedSynthesizer(
                    sch,
                    epsilon=eps,
                    delta=1e-6,
                    presence=presence(declared),
                    presence_values=0 if before else values,
                    indicator_rounds=rounds,
                ).fit(real)
                fit_s = time.perf_counter() - t0
                t1 = time.perf_counter()
                syn = model.sample(seed=fit)
                sample_s = time.perf_counter() - t1
                label = f"{'declared code lists' if declared else 'draft'}, ε={eps:g}"
                if args.scale > 1:
                    label += f", patients ×{args.scale}"
                if before:
                    label += ", presence off (before)"
                row = score(label, real, syn, model)
                row.update(
                    fit=fit,
                    fit_s=round(fit_s, 1),
                    sample_s=round(sample_s, 1),
                    fit_s_tables=model.fit_seconds,
                    levels=args.levels,
                    indicator_rounds=args.indicator_rounds,
                    rounds={
                        t: m.engine.training_report.get("rounds") for t, m in model.models.items()
                    },
                    # tables whose fit modelled the person's size group (synth.person_size)
                    size_modelled=[
                        t for t, m in model.models.items() if m.persons and m.persons.models_size
                    ],
                    spent=model.describe()["spent"],
                )
                rows.append(row)
                print(json.dumps(row), flush=True)
                if fit == 0 and declared and eps == max(args.epsilon):
                    for b in broken(real, syn, model):
                        rows.append(b)
                        print(json.dumps(b), flush=True)
    out = HERE.parent / "out"
    out.mkdir(exist_ok=True)
    name = "linked_bench" + ("" if args.scale == 1 else f"_x{args.scale}")
    name += f"_l{args.levels}_r{args.indicator_rounds}_e{'-'.join(f'{e:g}' for e in args.epsilon)}"
    name += "" if len(args.variants) == 2 else f"_{args.variants[0]}"
    (out / f"{name}.json").write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

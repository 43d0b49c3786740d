"""A clinical encounters table on the default path (issue 16: "held-out tables, a clinical
table, will be run through the same default path"), generated here from a seed (never
shipped as data; nothing downloaded), at two sizes: a hospital extract (6,000 patients,
≈ 15,000 encounters) and a small study table (1,200 patients, ≈ 3,000 encounters).

    # every figure: two fresh default-path fits per size at ε = 1, the broken outputs
    .venv/bin/python benchmarks/clinical_bench.py run --json out/clinical/bench.json
    # one fit and its score
    .venv/bin/python benchmarks/clinical_bench.py fit --patients 1200 --out out/clinical/a.csv
    .venv/bin/python benchmarks/clinical_bench.py score --patients 1200 out/clinical/a.csv

The table (:func:`build`, text cells as an EHR export writes them): ``mrn`` (the person
key; 1 + Poisson(1.5) encounters per patient), ``visit_date`` (four years),
``sex`` (F/M/U, constant per patient), ``age`` ('90+' for the HIPAA top code), ``pain_score``
(0-10, '?' not asked), ``systolic_bp`` (-999 not measured), ``hba1c`` (blank when not
drawn), ``ldl`` ('NA' not drawn), ``n_prior_admits`` (a count), ``los_days`` (top-coded at
30), ``charges`` (0.00 for a third of the visits), ``dx_code`` (38 ICD-10 codes),
``smoker`` (Y/N/U), ``bmi`` (999.9 not measured). "Last year" is a second draw of the
same shape: the real-data baseline a release should come close to.

Scores (every one from the real rows against an output; the default path is scan → the
draft, no hand edits → ``Synthesizer.fit`` → ``sample`` of the model's DP row estimate):

* mean 2-way TVD over all column pairs, numbers cut by the project's binning function
  (:func:`census_bench.mean_tvd_2way`: codes and blanks bins of their own), dates as days;
* per value: the worst share error over values holding ≥ 1 % of a column's real rows;
* the named codes, sentinels, zeros and top codes, real share against output share;
* format: output cells of a numeric column that are neither a real code nor a number
  written as the input writes them;
* **collapsed columns**: an output column where one value (blank included) holds ≥ 90 %
  of the rows while the real column's commonest value holds < 60 % (every date
  1970-01-01, every charge 0, every pain score '?', a code column all blank).

``broken``: last year's rows corrupted three ways (codes and sentinels replaced by a
number, one column collapsed to its commonest value, zeros smeared), scored the same way:
the metric must score them badly.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH: another tree's code can be scored
sys.path.append(str(Path(__file__).resolve().parent))
from census_bench import (  # noqa: E402
    _value_keys,
    format_violations,
    mean_tvd_2way,
    read_text,
    value_shares,
)

OUT = ROOT / "out" / "clinical"
SIZES = (6000, 1200)
THIS_YEAR, LAST_YEAR = 2024, 2023
DX = ["E11.9", "I10", "J45.909", "N18.3", "E78.5", "I25.10", "F32.9", "K21.9"] + [
    f"Z{d:02d}.0" for d in range(30)
]
#: the numeric columns (as a steward would call them) and their non-numeric codes
NUMERIC = {
    "visit_date": (),  # scored as days since 1970-01-01
    "age": ("90+",),
    "pain_score": ("?",),
    "systolic_bp": (),
    "hba1c": (),
    "ldl": ("NA",),
    "n_prior_admits": (),
    "los_days": (),
    "charges": (),
    "bmi": (),
}
#: shares reported by name: (column, value as written)
NAMED = {
    "code": [("pain_score", "?"), ("ldl", "NA"), ("age", "90+")],
    "sentinel": [("systolic_bp", "-999"), ("bmi", "999.9")],
    "zero": [("charges", "0.00"), ("n_prior_admits", "0"), ("los_days", "0")],
    "top_code": [("los_days", "30")],
}
COLLAPSE_OUT, COLLAPSE_REAL = 0.9, 0.6


def build(patients: int, year: int = THIS_YEAR) -> pd.DataFrame:
    """One year's encounters of ``patients`` patients (seeded by the size and year)."""
    rng = np.random.default_rng([patients, year])
    sex = rng.choice(["F", "M", "U"], patients, p=[0.52, 0.47, 0.01])
    age = np.clip(rng.normal(55, 18, patients).round(), 18, 95).astype(int)
    visits = 1 + rng.poisson(1.5, patients)
    who = np.repeat(np.arange(patients), visits)
    n = len(who)
    mrn = np.array([f"MRN{v:07d}" for v in rng.choice(10**7, patients, replace=False)])

    def coded(values: np.ndarray, share: float, code: str) -> np.ndarray:
        out = values.astype(str).astype(object)
        out[rng.random(n) < share] = code
        return out

    a = age[who]
    prior = np.where(rng.random(n) < 0.8, rng.poisson(0.3, n), rng.poisson(3, n))
    charges = np.where(rng.random(n) < 0.35, 0.0, rng.lognormal(8, 1, n))
    return pd.DataFrame(
        {
            "mrn": mrn[who],
            "visit_date": (
                pd.Timestamp(f"{year - 4}-01-01") + pd.to_timedelta(rng.integers(0, 1460, n), "D")
            ).strftime("%Y-%m-%d"),
            "sex": sex[who],
            "age": np.where(a >= 90, "90+", a.astype(str)),
            "pain_score": coded(rng.integers(0, 11, n), 0.15, "?"),
            "systolic_bp": coded(rng.normal(130, 18, n).astype(int), 0.10, "-999"),
            "hba1c": np.where(
                rng.random(n) < 0.4, "", np.char.mod("%.1f", rng.normal(6.5, 1.2, n))
            ),
            "ldl": coded(rng.normal(110, 30, n).astype(int), 0.30, "NA"),
            "n_prior_admits": prior.astype(str),
            "los_days": np.minimum(rng.exponential(3, n).astype(int), 30).astype(str),
            "charges": np.char.mod("%.2f", charges),
            "dx_code": rng.choice(DX, n),
            "smoker": rng.choice(["Y", "N", "U"], n),
            "bmi": coded(np.char.mod("%.1f", rng.normal(29, 6, n)), 0.05, "999.9"),
        }
    )


def write(patients: int, folder: Path = OUT) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for year in (THIS_YEAR, LAST_YEAR):
        path = folder / f"clinical-{patients}-{year}.csv"
        if not path.exists():
            build(patients, year).to_csv(path, index=False)
        paths.append(path)
    return paths[0], paths[1]


# -- scores ---------------------------------------------------------------------------


def _as_scored(df: pd.DataFrame) -> pd.DataFrame:
    """The frame as the scores read it: without the person key, dates as day numbers."""
    out = df.drop(columns=["mrn"], errors="ignore").copy()
    days = pd.to_datetime(out["visit_date"], errors="coerce", format="%Y-%m-%d")
    out["visit_date"] = ((days - pd.Timestamp("1970-01-01")).dt.days).astype("Int64").astype(str)
    out["visit_date"] = out["visit_date"].where(days.notna(), None)
    return out


def collapsed(real: pd.DataFrame, other: pd.DataFrame) -> dict[str, float]:
    """Columns whose output is one value (blank included) in ≥ 90 % of rows while the real
    column's commonest value holds < 60 %: the output's share of that value."""
    out = {}
    for c in real.columns:
        top_r = _value_keys(real[c]).value_counts(normalize=True).iloc[0]
        top_o = _value_keys(other[c]).value_counts(normalize=True).iloc[0]
        if top_o >= COLLAPSE_OUT and top_r < COLLAPSE_REAL:
            out[c] = round(float(top_o), 3)
    return out


def named_shares(real: pd.DataFrame, other: pd.DataFrame) -> dict:
    out: dict[str, dict] = {}
    for kind, pairs in NAMED.items():
        for col, value in pairs:
            want = _value_keys(pd.Series([value])).iloc[0]
            out.setdefault(kind, {})[f"{col}={value}"] = {
                "real": round(float((_value_keys(real[col]) == want).mean()), 4),
                "output": round(float((_value_keys(other[col]) == want).mean()), 4),
            }
    return out


def score(real: pd.DataFrame, other: pd.DataFrame) -> dict[str, Any]:
    r, o = _as_scored(real), _as_scored(other)
    shares = value_shares(r, o)
    numeric = {c: list(v) for c, v in NUMERIC.items() if c != "visit_date"}
    return {
        "rows": len(other),
        "tvd_2way": round(mean_tvd_2way(r, o, NUMERIC), 4),
        "value_shares_worst": round(max(v["worst"] for v in shares.values()), 4),
        "value_shares": {c: v["worst"] for c, v in shares.items()},
        "collapsed": collapsed(r, o),
        "missing": {
            c: [round(float(r[c].isna().mean()), 3), round(float(o[c].isna().mean()), 3)]
            for c in r.columns
            if abs(r[c].isna().mean() - o[c].isna().mean()) > 0.02
        },
        "format_violations": format_violations(real, other, numeric),
        "named": named_shares(real, other),
    }


def broken_outputs(last: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Last year's rows corrupted three ways (each alone)."""
    rng = np.random.default_rng(0)
    out = {}
    b = last.copy()
    for col, value in NAMED["code"] + NAMED["sentinel"]:
        b[col] = b[col].where(b[col] != value, "0")
    out["codes_replaced_by_0"] = b
    b = last.copy()
    b["visit_date"] = "1970-01-01"
    out["dates_collapsed"] = b
    b = last.copy()
    z = b["charges"] == "0.00"
    b.loc[z, "charges"] = np.char.mod("%.2f", rng.uniform(1, 500, int(z.sum())))
    out["zeros_smeared"] = b
    return out


# -- the default path -----------------------------------------------------------------


def draft(path: Path):
    from privacy.chunked_scan import scan_source
    from synth.io.chunks import SCAN_CHUNK_BYTES, plan_chunks

    return scan_source(plan_chunks(path, SCAN_CHUNK_BYTES), name="clinical").schema


def fit_one(patients: int, epsilon: float, out: Path) -> dict:
    from synth.io.tables import read_table, write_table
    from synth.synthesizer import Synthesizer

    this, _ = write(patients)
    raw = read_table(this)
    schema = draft(this)
    t0, cpu = time.perf_counter(), time.process_time()
    model = Synthesizer(schema, epsilon=epsilon).fit(raw)
    fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - cpu
    # written as `synth sample` writes it (numbers at the input's decimals)
    write_table(model.sample(), out, model.output_decimals())
    return {
        "patients": patients,
        "epsilon": epsilon,
        "engine": model.engine_name,
        "rows_per_person_bound": None if model.persons is None else model.persons.k,
        "fit_s": round(fit_s, 1),
        "fit_cpu_s": round(fit_cpu, 1),
        "draft": {
            c.name: f"{c.type}{' ' + '/'.join(c.missing_values) if c.missing_values else ''}"
            for c in schema.columns
        },
        "bounds_not_found": [
            n["column"]
            for n in model.domain_notes
            if n.get("kind") == "bounds" and not n.get("found")
        ],
        "file": str(out),
    }


def run(sizes: list[int], epsilon: float, fits: int) -> dict:
    result: dict[str, Any] = {"epsilon": epsilon, "sizes": {}}
    for patients in sizes:
        this, last = write(patients)
        real = read_text(this)
        entry: dict[str, Any] = {"baseline_last_year": score(real, read_text(last))}
        entry["broken"] = {
            k: score(real, v)["tvd_2way"] for k, v in broken_outputs(read_text(last)).items()
        }
        entry["fits"] = []
        for i in range(fits):
            out = OUT / f"syn-{patients}-e{epsilon:g}-{i}.csv"
            info = fit_one(patients, epsilon, out)
            info["score"] = score(real, read_text(out))
            entry["fits"].append(info)
            s = info["score"]
            print(
                f"{patients} patients, fit {i}: 2-way TVD {s['tvd_2way']} (last year "
                f"{entry['baseline_last_year']['tvd_2way']}), collapsed {s['collapsed']}, "
                f"k {info['rows_per_person_bound']}, fit {info['fit_s']} s",
                flush=True,
            )
        result["sizes"][str(patients)] = entry
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    r.add_argument("--epsilon", type=float, default=1.0)
    r.add_argument("--fits", type=int, default=2)
    r.add_argument("--json", type=Path)
    f = sub.add_parser("fit")
    f.add_argument("--patients", type=int, default=SIZES[0])
    f.add_argument("--epsilon", type=float, default=1.0)
    f.add_argument("--out", type=Path, required=True)
    s = sub.add_parser("score")
    s.add_argument("--patients", type=int, default=SIZES[0])
    s.add_argument("file", type=Path)
    args = ap.parse_args()
    if args.cmd == "run":
        res = run([int(v) for v in args.sizes.split(",")], args.epsilon, args.fits)
    elif args.cmd == "fit":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        res = fit_one(args.patients, args.epsilon, args.out)
        res["score"] = score(read_text(write(args.patients)[0]), read_text(args.out))
    else:
        res = score(read_text(write(args.patients)[0]), read_text(args.file))
    text = json.dumps(res, indent=2, default=str)
    if getattr(args, "json", None):
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

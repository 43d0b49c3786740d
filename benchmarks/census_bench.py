"""Census-style fidelity on the default path (issue 16): an ACS-PUMS-like person table with
the shapes that broke the default path before, generated here from a seed (never shipped
as data; nothing downloaded).

    # every figure of the section: two fresh fits at ε = 1 and 10, the broken outputs, one
    # `synth release` with no schema
    .venv/bin/python benchmarks/census_bench.py run --json out/census/bench.json
    # one fit and its score
    .venv/bin/python benchmarks/census_bench.py fit --epsilon 1 --out out/census/a.csv
    .venv/bin/python benchmarks/census_bench.py score out/census/a.csv

The table (:func:`build_year`, 40,000 persons, 19 columns, written as text like a PUMS
extract): ``PUMA`` (40 integer area codes), ``ST``, ``AREA_RENT`` (a per-area value with
one decimal: 40 distinct values), ``AGEP`` (0–95, 95 a top code), ``SEX``, ``MAR``,
``RAC1P``, ``HISP`` (integer codes), ``SCHL`` and ``ESR`` ('b' for persons too young to be
asked), ``WKHP`` ('N' for persons not at work; 40 hours heavy; 99 a top code), ``JWMNP``
('N' for non-workers, -999 for 'worked at home', heaped at 5-minute values), ``WAGP``,
``INTP``, ``PINCP`` ('N' under 15; zero-heavy; WAGP top-coded), ``POVPIP`` (income to
poverty ratio, 'N' in group quarters, 501 a top code holding about a third of the rows),
``PWGTP`` (person weight), ``WGTP`` (housing weight, 0 in group quarters) and ``DIS``.
Ages drive schooling, employment, hours and incomes; incomes drive the poverty ratio.
Two independent draws of the same population: "this year" (the training data) and "last
year" (incomes 3 % lower: the real-data baseline a release should come close to).

Scores (:func:`score`, every one from the real rows of this year against an output):

* mean 2-way TVD over all column pairs, numbers cut by the project's one binning function
  (``synth.report.binning.numeric_bins``: a value holding ≥ 1/10 of the real rows is its
  own bin), a column's non-numeric codes each a bin of their own, blanks a bin; beside the
  baseline's (last year scored the same way);
* per value: every value (number or code) holding ≥ 1 % of the real rows of a column must
  hold its share within ±0.02 in the output (the worst error per column);
* format: the share of a numeric column's output cells that are neither one of the real
  column's codes verbatim nor a number written as the input writes them (integers
  without a decimal point, else the input's decimals);
* the zero, code and top-code shares named above, real against output;
* ``PUMA``/``AREA_RENT``: the output's distinct values and how many of them (and of its
  rows) no real row holds; with the model at hand, whether every output value is a value
  the fit selected under DP (``allowed`` / ``points`` / ``support`` of the codec).

``broken``: the last-year table corrupted three ways (codes replaced by 0, the top code
smeared over the 10 % below it, zeros smeared over small positive values), scored the same
way: the metric must score them badly.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH: another tree's code can be scored
OUT = ROOT / "out" / "census"
SYNTH = str(Path(sys.executable).parent / "synth")

ROWS = 40_000
THIS_YEAR, LAST_YEAR = 2024, 2023
#: fixes the population (area codes, area values, area sizes) shared by both years
POPULATION_SEED = 16
#: the numeric columns (as a steward would call them) and their non-numeric codes
NUMERIC = {
    "PUMA": (),
    "ST": (),
    "AREA_RENT": (),
    "AGEP": (),
    "SEX": (),
    "MAR": (),
    "RAC1P": (),
    "HISP": (),
    "SCHL": ("b",),
    "ESR": ("b",),
    "WKHP": ("N",),
    "JWMNP": ("N",),
    "WAGP": ("N",),
    "INTP": ("N",),
    "PINCP": ("N",),
    "POVPIP": ("N",),
    "PWGTP": (),
    "WGTP": (),
    "DIS": (),
}
#: shares reported by name: (column, value as written)
NAMED = {
    "zero": [("WAGP", "0"), ("INTP", "0"), ("PINCP", "0"), ("WGTP", "0"), ("POVPIP", "0")],
    "top_code": [("POVPIP", "501"), ("AGEP", "95"), ("WKHP", "99"), ("WAGP", "250000")],
    "code": [("WKHP", "N"), ("WAGP", "N"), ("POVPIP", "N"), ("SCHL", "b"), ("ESR", "b")],
    "sentinel": [("JWMNP", "-999")],
}
AREA_COLUMNS = ("PUMA", "AREA_RENT")


def _population() -> dict[str, np.ndarray]:
    """Areas shared by both years: 40 PUMA codes in 4 states, their sizes and rents."""
    rng = np.random.default_rng(POPULATION_SEED)
    states = np.array([6, 12, 36, 48])
    st = np.repeat(states, 10)
    puma = np.concatenate([np.sort(rng.choice(np.arange(100, 3800), 10, False)) for _ in states])
    size = rng.dirichlet(np.full(40, 3.0))
    rent = np.round(rng.uniform(650, 2400, 40), 1)
    return {"st": st, "puma": puma, "size": size, "rent": rent}


def build_year(year: int = THIS_YEAR, rows: int = ROWS) -> pd.DataFrame:
    """One year's person table, written as text (see the module doc)."""
    pop = _population()
    rng = np.random.default_rng(year)
    scale = 1.0 if year == THIS_YEAR else 0.97
    area = rng.choice(40, rows, p=pop["size"])
    age = np.where(
        rng.random(rows) < 0.22, rng.integers(0, 18, rows), np.round(rng.gamma(5.0, 9.5, rows))
    )
    age = np.minimum(age, 95).astype(int)  # 95 and over written as 95
    sex = rng.choice([1, 2], rows, p=[0.49, 0.51])
    mar = np.where(
        age < 15,
        5,
        rng.choice([1, 2, 3, 4, 5], rows, p=[0.48, 0.06, 0.11, 0.02, 0.33]),
    )
    rac = rng.choice(
        np.arange(1, 10), rows, p=[0.62, 0.12, 0.01, 0.005, 0.06, 0.002, 0.1, 0.05, 0.033]
    )
    hisp = np.where(
        rng.random(rows) < 0.82, 1, rng.choice([2, 3, 4, 24], rows, p=[0.6, 0.2, 0.1, 0.1])
    )
    schl = np.clip(np.round(age / 1.1 + rng.normal(0, 2, rows)), 1, 24).astype(int)
    schl = np.where(
        age >= 25,
        rng.choice([16, 19, 21, 22, 24, 18, 20], rows, p=[0.3, 0.2, 0.22, 0.12, 0.02, 0.08, 0.06]),
        schl,
    )
    gq = rng.random(rows) < 0.04  # group quarters
    working_age = (age >= 16) & (age < 70)
    employed = working_age & (rng.random(rows) < 0.72) | (age >= 70) & (rng.random(rows) < 0.1)
    esr = np.where(employed, 1, np.where(age >= 16, rng.choice([3, 6], rows, p=[0.1, 0.9]), 0))
    hours = rng.choice(
        [40, 50, 20, 30, 45, 35, 60, 99], rows, p=[0.5, 0.1, 0.07, 0.08, 0.06, 0.05, 0.04, 0.1]
    )
    hours = np.where(hours == 99, rng.integers(1, 99, rows), hours)
    hours = np.where(rng.random(rows) < 0.006, 99, hours)
    travel = rng.choice(
        [5, 10, 15, 20, 25, 30, 45, 60, 90],
        rows,
        p=[0.05, 0.14, 0.16, 0.18, 0.09, 0.16, 0.1, 0.08, 0.04],
    )
    travel = np.where(rng.random(rows) < 0.15, rng.integers(1, 200, rows), travel)
    home = rng.random(rows) < 0.09
    wage = np.round(rng.lognormal(10.5, 0.85, rows) * scale * (hours / 40) ** 0.6, -2)
    wage = np.where(employed, np.minimum(wage, 250_000), 0).astype(np.int64)
    interest = np.where(rng.random(rows) < 0.2, np.round(rng.lognormal(6.5, 1.6, rows) * scale), 0)
    other = np.where(
        (age >= 62) & (rng.random(rows) < 0.8),
        np.round(rng.lognormal(9.7, 0.5, rows) * scale, -1),
        0,
    )
    loss = np.where(rng.random(rows) < 0.01, -np.round(rng.lognormal(8, 1, rows), -1), 0)
    income = (wage + interest + other + loss).astype(np.int64)
    ratio = np.round(income / (13_000 * scale) * 100 * rng.uniform(1.0, 2.6, rows))
    ratio = np.where(age < 15, np.round(rng.lognormal(5.9, 0.8, rows)), ratio)
    ratio = np.clip(ratio, 0, 501).astype(np.int64)  # 501: 501 % and over
    pweight = np.maximum(1, np.round(rng.lognormal(4.3, 0.6, rows))).astype(np.int64)
    hweight = np.where(
        gq, 0, np.maximum(1, np.round(pweight * rng.uniform(0.7, 1.3, rows)))
    ).astype(np.int64)
    child, young = age < 15, age < 16

    def text(x: np.ndarray, code: str | None = None, where: np.ndarray | None = None) -> np.ndarray:
        out = x.astype(np.int64).astype(str).astype(object)
        if where is not None:
            out[where] = code
        return out

    return pd.DataFrame(
        {
            "PUMA": text(pop["puma"][area]),
            "ST": text(pop["st"][area]),
            "AREA_RENT": np.char.mod("%.1f", pop["rent"][area]).astype(object),
            "AGEP": text(age),
            "SEX": text(sex),
            "MAR": text(mar),
            "RAC1P": text(rac),
            "HISP": text(hisp),
            "SCHL": text(schl, "b", age < 3),
            "ESR": text(esr, "b", young),
            "WKHP": text(hours, "N", ~employed),
            "JWMNP": np.where(home & employed, "-999", text(travel, "N", ~employed)),
            "WAGP": text(wage, "N", child),
            "INTP": text(interest, "N", child),
            "PINCP": text(income, "N", child),
            "POVPIP": text(ratio, "N", gq),
            "PWGTP": text(pweight),
            "WGTP": text(hweight),
            "DIS": text(rng.choice([1, 2], rows, p=[0.13, 0.87])),
        }
    )


def write_years(folder: Path = OUT) -> tuple[Path, Path]:
    """This year's and last year's tables as CSV (generated at run time, under out/)."""
    folder.mkdir(parents=True, exist_ok=True)
    this, last = folder / "census_this_year.csv", folder / "census_last_year.csv"
    if not this.exists():
        build_year(THIS_YEAR).to_csv(this, index=False)
    if not last.exists():
        build_year(LAST_YEAR).to_csv(last, index=False)
    return this, last


def read_text(path: Path) -> pd.DataFrame:
    """A table as text cells (blank: missing), as the scores compare it."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


# -- scores ---------------------------------------------------------------------------


def _cell_codes(
    real: pd.Series, other: pd.Series, name: str, numeric: dict = NUMERIC
) -> tuple[np.ndarray, np.ndarray]:
    """Bins of a column for the TVD: numbers by ``numeric_bins`` of the real column, each
    non-numeric text its own bin, blank its own bin (codes shared by both sides); a column
    not in ``numeric`` (name → its codes) is categorical."""
    from synth.io.numbers import to_numbers
    from synth.report.binning import numeric_bins

    def split(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        t = s.astype(object).where(s.notna(), None)
        x = to_numbers(t).to_numpy(dtype=float)
        label = np.where(t.isna(), "\x00blank", t.astype(str).str.strip()).astype(object)
        return x, label

    if name not in numeric:
        keys = pd.concat([real, other]).astype(object).where(lambda s: s.notna(), "\x00blank")
        codes, _ = pd.factorize(keys.astype(str))
        return codes[: len(real)], codes[len(real) :]
    xr, lr = split(real)
    xo, lo = split(other)
    bins = numeric_bins(xr, 10)
    labels: dict[str, int] = {}
    out = []
    for x, lab in ((xr, lr), (xo, lo)):
        c = bins.codes(x)
        text = ~np.isfinite(x)
        c[text] = [bins.size + labels.setdefault(v, len(labels)) for v in lab[text]]
        out.append(c)
    return out[0], out[1]


def mean_tvd_2way(real: pd.DataFrame, other: pd.DataFrame, numeric: dict = NUMERIC) -> float:
    cols = [c for c in real.columns if c in other.columns]
    pr, po = {}, {}
    for c in cols:
        pr[c], po[c] = _cell_codes(real[c], other[c], c, numeric)
    vals = []
    for a, b in itertools.combinations(cols, 2):
        kb = int(max(pr[b].max(), po[b].max())) + 1
        ka = int(max(pr[a].max(), po[a].max())) + 1
        p = np.bincount(pr[a] * kb + pr[b], minlength=ka * kb) / len(real)
        q = np.bincount(po[a] * kb + po[b], minlength=ka * kb) / len(other)
        vals.append(0.5 * float(np.abs(p - q).sum()))
    return float(np.mean(vals))


def _value_keys(s: pd.Series) -> pd.Series:
    """A cell's value for share comparisons: numbers by value, codes by their text."""
    from synth.io.numbers import to_numbers

    x = to_numbers(s.astype(object).where(s.notna(), None))
    key = x.map(lambda v: f"{v:.10g}" if pd.notna(v) else None)
    text = s.astype(object).where(s.notna(), "(blank)").astype(str).str.strip()
    return key.where(key.notna(), text)


def value_shares(real: pd.DataFrame, other: pd.DataFrame, cut: float = 0.01) -> dict:
    """Per column: values holding ≥ ``cut`` of real rows, the worst share error, and how
    many of those values miss ±0.02."""
    out = {}
    for c in real.columns:
        pr = _value_keys(real[c]).value_counts(normalize=True)
        po = _value_keys(other[c]).value_counts(normalize=True)
        heavy = pr[pr >= cut]
        err = (heavy - po.reindex(heavy.index).fillna(0.0)).abs()
        out[c] = {
            "values": len(heavy),
            "worst": round(float(err.max()) if len(err) else 0.0, 4),
            "over_0.02": int((err > 0.02).sum()),
        }
    return out


def _decimals(s: pd.Series) -> int:
    t = s.dropna().astype(str)
    return max((len(v.split(".")[1]) for v in t.unique() if "." in v), default=0)


def format_violations(real: pd.DataFrame, other: pd.DataFrame, numeric: dict = NUMERIC) -> dict:
    """Per numeric column: the share of output cells that are neither a real code verbatim
    nor a number written as the input writes them (only where not 0)."""
    out = {}
    for c, codes in numeric.items():
        d = _decimals(real[c].where(~real[c].isin(codes)))
        pat = re.compile(r"^-?\d+$" if d == 0 else rf"^-?\d+\.\d{{{d}}}$")
        t = other[c].dropna().astype(str)
        ok = t.isin(codes) | t.str.fullmatch(pat.pattern)
        share = float((~ok).sum() / max(1, len(other)))
        if share > 0:
            out[c] = round(share, 4)
    return out


def named_shares(real: pd.DataFrame, other: pd.DataFrame) -> dict:
    out: dict[str, dict] = {}
    for kind, pairs in NAMED.items():
        for col, value in pairs:
            kr = _value_keys(real[col]) == _value_keys(pd.Series([value])).iloc[0]
            ko = _value_keys(other[col]) == _value_keys(pd.Series([value])).iloc[0]
            out.setdefault(kind, {})[f"{col}={value}"] = {
                "real": round(float(kr.mean()), 4),
                "output": round(float(ko.mean()), 4),
            }
    return out


def areas(real: pd.DataFrame, other: pd.DataFrame, allowed: dict | None = None) -> dict:
    out = {}
    for c in AREA_COLUMNS:
        kr, ko = set(_value_keys(real[c])), _value_keys(other[c])
        blank = other[c].isna().to_numpy()
        ko = ko[~blank]
        entry = {
            "real_distinct": len(kr),
            "output_distinct": int(ko.nunique()),
            "output_values_not_real": len(set(ko) - kr),
            "output_rows_not_real": round(float((~ko.isin(kr)).sum() / len(other)), 4),
            "output_rows_blank": round(float(blank.mean()), 4),
        }
        if allowed is not None and c in allowed:
            ok = {f"{v:.10g}" for v in allowed[c]}
            entry["output_values_not_selected"] = len(set(ko) - ok)
        out[c] = entry
    return out


def generalised(real: pd.DataFrame, schema: Any) -> pd.DataFrame:
    """The real rows with the draft's generalisations applied (e.g. ages over 89 written
    as 90, the scan's HIPAA rule): a policy of the default path, not a fidelity loss."""
    from synth.schema.generalise import generalise

    out = real.copy()
    for col in schema.columns if schema is not None else []:
        if col.generalise is not None and col.name in out:
            g = generalise(out[col.name], col.generalise)
            num = pd.to_numeric(g, errors="coerce")
            whole = num.notna() & (num == num.round())
            text = g.astype(object).where(g.notna(), None)
            text[whole] = num[whole].astype("int64").astype(str)
            out[col.name] = text.where(text.notna(), real[col.name])
    return out


def score(
    real: pd.DataFrame, other: pd.DataFrame, allowed: dict | None = None, schema: Any = None
) -> dict:
    """Every score of the module doc; ``schema``: the draft, whose generalisations are
    applied to the real rows before the TVD, the value shares and the area counts (the
    named shares and the format check read the raw rows)."""
    raw, real = real, generalised(real, schema)
    shares = value_shares(real, other)
    return {
        "rows": len(other),
        "generalised": [c.name for c in schema.columns if c.generalise] if schema else [],
        "tvd_2way": round(mean_tvd_2way(real, other), 4),
        "value_shares_worst": round(max(v["worst"] for v in shares.values()), 4),
        "values_over_0.02": {c: v["over_0.02"] for c, v in shares.items() if v["over_0.02"]},
        "value_shares": {c: v["worst"] for c, v in shares.items()},
        "format_violations": format_violations(raw, other),
        "named": named_shares(raw, other),
        "areas": areas(real, other, allowed),
    }


def broken_outputs(last: pd.DataFrame, real: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Last year's rows corrupted three ways (each alone)."""
    rng = np.random.default_rng(0)
    out = {}
    b = last.copy()
    for c, codes in NUMERIC.items():
        if codes:
            b[c] = b[c].where(~b[c].isin(codes), "0")
    out["codes_replaced_by_0"] = b
    b = last.copy()
    top = b["POVPIP"] == "501"
    b.loc[top, "POVPIP"] = rng.integers(450, 502, int(top.sum())).astype(str)
    top = pd.to_numeric(b["AGEP"]).max()  # 95, or 90 where the draft generalises ages
    age = pd.to_numeric(b["AGEP"]) == top
    b.loc[age, "AGEP"] = rng.integers(top - 9, top + 1, int(age.sum())).astype(str)
    out["top_codes_smeared"] = b
    b = last.copy()
    for c in ("WAGP", "INTP", "PINCP", "WGTP", "POVPIP"):
        z = b[c] == "0"
        b.loc[z, c] = rng.integers(1, 1000 if c != "POVPIP" else 50, int(z.sum())).astype(str)
    out["zeros_smeared"] = b
    return out


# -- the default path -----------------------------------------------------------------


def draft(path: Path):
    from privacy.chunked_scan import scan_source
    from synth.io.chunks import SCAN_CHUNK_BYTES, plan_chunks

    return scan_source(plan_chunks(path, SCAN_CHUNK_BYTES), name="census").schema


def selected_values(model: Any) -> dict[str, list[float]]:
    """Per area column, the values the fit's codec may emit when it is value-by-value
    discrete (DP-selected), else its points and support."""
    out = {}
    for c in model.codecs:
        if c.name not in AREA_COLUMNS or c.kind != "numerical":
            continue
        vals = list(c.allowed or []) + [float(v) for v in c.points] + [float(v) for v in c.support]
        if vals and (c.allowed is not None or len(c.support)):
            out[c.name] = vals
    return out


def fit_one(epsilon: float, out: Path, seed: int = 0) -> dict:
    from synth.io.tables import read_table, write_table
    from synth.synthesizer import Synthesizer

    this, _ = write_years()
    raw = read_table(this)
    t0 = time.perf_counter()
    schema = draft(this)
    t1 = time.perf_counter()
    cpu = time.process_time()
    model = Synthesizer(schema, epsilon=epsilon, seed=seed).fit(raw)
    fit_cpu = time.process_time() - cpu
    t2 = time.perf_counter()
    syn = model.sample(seed=seed)
    write_table(syn, out, model.output_decimals())  # as `synth sample` writes it
    kinds = {c.name: (c.type, list(c.missing_values)) for c in schema.columns}
    return {
        "epsilon": epsilon,
        "engine": model.engine_name,
        "scan_s": round(t1 - t0, 1),
        "fit_s": round(t2 - t1, 1),
        "fit_cpu_s": round(fit_cpu, 1),
        "draft": {k: f"{t}{' ' + '/'.join(m) if m else ''}" for k, (t, m) in kinds.items()},
        "shapes": {n["column"]: n for n in model.domain_notes if n.get("kind") == "shape"},
        "selected": selected_values(model),
        "file": str(out),
        "schema": schema,
    }


def release_once(epsilon: float, out: Path) -> dict:
    import shutil

    this, _ = write_years()
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    done = subprocess.run(
        [SYNTH, "release", str(this), "--out", str(out), "--epsilon", str(epsilon)],
        capture_output=True,
        text=True,
    )
    info = json.loads((out / "release.json").read_text()) if (out / "release.json").exists() else {}
    return {
        "exit": done.returncode,
        "wall_s": round(time.perf_counter() - t0, 1),
        "stages": info.get("stages"),
        "blocked_by": info.get("blocked_by"),
        "stderr_tail": (
            done.stderr.strip().splitlines()[-1:] if done.returncode not in (0, 3) else []
        ),
        "synthetic": str(out / "synthetic.csv"),
    }


def baselines(real: pd.DataFrame, before: pd.DataFrame, schema: Any) -> dict[str, Any]:
    """Last year scored as if it were the output (generalised as the draft generalises),
    and the three broken outputs."""
    before = generalised(before, schema)
    out: dict[str, Any] = {"baseline_last_year": score(real, before, None, schema)}
    broken = broken_outputs(before, real)
    out["broken"] = {k: score(real, v, None, schema) for k, v in broken.items()}
    return out


def run(epsilons: list[float], fits: int, with_release: bool, tag: str = "") -> dict:
    this, last = write_years()
    real, before = read_text(this), read_text(last)
    result = baselines(real, before, draft(this))
    runs = []
    for eps in epsilons:
        for k in range(fits):
            path = OUT / f"census{tag}-eps{eps:g}-{k}.csv"
            info = fit_one(eps, path, seed=k)
            info["score"] = score(real, read_text(path), info["selected"], info.pop("schema"))
            runs.append(info)
            print(json.dumps({"epsilon": eps, "fit": k, **info["score"]}), flush=True)
    result["fits"] = runs
    if with_release:
        rel = release_once(1.0, OUT / f"release{tag}-eps1")
        if Path(rel["synthetic"]).exists():
            rel["score"] = score(real, read_text(Path(rel["synthetic"])), None, draft(this))
        result["release"] = rel
    return result


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--epsilons", default="1,10")
    r.add_argument("--fits", type=int, default=2)
    r.add_argument("--no-release", action="store_true")
    r.add_argument("--json", type=Path)
    r.add_argument("--tag", default="", help="suffix of the output files (runs side by side)")
    f = sub.add_parser("fit")
    f.add_argument("--epsilon", type=float, default=1.0)
    f.add_argument("--out", type=Path, required=True)
    f.add_argument("--seed", type=int, default=0)
    s = sub.add_parser("score")
    s.add_argument("file", type=Path)
    sub.add_parser("baseline")
    args = ap.parse_args()
    if args.cmd == "run":
        eps = [float(e) for e in args.epsilons.split(",")]
        result = run(eps, args.fits, not args.no_release, args.tag)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result, indent=1))
    elif args.cmd == "fit":
        info = fit_one(args.epsilon, args.out, args.seed)
        this, _ = write_years()
        info["score"] = score(
            read_text(this), read_text(args.out), info["selected"], info.pop("schema")
        )
        result = info
    elif args.cmd == "score":
        this, _ = write_years()
        result = score(read_text(this), read_text(args.file), None, draft(this))
    else:
        this, last = write_years()
        result = baselines(read_text(this), read_text(last), draft(this))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Leakage gate benchmark (issue 5): verdicts on leaky and safe synthetic sets, speed, memory.

Run everything (each case in its own process, so peak RSS is its own):

    /tmp/vt/bin/python benchmarks/leakage_bench.py --sizes 5000,20000,39000 \\
        --json out/bench-leakage.json

Adult (train + test, 48,842 rows) is shuffled with ``--seed`` and split, for each train
size n, into n training rows and a disjoint holdout of round(0.2 n) rows. From the
training rows four synthetic sets of n rows are built:

* ``bootstrap``: training rows drawn with replacement (leaky, must block);
* ``near-copies``: the training rows (permuted) with 10% of cells replaced by the same
  column's value in another random training row (leaky, must block);
* ``marginals``: every column drawn independently from its training values (safe, must
  pass);
* ``mst``: our default engine at ε = 1, δ = 1e-9 fitted on the training rows (must pass).

``check_leakage(train, holdout, synthetic, schema)`` runs on each; the JSON line per case
lists every gating metric (value, interval, threshold, verdict), the wall time of the
check, its peak RSS above the pre-check RSS (sampled every 10 ms from /proc) and the
process's ``ru_maxrss``. At the largest size an extra ``timing`` case runs the issue's
target shape: 80/20 split of all 48,842 rows (39,074 train, 9,768 holdout), 39,074
marginal synthetic rows.

Scale (``--scale``): random mixed data, 8 numeric + 12 categorical columns with 8 levels
(~110 encoded dimensions), ``check_leakage(train=N, holdout=--scale-holdout, synthetic=N)``
without a schema; the "synthetic vs train" stage time is separated with the progress
callback.

Seeds (``--seeds 0,1,2,3,4``, ``--seed-counts 39000:2``, ``--mst-seeds 5000:2``): each size
runs each seed (a different split and different synthetic sets); the summary gives, per
size and set, the share of runs blocked, the false-block rate (marginals + mst) and the
miss rate (bootstrap + near-copies), overall and per gating metric.

Peers (``--peers sdmetrics,anonymeter,mostlyai``, ``--peer-sizes``): SDMetrics' DCR metric
in-process at the smallest size; Anonymeter's evaluators and mostlyai-qa's report in the
separate virtualenv ``$PEERS_PYTHON`` (default ``/tmp/peers/bin/python``) through
``benchmarks/peers_leakage/*.py``, on the very sets our check saw (saved as Parquet under
``--save-dir``), each with ``--peer-timeout``. Anonymeter's risks are printed beside ours.

No data value is printed or stored: only sizes, metrics, verdicts, times and memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

EXPECT = {"bootstrap": False, "near-copies": False, "marginals": True, "mst": True}
FRACTION_REPLACED = 0.10


# -- measurement ------------------------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """Peak resident memory of this process while the ``with`` block runs (10 ms samples)."""

    def __init__(self) -> None:
        self.start = self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, _rss_mb())

    def __enter__(self) -> RssSampler:
        self.start = self.peak = _rss_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


class StageClock:
    """Stage durations from progress callbacks: a stage ends at its last callback and
    starts where the previous stage ended (so encoding lands in the stage it precedes)."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.last: dict[str, float] = {}
        self.order: list[str] = []

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.last:
            self.order.append(stage)
        self.last[stage] = time.perf_counter()

    def durations(self) -> dict[str, float]:
        out, prev = {}, self.t0
        for s in self.order:
            out[s] = round(self.last[s] - prev, 2)
            prev = self.last[s]
        return out


def timed_check(train, holdout, syn, schema) -> tuple[object, dict]:
    from privacy.leakage import check_leakage

    clock = StageClock()
    with RssSampler() as rss:
        start = time.perf_counter()
        clock.t0 = start
        res = check_leakage(train, holdout, syn, schema, progress=clock)
        wall = time.perf_counter() - start
    return res, {
        "check_s": round(wall, 2),
        "stages_s": clock.durations(),
        "check_rss_peak_mb": round(rss.peak),
        "check_rss_added_mb": round(rss.peak - rss.start),
        "process_maxrss_mb": round(_maxrss_mb()),
    }


def summarise(res) -> dict:
    return {
        "passed": bool(res.passed),
        "blocked_by": [m.name for m in res.metrics if m.verdict == "block"],
        "metrics": [
            {k: v for k, v in m.to_dict().items() if k != "explanation"} for m in res.metrics
        ],
        "n_flagged": len(res.flagged),
        "attacks": res.to_dict()["attacks"],
    }


# -- Adult ------------------------------------------------------------------------------


def adult_split(n: int, seed: int, n_holdout: int | None = None):
    from adult_bench import load

    train, test = load()
    full = pd.concat([train, test], ignore_index=True)
    order = np.random.default_rng(seed).permutation(len(full))
    n_ho = round(0.2 * n) if n_holdout is None else n_holdout
    if n + n_ho > len(full):
        raise SystemExit(f"size {n} + holdout {n_ho} exceeds the {len(full)} Adult rows")
    tr = full.iloc[order[:n]].reset_index(drop=True)
    ho = full.iloc[order[n : n + n_ho]].reset_index(drop=True)
    return tr, ho, len(full)


def bootstrap(train: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return train.iloc[rng.integers(0, len(train), len(train))].reset_index(drop=True)


def near_copies(train: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(train)
    out = train.iloc[rng.permutation(n)].reset_index(drop=True)
    for c in out.columns:
        mask = rng.random(n) < FRACTION_REPLACED
        donors = rng.integers(0, n, int(mask.sum()))
        col = out[c].to_numpy(dtype=object, copy=True)
        col[mask] = train[c].to_numpy(dtype=object)[donors]
        out[c] = col
    return out


def marginals(train: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(train)
    return pd.DataFrame({c: train[c].to_numpy()[rng.integers(0, n, n)] for c in train.columns})


def numeric_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Adult with numbers as numbers (peers need typed columns; our check parses text)."""
    from adult_bench import NUMS

    out = df.copy()
    for c in NUMS:
        out[c] = pd.to_numeric(out[c], errors="coerce")
    for c in out.columns:
        if c not in NUMS:
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def save_sets(save: Path, n: int, seed: int, frames: dict[str, pd.DataFrame]) -> None:
    """Parquet copies for the peers' processes (typed columns, no index)."""
    save.mkdir(parents=True, exist_ok=True)
    for name, df in frames.items():
        numeric_frame(df).to_parquet(save / f"{n}_{seed}_{name}.parquet", index=False)


def run_adult(
    n: int, seed: int, timing_case: bool, with_mst: bool = True, save: Path | None = None
) -> list[dict]:
    from adult_bench import schema as adult_schema

    from synth.synthesizer import Synthesizer

    sch = adult_schema()
    train, holdout, n_all = adult_split(n, seed)
    if save is not None:
        save_sets(save, n, seed, {"train": train, "holdout": holdout})
    rng = np.random.default_rng(seed + 1)
    rows: list[dict] = []
    sets: list[tuple[str, object]] = [
        ("bootstrap", lambda: bootstrap(train, rng)),
        ("near-copies", lambda: near_copies(train, rng)),
        ("marginals", lambda: marginals(train, rng)),
    ]

    def fit_mst() -> pd.DataFrame:
        start = time.perf_counter()
        model = Synthesizer(sch, epsilon=1, delta=1e-9, engine="mst", seed=seed).fit(train)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        syn = model.sample(n, seed=seed)
        mst_times.update(fit_s=round(fit_s, 1), sample_s=round(time.perf_counter() - start, 1))
        return syn.astype(object).where(syn.notna(), np.nan)

    mst_times: dict = {}
    if with_mst:
        sets.append(("mst", fit_mst))
    for name, make in sets:
        syn = make()
        if save is not None:
            save_sets(save, n, seed, {name: syn})
        res, meas = timed_check(train, holdout, syn, sch)
        row = {
            "case": "adult",
            "seed": seed,
            "synthetic": name,
            "n_train": n,
            "n_holdout": len(holdout),
            "n_synthetic": len(syn),
            **summarise(res),
            **meas,
            "expected_pass": EXPECT[name],
            "expectation_held": bool(res.passed) == EXPECT[name],
        }
        if name == "mst":
            row.update(mst_times)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if timing_case:
        n_tr = round(0.8 * n_all)
        tr, ho, _ = adult_split(n_tr, seed, n_holdout=n_all - n_tr)
        syn = marginals(tr, np.random.default_rng(seed + 2))
        res, meas = timed_check(tr, ho, syn, sch)
        row = {
            "case": "adult-timing",
            "synthetic": "marginals",
            "n_train": len(tr),
            "n_holdout": len(ho),
            "n_synthetic": len(syn),
            **summarise(res),
            **meas,
            "target_s": 20,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


# -- random mixed data at scale ---------------------------------------------------------

N_NUM, N_CAT, LEVELS = 8, 12, 8


def random_mixed(n: int, rng: np.random.Generator) -> pd.DataFrame:
    cols: dict[str, np.ndarray] = {}
    for j in range(N_NUM):
        cols[f"x{j}"] = rng.normal(size=n)
    levels = np.array([f"L{i}" for i in range(LEVELS)], dtype=object)
    for j in range(N_CAT):
        p = rng.dirichlet(np.ones(LEVELS))
        cols[f"c{j}"] = levels[rng.choice(LEVELS, size=n, p=p)]
    return pd.DataFrame(cols)


def run_scale(n: int, n_holdout: int, seed: int) -> dict:
    from privacy.leakage.columns import prepare_columns
    from privacy.leakage.distance import SYNTHETIC, TRAIN, encode

    rng = np.random.default_rng(seed)
    base = random_mixed(n + n_holdout, rng)
    train, holdout = base.iloc[:n].reset_index(drop=True), base.iloc[n:].reset_index(drop=True)
    syn = random_mixed(n, np.random.default_rng(seed + 1))
    q, (r,) = encode(prepare_columns(train, holdout, syn, None), SYNTHETIC, [TRAIN])
    dims = int(q.dense.shape[1]) + int(q.codes.shape[1] if q.codes.ndim == 2 else 0)
    del q, r
    res, meas = timed_check(train, holdout, syn, None)
    stage = meas["stages_s"].get("leakage: synthetic vs train")
    row = {
        "case": "scale",
        "n_train": n,
        "n_holdout": n_holdout,
        "n_synthetic": n,
        "columns": f"{N_NUM} numeric + {N_CAT} categorical x {LEVELS} levels",
        "encoded_dims": dims,
        "passed": bool(res.passed),
        **meas,
        "nn_syn_vs_train_s": stage,
        "pairs_per_s_syn_vs_train": round(n * n / stage) if stage else None,
    }
    print(json.dumps(row), flush=True)
    return row


# -- peers ------------------------------------------------------------------------------


def run_sdmetrics(n: int, seed: int) -> dict:
    import sdmetrics.single_table as st
    from adult_bench import NUMS

    metric = getattr(st, "DCROverfittingProtection", None) or st.DCRBaselineProtection
    train, holdout, _ = adult_split(n, seed)
    syn = marginals(train, np.random.default_rng(seed + 1))
    for df in (train, holdout, syn):
        for c in NUMS:
            df[c] = pd.to_numeric(df[c], errors="coerce")
    cols = {c: {"sdtype": "numerical" if c in NUMS else "categorical"} for c in train.columns}
    meta = {"tables": {"adult": {"columns": cols}}}
    with RssSampler() as rss:
        start = time.perf_counter()
        if metric.__name__ == "DCROverfittingProtection":
            metric.compute_breakdown(train, syn, holdout, meta, "adult")
        else:
            metric.compute_breakdown(train, syn, meta, "adult")
        wall = time.perf_counter() - start
    row = {
        "case": "peer",
        "peer": f"sdmetrics {__import__('sdmetrics').__version__} {metric.__name__}",
        "n_train": n,
        "n_holdout": len(holdout),
        "n_synthetic": n,
        "peer_s": round(wall, 1),
        "peer_rss_peak_mb": round(rss.peak),
    }
    print(json.dumps(row), flush=True)
    return row


PEERS_PYTHON = Path(os.environ.get("PEERS_PYTHON", "/tmp/peers/bin/python"))


def peer_process(args: list[str], timeout: float) -> tuple[list[dict], str | None, float]:
    """Run a peer script in the peers' virtualenv; JSON lines out, wall time measured here."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [str(PEERS_PYTHON), *args], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return [], f"timeout after {timeout:.0f} s", time.perf_counter() - start
    wall = time.perf_counter() - start
    rows = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
        return rows, f"exit {proc.returncode}: {tail[0][:200]}", wall
    return rows, None, wall


def run_anonymeter(
    n: int, seed: int, sets: list[str], save: Path, n_attacks: int, timeout: float
) -> tuple[list[dict], list[str]]:
    """Anonymeter's inference (secret: income; the attacker knows every other column, as
    in our attack on Adult), linkability (alternate column halves) and singling-out
    (univariate and 3-column multivariate) on the very sets our check saw."""
    from adult_bench import load_columns

    cols = load_columns()
    rows, errors = [], []
    for name in sets:
        job = {
            "train": str(save / f"{n}_{seed}_train.parquet"),
            "control": str(save / f"{n}_{seed}_holdout.parquet"),
            "synthetic": str(save / f"{n}_{seed}_{name}.parquet"),
            "n_attacks": n_attacks,
            "secret": "income",
            "aux": [c for c in cols if c != "income"],
            "n_jobs": 2,
        }
        if not Path(job["synthetic"]).exists():
            errors.append(f"anonymeter {n} {name}: set not saved")
            continue
        job_path = save / f"job_{n}_{seed}_{name}.json"
        job_path.write_text(json.dumps(job))
        got, err, wall = peer_process(
            [str(HERE / "peers_leakage" / "anonymeter_run.py"), str(job_path)], timeout
        )
        for r in got:
            r.update(case="peer-attack", synthetic=name, n_train=n, seed=seed)
            rows.append(r)
            print(json.dumps(r), flush=True)
        total = {
            "case": "peer",
            "peer": "anonymeter (3 evaluators: inference, linkability, singling-out x2)",
            "synthetic": name,
            "n_train": n,
            "seed": seed,
            "peer_s": round(sum(r["seconds"] for r in got), 1) if not err else None,
            "process_s": round(wall, 1),
        }
        rows.append(total)
        print(json.dumps(total), flush=True)
        if err:
            errors.append(f"anonymeter {n} {name}: {err}")
            break
    return rows, errors


def run_mostlyai(n: int, seed: int, save: Path, timeout: float) -> tuple[list[dict], list[str]]:
    """mostlyai-qa's report (it computes its DCR/NNDR privacy metrics inside) on the
    marginal set, as its documentation shows it being called."""
    job = {
        "train": str(save / f"{n}_{seed}_train.parquet"),
        "holdout": str(save / f"{n}_{seed}_holdout.parquet"),
        "synthetic": str(save / f"{n}_{seed}_marginals.parquet"),
        "report": str(save / f"mostlyai_{n}_{seed}.html"),
    }
    job_path = save / f"job_mostlyai_{n}_{seed}.json"
    job_path.write_text(json.dumps(job))
    got, err, wall = peer_process(
        [str(HERE / "peers_leakage" / "mostlyai_run.py"), str(job_path)], timeout
    )
    row = {
        "case": "peer",
        "peer": (got[0].get("peer") if got else "mostlyai-qa"),
        "synthetic": "marginals",
        "n_train": n,
        "seed": seed,
        "peer_s": got[0]["seconds"] if got and not err else None,
        "process_s": round(wall, 1),
        **({"metrics": got[0].get("metrics")} if got else {}),
    }
    print(json.dumps(row), flush=True)
    return [row], [f"mostlyai-qa {n}: {err}"] if err else []


# -- driver -----------------------------------------------------------------------------


def child(args: list[str], timeout: float) -> tuple[list[dict], str | None]:
    cmd = [sys.executable, __file__, *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [], f"timeout after {timeout:.0f} s"
    rows = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    for x in rows:
        print(json.dumps(x), flush=True)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
        return rows, f"exit {proc.returncode}: {tail[0][:200]}"
    return rows, None


def _metric(row: dict, name: str) -> dict | None:
    return next((m for m in row.get("metrics", []) if m["name"] == name), None)


def table(rows: list[dict]) -> str:
    out = [
        "| n train / holdout | synthetic | verdict (expected) | blocked by | check | "
        "check RSS added / process peak |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["case"] not in ("adult", "adult-timing"):
            continue
        exp = r.get("expected_pass")
        verdict = "pass" if r["passed"] else "block"
        want = (
            ""
            if exp is None
            else f" ({'pass' if exp else 'block'}{'' if r['expectation_held'] else ' ✗'})"
        )
        label = r["synthetic"] + (" (timing shape)" if r["case"] == "adult-timing" else "")
        if "fit_s" in r:
            label += f" (fit {r['fit_s']} s)"
        out.append(
            f"| {r['n_train']:,} / {r['n_holdout']:,} | {label} | {verdict}{want} | "
            f"{', '.join(r['blocked_by']) or '—'} | {r['check_s']} s | "
            f"{r['check_rss_added_mb']} MB / {r['process_maxrss_mb']} MB |"
        )
    return "\n".join(out)


def rates_table(rows: list[dict]) -> str:
    """Per size and set: blocks over runs; then false-block and miss rates."""
    adult = [r for r in rows if r["case"] == "adult"]
    out = ["| n train | synthetic | runs (seeds) | blocked | expected |", "|---|---|---|---|---|"]
    for n in sorted({r["n_train"] for r in adult}):
        for name in EXPECT:
            got = [r for r in adult if r["n_train"] == n and r["synthetic"] == name]
            if not got:
                continue
            seeds = ",".join(str(r["seed"]) for r in got)
            blocked = sum(not r["passed"] for r in got)
            want = "pass" if EXPECT[name] else "block"
            out.append(f"| {n:,} | {name} | {len(got)} ({seeds}) | {blocked}/{len(got)} | {want} |")
    safe = [r for r in adult if EXPECT[r["synthetic"]]]
    leaky = [r for r in adult if not EXPECT[r["synthetic"]]]
    fb = sum(not r["passed"] for r in safe)
    miss = sum(r["passed"] for r in leaky)
    out.append("")
    out.append(
        f"false-block rate (marginals + mst): {fb}/{len(safe)}; "
        f"miss rate (bootstrap + near-copies): {miss}/{len(leaky)}"
    )
    by_metric: dict[str, list[int]] = {}
    for r in adult:
        for m in r["metrics"]:
            if m["verdict"] in ("pass", "block"):
                k = by_metric.setdefault(
                    f"{m['name']} ({'safe' if EXPECT[r['synthetic']] else 'leaky'})", [0, 0]
                )
                k[0] += m["verdict"] == "block"
                k[1] += 1
    out.append(
        "per metric, blocks/runs: "
        + "; ".join(f"{k} {a}/{b}" for k, (a, b) in sorted(by_metric.items()))
    )
    return "\n".join(out)


def attack_table(rows: list[dict]) -> str:
    """Our attack risks beside Anonymeter's on the same sets."""
    ours = {
        (r["n_train"], r["seed"], r["synthetic"]): r
        for r in rows
        if r["case"] == "adult" and r.get("attacks")
    }
    peer = [r for r in rows if r["case"] == "peer-attack"]
    out = [
        "| n | synthetic | attack | ours: risk [interval] (train / control rate) | "
        "anonymeter: risk [ci] (attack / control rate) | anonymeter s |",
        "|---|---|---|---|---|---|",
    ]

    def f(x: float | None) -> str:
        return "—" if x is None else f"{x:.3f}"

    for p in peer:
        mine = ours.get((p["n_train"], p["seed"], p["synthetic"]))
        att = (mine or {}).get("attacks") or {}
        ev = p["evaluator"]
        o = None
        if ev.startswith("inference"):
            o = next((x for x in att.get("inference", []) if x["name"] == ev.split(":")[1]), None)
        elif ev == "linkability":
            o = att.get("linkability")
        our = (
            f"{f(o['risk'])} [{f(o['risk_interval'][0])}, {f(o['risk_interval'][1])}] "
            f"({f(o['success_rate_train'])} / {f(o['success_rate_control'])})"
            if o
            else "— (not implemented)"
        )
        ci = p.get("risk_ci") or [None, None]
        out.append(
            f"| {p['n_train']:,} | {p['synthetic']} | {ev} | {our} | {f(p['risk'])} "
            f"[{f(ci[0])}, {f(ci[1])}] ({f(p['attack_rate'])} / {f(p['control_rate'])}) | "
            f"{p['seconds']} |"
        )
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,20000,39000")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--seeds", help="comma list of seeds (default: --seed); each size runs each seed"
    )
    ap.add_argument(
        "--seed-counts",
        default="",
        help="per size, how many of the seeds to run, e.g. 39000:2 (default: all)",
    )
    ap.add_argument(
        "--mst-seeds",
        default="",
        help="per size, fit the mst set for the first K seeds only, e.g. 5000:2,20000:1 "
        "(default: every seed)",
    )
    ap.add_argument(
        "--peer-sets-large",
        default="marginals",
        help="sets Anonymeter runs on at peer sizes above the smallest (all four at the smallest)",
    )
    ap.add_argument("--json")
    ap.add_argument("--scale", default="100000,200000", help="scale run sizes ('' = none)")
    ap.add_argument("--scale-holdout", type=int, default=1000)
    ap.add_argument("--scale-timeout", type=float, default=420)
    ap.add_argument(
        "--peers",
        default="sdmetrics,anonymeter,mostlyai",
        help="comma list of peers to run ('' = none); anonymeter and mostlyai run in "
        "the virtualenv of $PEERS_PYTHON (default /tmp/peers/bin/python)",
    )
    ap.add_argument(
        "--peer-sizes", default="", help="sizes for anonymeter/mostlyai (default: min and max)"
    )
    ap.add_argument("--peer-timeout", type=float, default=300)
    ap.add_argument("--save-dir", default="/tmp/leakage-bench-sets")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    save = Path(args.save_dir)

    if args.one:  # child process: one unit of work
        kind, *rest = args.one.split(":")
        if kind == "adult":
            run_adult(
                int(rest[0]),
                int(rest[2]),
                timing_case=rest[1] == "1",
                with_mst=rest[3] == "1",
                save=save if rest[4] == "1" else None,
            )
        elif kind == "scale":
            run_scale(int(rest[0]), args.scale_holdout, args.seed)
        elif kind == "sdmetrics":
            run_sdmetrics(int(rest[0]), args.seed)
        return 0

    from adult_bench import DATA

    if not DATA.is_dir():
        print(f"skipped: {DATA} not present")
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s]
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else [args.seed]

    def per_size(text: str) -> dict[int, int]:
        return {int(k): int(v) for k, v in (x.split(":") for x in text.split(",") if x)}

    counts, mst_counts = per_size(args.seed_counts), per_size(args.mst_seeds)
    peers = [p for p in args.peers.split(",") if p]
    peer_sizes = (
        [int(s) for s in args.peer_sizes.split(",") if s]
        if args.peer_sizes
        else sorted({min(sizes), max(sizes)})
        if sizes
        else []
    )
    rows: list[dict] = []
    errors: list[str] = []
    common = ["--scale-holdout", str(args.scale_holdout), "--save-dir", str(save)]
    for n in sizes:
        for k, seed in enumerate(seeds[: counts.get(n, len(seeds))]):
            timing = int(n == max(sizes) and k == 0)
            mst = int(k < mst_counts.get(n, len(seeds)))
            keep = int(k == 0 and n in peer_sizes and bool({"anonymeter", "mostlyai"} & set(peers)))
            got, err = child(
                ["--one", f"adult:{n}:{timing}:{seed}:{mst}:{keep}", "--seed", str(seed), *common],
                3600,
            )
            rows += got
            if err:
                errors.append(f"adult {n} seed {seed}: {err}")
    for n in [int(s) for s in args.scale.split(",") if s]:
        got, err = child(
            ["--one", f"scale:{n}", "--seed", str(seeds[0]), *common], args.scale_timeout
        )
        rows += got
        if err:
            errors.append(f"scale {n}: {err}")
            break

    if "sdmetrics" in peers and sizes:
        try:
            import sdmetrics  # noqa: F401
        except ImportError:
            errors.append("sdmetrics not installed: peer skipped")
        else:
            got, err = child(
                ["--one", f"sdmetrics:{min(sizes)}", "--seed", str(seeds[0]), *common],
                args.peer_timeout,
            )
            rows += got
            if err:
                errors.append(f"sdmetrics {min(sizes)}: {err}")
    for n in peer_sizes:
        if "anonymeter" in peers:
            n_attacks = min(2000, round(0.2 * n))  # as many targets as our check attacks
            sets = list(EXPECT) if n == min(peer_sizes) else args.peer_sets_large.split(",")
            got, errs = run_anonymeter(n, seeds[0], sets, save, n_attacks, args.peer_timeout)
            rows += got
            errors += errs
        if "mostlyai" in peers:
            got, errs = run_mostlyai(n, seeds[0], save, args.peer_timeout)
            rows += got
            errors += errs
    print()
    print(table(rows))
    print()
    print(rates_table(rows))
    if any(r["case"] == "peer-attack" for r in rows):
        print()
        print(attack_table(rows))
    adult = [r for r in rows if r["case"] == "adult"]
    print(
        f"\nevery expectation held: {all(r['expectation_held'] for r in adult)} "
        f"({sum(r['expectation_held'] for r in adult)}/{len(adult)})"
    )
    for r in rows:
        if r["case"] == "scale":
            print(
                f"scale {r['n_train']:,} x {r['n_synthetic']:,} (+{r['n_holdout']:,} holdout, "
                f"{r['encoded_dims']} dims): check {r['check_s']} s, synthetic-vs-train "
                f"{r['nn_syn_vs_train_s']} s, process peak RSS {r['process_maxrss_mb']} MB"
            )
        if r["case"] == "peer":
            ours = next(
                (
                    a
                    for a in adult
                    if a["n_train"] == r["n_train"]
                    and a["synthetic"] == r.get("synthetic", "marginals")
                    and a["seed"] == r.get("seed", seeds[0])
                ),
                None,
            )
            ratio = round(r["peer_s"] / ours["check_s"], 1) if ours and r.get("peer_s") else None
            r["ratio_to_ours"] = ratio
            print(
                f"{r['peer']} at {r['n_train']:,} ({r.get('synthetic', 'marginals')}): "
                f"{r.get('peer_s')} s (x{ratio} our whole check"
                f"{'' if ours is None else ', ' + str(ours['check_s']) + ' s'})"
            )
    for e in errors:
        print(f"note: {e}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        info = {"cpus": len(os.sched_getaffinity(0)), "seeds": seeds, "errors": errors}
        Path(args.json).write_text(json.dumps({"run": info, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

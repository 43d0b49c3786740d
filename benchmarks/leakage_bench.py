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
callback. Peers (``--peers``): SDMetrics' DCR metric at the smallest size, with a timeout.

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


def run_adult(n: int, seed: int, timing_case: bool) -> list[dict]:
    from adult_bench import schema as adult_schema

    from synth.synthesizer import Synthesizer

    sch = adult_schema()
    train, holdout, n_all = adult_split(n, seed)
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
    sets.append(("mst", fit_mst))
    for name, make in sets:
        syn = make()
        res, meas = timed_check(train, holdout, syn, sch)
        row = {
            "case": "adult",
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
    from privacy.leakage.distance import encode
    from privacy.leakage.gate import SYNTHETIC, TRAIN, prepare_columns

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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,20000,39000")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json")
    ap.add_argument("--scale", default="100000,200000", help="scale run sizes ('' = none)")
    ap.add_argument("--scale-holdout", type=int, default=1000)
    ap.add_argument("--scale-timeout", type=float, default=420)
    ap.add_argument("--peers", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--peer-timeout", type=float, default=300)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.one:  # child process: one unit of work
        kind, *rest = args.one.split(":")
        if kind == "adult":
            run_adult(int(rest[0]), args.seed, timing_case=rest[1] == "1")
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
    rows: list[dict] = []
    errors: list[str] = []
    common = ["--seed", str(args.seed), "--scale-holdout", str(args.scale_holdout)]
    for n in sizes:
        got, err = child(["--one", f"adult:{n}:{int(n == max(sizes))}", *common], 3600)
        rows += got
        if err:
            errors.append(f"adult {n}: {err}")
    for n in [int(s) for s in args.scale.split(",") if s]:
        got, err = child(["--one", f"scale:{n}", *common], args.scale_timeout)
        rows += got
        if err:
            errors.append(f"scale {n}: {err}")
            break

    if args.peers and sizes:
        try:
            import sdmetrics  # noqa: F401
        except ImportError:
            errors.append("sdmetrics not installed: peer skipped")
        else:
            got, err = child(["--one", f"sdmetrics:{min(sizes)}", *common], args.peer_timeout)
            rows += got
            if err:
                errors.append(f"sdmetrics {min(sizes)}: {err}")
    print()
    print(table(rows))
    adult = [r for r in rows if r["case"] == "adult"]
    held = all(r["expectation_held"] for r in adult) and len(adult) == 4 * len(sizes)
    print(
        f"\nevery expectation held: {held} ({sum(r['expectation_held'] for r in adult)}"
        f"/{4 * len(sizes)})"
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
                    if a["n_train"] == r["n_train"] and a["synthetic"] == "marginals"
                ),
                None,
            )
            ratio = round(r["peer_s"] / ours["check_s"], 1) if ours else None
            r["ratio_to_ours"] = ratio
            print(f"{r['peer']} at {r['n_train']:,}: {r['peer_s']} s (x{ratio} our check)")
    for e in errors:
        print(f"note: {e}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        info = {"cpus": len(os.sched_getaffinity(0)), "seed": args.seed, "errors": errors}
        Path(args.json).write_text(json.dumps({"run": info, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

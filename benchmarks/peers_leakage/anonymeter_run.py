"""Run Anonymeter's three evaluators on Parquet files; print one JSON line per evaluator.

Runs in the peers' virtualenv (``/tmp/peers/bin/python``), never in the project's: the
leakage benchmark writes train/control/synthetic Parquet files and a JSON job, calls this
script as a subprocess and reads its output. Only risks, rates, sizes and times are
printed, never a data value.

    /tmp/peers/bin/python benchmarks/peers_leakage/anonymeter_run.py JOB.json
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import pandas as pd


def main(job_path: str) -> int:
    from importlib.metadata import version as dist_version
    from pathlib import Path

    from anonymeter.evaluators import (  # type: ignore[import-not-found]
        InferenceEvaluator,
        LinkabilityEvaluator,
        SinglingOutEvaluator,
    )

    warnings.filterwarnings("ignore")
    job = json.loads(Path(job_path).read_text())
    version = dist_version("anonymeter")
    ori, control, syn = (pd.read_parquet(job[k]) for k in ("train", "control", "synthetic"))
    n_attacks, secret, aux = job["n_attacks"], job["secret"], job["aux"]
    conf = job.get("confidence", 0.95)
    which = job.get("evaluators", ["inference", "linkability", "singling_out"])

    def emit(name: str, make, **extra) -> None:
        start = time.perf_counter()
        ev = make()
        ev.evaluate(**extra)
        wall = time.perf_counter() - start
        risk = ev.risk(confidence_level=conf)
        res = ev.results()
        print(
            json.dumps(
                {
                    "peer": f"anonymeter {version}",
                    "evaluator": name,
                    "n_attacks": n_attacks,
                    "risk": risk.value,
                    "risk_ci": list(risk.ci),
                    "attack_rate": res.attack_rate.value,
                    "control_rate": res.control_rate.value,
                    "seconds": round(wall, 2),
                }
            ),
            flush=True,
        )

    if "inference" in which:
        emit(
            f"inference:{secret}",
            lambda: InferenceEvaluator(
                ori=ori,
                syn=syn,
                control=control,
                aux_cols=aux,
                secret=secret,
                regression=job.get("regression", False),
                n_attacks=n_attacks,
            ),
            n_jobs=job.get("n_jobs", 2),
        )
    if "linkability" in which:
        cols = list(ori.columns)
        halves = (cols[0::2], cols[1::2])
        emit(
            "linkability",
            lambda: LinkabilityEvaluator(
                ori=ori,
                syn=syn,
                control=control,
                aux_cols=halves,
                n_attacks=n_attacks,
                n_neighbors=1,
            ),
            n_jobs=job.get("n_jobs", 2),
        )
    if "singling_out" in which:
        emit(
            "singling_out:univariate",
            lambda: SinglingOutEvaluator(
                ori=ori, syn=syn, control=control, n_attacks=n_attacks, seed=0
            ),
            mode="univariate",
        )
        emit(
            "singling_out:multivariate",
            lambda: SinglingOutEvaluator(
                ori=ori, syn=syn, control=control, n_attacks=n_attacks, n_cols=3, seed=0
            ),
            mode="multivariate",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))

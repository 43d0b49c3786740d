"""Mutation check (issue 21): deliberate bugs, and which default-run tests catch each.

    .venv/bin/python benchmarks/mutation_check.py --json out/mutation-check.json

A scratch checkout of HEAD (``git worktree``) gets one bug at a time — each a single
textual edit of the code, listed in ``MUTATIONS`` — and the default test suite runs
against it (``PYTHONPATH`` puts the scratch copy first, so the console script and every
subprocess use it too). A mutation is *caught* when at least one test fails; the table
lists the failing tests. The unmutated checkout runs first and must pass, or nothing
here means anything. Every mutation must be caught (exit 1 otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str


MUTATIONS = [
    Mutation(
        "drop the noise of the 1-way marginals",
        "synth/engines/measure.py",
        "noisy = rand.gaussian_counts(np.concatenate(counts), sigma)",
        "noisy = np.concatenate(counts).astype(float)",
    ),
    Mutation(
        "store the seed (every fit drawn from seed 0)",
        "synth/synthesizer.py",
        "rand = Randomness.create(self.insecure_fit_seed)",
        "rand = Randomness.create(0 if self.insecure_fit_seed is None else self.insecure_fit_seed)",
    ),
    Mutation(
        "report ε from the budget instead of the ledger",
        "synth/synthesizer.py",
        "eps, dlt = self.ledger.spent()",
        "eps, dlt = self.epsilon, self.delta",
    ),
    Mutation(
        "skip one gate metric (exact-match share)",
        "privacy/leakage/gate.py",
        "exact_match_share(in_tr, in_ho, p0, gate, (cnt_tr, cnt_ho)),",
        "",
    ),
    Mutation(
        "leave the staging folder behind on an error or interrupt",
        "synth/io/atomic.py",
        "    except BaseException:\n"
        "        shutil.rmtree(stage, ignore_errors=True)\n        raise",
        "    except BaseException:\n        raise",
    ),
    Mutation(
        "smear one numeric column (exact values decoded anywhere in their bin)",
        "synth/encoding.py",
        "x = self.low + t * self.step",
        "x = self.low + (t + rng.random(len(t))) * self.step",
    ),
]


def run_suite(tree: Path, timeout: float) -> tuple[list[str], float, str]:
    """Failing test ids of the default suite run against ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    shared = ROOT.parent / "shared"
    if shared.is_dir():  # the scratch copy lives elsewhere: point it at the same datasets
        env.setdefault("STEWARD_SHARED", str(shared))
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE", "tests"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.perf_counter() - start
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", proc.stdout, flags=re.M)
    summary = (proc.stdout.strip().splitlines() or [""])[-1]
    return sorted(set(failed)), seconds, summary


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per suite run")
    ap.add_argument("--only", help="comma-separated indices of mutations to run")
    args = ap.parse_args()
    chosen = [int(i) for i in args.only.split(",")] if args.only else range(len(MUTATIONS))
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), "HEAD"],
            check=True,
            capture_output=True,
        )
        try:
            rows = []
            failed, seconds, summary = run_suite(tree, args.timeout)
            print(f"unmutated: {summary} ({seconds:.0f} s)", flush=True)
            if failed:
                print("the unmutated suite fails; fix that first:", failed)
                return 2
            for i in chosen:
                m = MUTATIONS[i]
                target = tree / m.path
                original = target.read_text()
                if original.count(m.old) != 1:
                    raise SystemExit(f"mutation '{m.name}': the code to change is not found once")
                target.write_text(original.replace(m.old, m.new))
                try:
                    failed, seconds, summary = run_suite(tree, args.timeout)
                finally:
                    target.write_text(original)
                rows.append({"mutation": m.name, "file": m.path, "caught_by": failed})
                print(f"{m.name}: {len(failed)} failing test(s) ({seconds:.0f} s)", flush=True)
                for t in failed:
                    print(f"    {t}", flush=True)
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                check=False,
                capture_output=True,
            )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    missed = [r["mutation"] for r in rows if not r["caught_by"]]
    print("every mutation caught" if not missed else f"NOT caught: {missed}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())

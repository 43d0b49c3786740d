"""Print the Markdown table of an ``adult_bench.py --json`` file (for BENCHMARKS.md).

python benchmarks/peers/table.py out/bench-adult.json [more.json ...]

A row of a later file replaces the row of an earlier one with the same system, ε and seed
(a re-run); rows come out grouped by system in the order of ``NAMES``, then ε, then seed.
Below the table: per ε, each system's mean 2-way TVD over its seeds and our systems' ratio
to the best DP peer's mean (the peers run on the declared domain).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

NAMES = {
    "draft": "**ours, scan's draft schema, no hand edits (`auto`)**",
    "auto": "**ours, default (`auto` → `aim`)**",
    "aim": "ours, `aim`",
    "mst": "ours, `mst` (target-aware tree)",
    "dpsgd": "ours, `dpsgd` (Opacus)",
    "sn-mst": "SmartNoise MST (mbi 1.1), with decode-by-name shim",
    "sn-mst-as-shipped": "SmartNoise MST as shipped (decodes columns by position)",
    "sn-aim": "SmartNoise AIM (2-way workload, 25 rounds)",
    "sn-dpctgan": "SmartNoise DP-CTGAN (Opacus 0.14, 5 epochs)",
    "mbi-mst": "MST on mbi 2.0 (benchmarks/peers)",
    "mbi-aim": "AIM on mbi 2.0 (2-way workload, T = 25)",
    "sdv-gc": "SDV GaussianCopula (not DP)",
    "sdv-ctgan": "SDV CTGAN (not DP, 30 epochs)",
    "independent": "independent marginals (not DP), floor",
    "real": "real test split scored as synthetic",
    "trtr": "TRTR (train on real), ceiling",
}


OURS = ("draft", "auto", "aim", "mst", "dpsgd")
DP_PEERS = ("sn-mst", "sn-aim", "sn-dpctgan", "mbi-mst", "mbi-aim")


def ratios(rows: list[dict]) -> list[str]:
    """Per ε: mean 2-way TVD per system, and ours against the best DP peer (×)."""
    means: dict[float, dict[str, float]] = {}
    for r in rows:
        if "error" in r or not r.get("epsilon"):
            continue
        means.setdefault(r["epsilon"], {}).setdefault(r["system"], []).append(r["tvd_2way"])
    out = []
    for eps in sorted(means):
        m = {k: sum(v) / len(v) for k, v in means[eps].items()}
        peers = {k: v for k, v in m.items() if k in DP_PEERS}
        if not peers:
            continue
        best = min(peers, key=peers.get)
        for ours in (k for k in OURS if k in m):
            out.append(
                f"ε = {eps:g}: {ours} {m[ours]:.4f} against {best} {peers[best]:.4f} "
                f"(best DP peer): ×{m[ours] / peers[best]:.2f}"
            )
    return out


def fmt(v, spec: str = ".4f") -> str:
    return "—" if v is None else format(v, spec)


def main(*paths: str) -> int:
    by_key: dict[tuple, dict] = {}
    for path in paths:
        for r in json.loads(Path(path).read_text()):
            by_key[(r["system"], r.get("epsilon") or 0.0, r.get("seed", 0))] = r
    order = {name: k for k, name in enumerate(NAMES)}
    rows = sorted(
        by_key.values(),
        key=lambda r: (
            order.get(r["system"], len(order)),
            r.get("epsilon") or 0.0,
            r.get("seed", 0),
        ),
    )
    print("| system | ε | seed | fit | 2-way TVD | 3-way TVD | TSTR AUC | peak RSS | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        name = NAMES.get(r["system"], r["system"])
        eps = fmt(r.get("epsilon") or None, "g")
        load = "–".join(str(x) for x in r.get("load_1m", []))
        if "error" in r:
            err = r["error"] if r["error"] in ("timeout", "cut for time") else "failed"
            print(f"| {name} | {eps} | {r.get('seed', '')} | {err} | | | | | {load} |")
            continue
        fit = "—" if r["system"] in ("real", "trtr", "independent") else f"{r['fit_s']:.0f} s"
        rss = r.get("peak_rss_mb")
        rss_s = "—" if rss is None else (f"{rss / 1024:.2f} GB" if rss >= 1024 else f"{rss} MB")
        print(
            f"| {name} | {eps} | {r['seed']} | {fit} | {fmt(r['tvd_2way'])} | "
            f"{fmt(r['tvd_3way'])} | {fmt(r['auc'], '.3f')} | {rss_s} | {load} |"
        )
    lines = ratios(rows)
    if lines:
        print()
        print("Means of the 2-way TVD over seeds, same run:")
        for line in lines:
            print(f"- {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

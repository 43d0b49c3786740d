"""PII-scanner benchmark (issue 3): column detection vs hand labels, scan speed, redaction.

    python benchmarks/scanner_bench.py [--part columns|speed|notes|single|all] [--nlp blank|sm]
                                       [--notes N] [--json out/bench-scanner.json]

* columns: our scanner, plain Presidio (same offline NLP engine, Presidio's own
  recognizers, ≥50% of ≤100 sampled distinct values carrying an entity) and SDV's
  metadata detection, scored against benchmarks/scanner_labels.yaml (direct-identifier
  columns: precision / recall per table and overall).
* speed: a 100k-row × 25-column table (sample_data/generate.py + 2 columns) classified.
* notes: redaction of the sample notes, ours (batched, all cores) vs Presidio's
  BatchAnalyzerEngine + AnonymizerEngine with the same NLP pipeline, with span recall;
  three variants (:data:`VARIANTS`): the notes as generated, with an address and SSN
  appended, and with every name swapped for a made-up one outside the name lexicon.
* single: the same comparison in one process without pool or anonymizer (the fast path's
  own gain), and whether any text's spans or scores differ from the analyzer's.

Output shows column names, counts, entity types and rates only — never a value.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
SHARED = Path(os.environ.get("STEWARD_SHARED", ROOT.parent / "shared")) / "datasets"
LABELS = ROOT / "benchmarks" / "scanner_labels.yaml"
warnings.filterwarnings("ignore")


def load_tables() -> list[tuple[str, dict[str, Any], pd.DataFrame, pd.DataFrame]]:
    """(name, labels, table as text for our scanner, table with inferred dtypes for SDV)."""
    doc = yaml.safe_load(LABELS.read_text())
    out = []
    for name, spec in doc["tables"].items():
        path = ROOT / spec["repo"] if "repo" in spec else SHARED / spec["shared"]
        if not path.exists():
            print(f"skip {name}: {path} not present")
            continue
        na = spec.get("na", [""])
        opts = {"keep_default_na": False, "na_values": na, "low_memory": False}
        text = pd.read_csv(path, dtype=str, **opts)
        typed = pd.read_csv(path, **opts)
        missing = set(text.columns) ^ set(spec["columns"])
        if missing:
            raise SystemExit(f"{name}: labels and columns differ: {sorted(missing)}")
        out.append((name, spec["columns"], text, typed))
    return out


def prf(flagged: set[str], truth: set[str]) -> dict[str, float | int]:
    tp = len(flagged & truth)
    return {
        "tp": tp,
        "fp": len(flagged - truth),
        "fn": len(truth - flagged),
        "precision": round(tp / len(flagged), 3) if flagged else 1.0,
        "recall": round(tp / len(truth), 3) if truth else 1.0,
    }


def part_columns() -> dict[str, Any]:
    from scanner_peers import presidio_columns, sdv_columns

    from privacy.scanner import scan

    per: dict[str, Any] = {}
    totals: dict[str, dict[str, set[str]]] = {"ours": {}, "presidio": {}, "sdv": {}}
    truth_all: set[str] = set()
    for name, labels, text, typed in load_tables():
        truth = {c for c, lab in labels.items() if lab["direct"]}
        t0 = time.perf_counter()
        result = scan(text, name=name)
        secs = time.perf_counter() - t0
        ours = {f.name for f in result.findings if f.role == "direct_identifier"}
        entities = {f.name: f.entity for f in result.findings}
        pres = {c for c, e in presidio_columns(text).items() if e}
        sdv = {c for c, e in sdv_columns(typed, name).items() if e}
        per[name] = {
            "rows": len(text),
            "columns": len(text.columns),
            "direct_labelled": len(truth),
            "scan_seconds": round(secs, 2),
            "ours": prf(ours, truth)
            | {"fp_cols": sorted(ours - truth), "fn_cols": sorted(truth - ours)},
            "presidio": prf(pres, truth)
            | {"fp_cols": sorted(pres - truth), "fn_cols": sorted(truth - pres)},
            "sdv": prf(sdv, truth)
            | {"fp_cols": sorted(sdv - truth), "fn_cols": sorted(truth - sdv)},
            "entity_mismatch": sorted(
                c for c in truth & ours if labels[c]["entity"] != entities[c]
            ),
        }
        truth_all |= {f"{name}.{c}" for c in truth}
        for peer, got in (("ours", ours), ("presidio", pres), ("sdv", sdv)):
            totals[peer].setdefault("x", set()).update(f"{name}.{c}" for c in got)
    overall = {peer: prf(v.get("x", set()), truth_all) for peer, v in totals.items()}
    return {"tables": per, "overall": overall, "direct_labelled": len(truth_all)}


def wide_table(rows: int) -> pd.DataFrame:
    sys.path.insert(0, str(ROOT / "sample_data"))
    from generate import generate

    df = generate(rows, seed=11)
    rng = np.random.default_rng(11)
    df["device_key"] = [f"{x:016x}" for x in rng.integers(0, 2**63, rows)]
    df["home_latitude"] = np.round(rng.uniform(40.5, 42.9, rows), 6)
    return df.astype({c: str for c in df.columns if df[c].dtype == object})


def part_speed(rows: int) -> dict[str, Any]:
    from privacy.scanner import scan

    df = wide_table(rows)
    scan(df.iloc[:2000], name="warm-up")
    t0 = time.perf_counter()
    result = scan(df, name="wide")
    secs = time.perf_counter() - t0
    direct = sorted(f.name for f in result.findings if f.role == "direct_identifier")
    return {
        "rows": len(df),
        "columns": len(df.columns),
        "seconds": round(secs, 2),
        "target_seconds": 10,
        "direct_identifiers": direct,
    }


def _presidio_batch(
    texts: list[str], analyzer: Any, entities: list[str] | None
) -> tuple[float, list[list[tuple[int, int]]]]:
    from presidio_analyzer import BatchAnalyzerEngine
    from presidio_anonymizer import AnonymizerEngine

    from privacy.redaction import REDACT_MIN_SCORE

    batch = BatchAnalyzerEngine(analyzer_engine=analyzer)
    anon = AnonymizerEngine()
    t0 = time.perf_counter()
    results = batch.analyze_iterator(
        texts, language="en", entities=entities, score_threshold=REDACT_MIN_SCORE
    )
    spans = []
    for text, res in zip(texts, results, strict=True):
        anon.anonymize(text=text, analyzer_results=res)
        spans.append([(r.start, r.end) for r in res])
    return time.perf_counter() - t0, spans


#: (name, augmented with SSN + address, names swapped for made-up ones outside the lexicon)
VARIANTS = [
    ("notes", False, False),
    ("notes+ssn+address", True, False),
    ("notes, names outside lexicon", False, True),
]


def part_notes(n: int, nlp: str) -> dict[str, Any]:
    os.environ["STEWARD_NLP"] = nlp
    from scanner_notes import notes_with_truth, span_recall
    from scanner_peers import plain_presidio

    from privacy.nlp import build_analyzer, engine_name
    from privacy.redaction import REDACT_ENTITIES, analyze_texts
    from privacy.stripping import redact_texts

    df = pd.read_csv(
        ROOT / "sample_data" / "patients.csv", dtype=str, keep_default_na=False, na_values=[""]
    )
    df = df.iloc[:n]
    out: dict[str, Any] = {"engine": engine_name(nlp)}
    build_analyzer()
    for variant, augment, outside in VARIANTS:
        texts, truth = notes_with_truth(df, augment, outside)
        redact_texts(texts[:50])  # warm-up (lexicon, regexes)
        t0 = time.perf_counter()
        redact_texts(texts)
        t_ours = time.perf_counter() - t0
        ours = [[(x.start, x.end) for x in spans] for spans in analyze_texts(texts)]
        t_same, same = _presidio_batch(texts, build_analyzer(), REDACT_ENTITIES)
        t_plain, plain = _presidio_batch(texts, plain_presidio(nlp), None)
        out[variant] = {
            "texts": len(texts),
            "ours": {
                "seconds": round(t_ours, 2),
                "texts_per_s": round(len(texts) / t_ours, 1),
                "recall": span_recall(truth, ours),
            },
            "presidio_batch_same_recognizers": {
                "seconds": round(t_same, 2),
                "texts_per_s": round(len(texts) / t_same, 1),
                "recall": span_recall(truth, same),
            },
            "presidio_batch_default_recognizers": {
                "seconds": round(t_plain, 2),
                "texts_per_s": round(len(texts) / t_plain, 1),
                "recall": span_recall(truth, plain),
            },
        }
        out[variant]["speedup_vs_same"] = round(t_same / t_ours, 2)
        out[variant]["speedup_vs_default"] = round(t_plain / t_ours, 2)
    return out


def part_single(n: int) -> dict[str, Any]:
    """One process, no pool, no anonymizer: the fast path vs ``AnalyzerEngine.analyze`` on
    every text (what ``BatchAnalyzerEngine`` does), same recognizers, in alternation."""
    from scanner_notes import notes_with_truth

    from privacy.redaction import analyze_fast, analyze_plain

    df = pd.read_csv(
        ROOT / "sample_data" / "patients.csv", dtype=str, keep_default_na=False, na_values=[""]
    ).iloc[:n]
    out: dict[str, Any] = {}
    for variant, augment, outside in VARIANTS:
        texts, _ = notes_with_truth(df, augment, outside)
        analyze_fast(texts[:50])
        analyze_plain(texts[:50])
        t0 = time.perf_counter()
        fast = analyze_fast(texts)
        t1 = time.perf_counter()
        plain = analyze_plain(texts)
        t2 = time.perf_counter()
        out[variant] = {
            "texts": len(texts),
            "fast_texts_per_s": round(len(texts) / (t1 - t0), 1),
            "analyzer_texts_per_s": round(len(texts) / (t2 - t1), 1),
            "speedup": round((t2 - t1) / (t1 - t0), 2),
            "texts_differing": sum(
                sorted(a) != sorted(b) for a, b in zip(fast, plain, strict=True)
            ),
        }
    return out


def _cell(t: dict[str, Any], k: str) -> str:
    return f"{t[k]['precision']:.2f}/{t[k]['recall']:.2f}"


def show(res: dict[str, Any]) -> None:
    if "columns" in res:
        c = res["columns"]
        print(f"\nDirect-identifier columns ({c['direct_labelled']} labelled direct)")
        head = ["table", "cols", "dir", "ours P/R", "Presidio P/R", "SDV P/R", "scan s"]
        print("{:20s} {:>4s} {:>3s} | {:>11s} | {:>12s} | {:>11s} | {}".format(*head))
        for name, t in c["tables"].items():
            row = [name, t["columns"], t["direct_labelled"]]
            row += [_cell(t, "ours"), _cell(t, "presidio"), _cell(t, "sdv"), t["scan_seconds"]]
            print("{:20s} {:4d} {:3d} | {:>11s} | {:>12s} | {:>11s} | {}".format(*row))
            if t["ours"]["fp_cols"] or t["ours"]["fn_cols"]:
                print(f"    ours FP {t['ours']['fp_cols']} FN {t['ours']['fn_cols']}")
            if t["entity_mismatch"]:
                print(f"    entity differs from label: {t['entity_mismatch']}")
        for k, v in c["overall"].items():
            print(
                f"overall {k:9s} P {v['precision']:.3f} R {v['recall']:.3f} "
                f"(tp {v['tp']} fp {v['fp']} fn {v['fn']})"
            )
    if "speed" in res:
        s = res["speed"]
        print(f"\nScan of {s['rows']:,} × {s['columns']}: {s['seconds']} s (target 10 s)")
    if "single" in res:
        print("\nOne process, fast path vs AnalyzerEngine.analyze per text (same recognizers)")
        for variant, v in res["single"].items():
            print(
                f"  {variant}: {v['texts']} texts; fast {v['fast_texts_per_s']}/s, analyzer "
                f"{v['analyzer_texts_per_s']}/s, ×{v['speedup']}; "
                f"texts whose spans/scores differ: {v['texts_differing']}"
            )
    if "notes" in res:
        nres = res["notes"]
        print(f"\nRedaction, engine: {nres['engine']}")
        for variant, _, _ in VARIANTS:
            v = nres[variant]
            print(
                f"  {variant}: {v['texts']} texts; ×{v['speedup_vs_same']} vs Presidio batch "
                f"(same recognizers), ×{v['speedup_vs_default']} (default recognizers)"
            )
            for k in (
                "ours",
                "presidio_batch_same_recognizers",
                "presidio_batch_default_recognizers",
            ):
                r = v[k]
                rec = " ".join(
                    f"{t}={x['recall']:.3f}"
                    for t, x in r["recall"].items()
                    if not t.startswith("_")
                )
                extra = r["recall"]["_extra_spans_outside_truth"]["spans"]
                print(f"    {k:36s} {r['texts_per_s']:8.1f}/s  {rec}  extra={extra}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", default="all", choices=["columns", "speed", "notes", "single", "all"])
    ap.add_argument("--nlp", default="blank", choices=["blank", "sm"])
    ap.add_argument("--notes", type=int, default=5000)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--json", type=Path, default=ROOT / "out" / "bench-scanner.json")
    args = ap.parse_args()
    os.environ.setdefault("STEWARD_NLP", "blank")
    res: dict[str, Any] = {"cores": len(os.sched_getaffinity(0))}
    if args.part in ("columns", "all"):
        res["columns"] = part_columns()
    if args.part in ("speed", "all"):
        res["speed"] = part_speed(args.rows)
    if args.part in ("notes", "all"):
        res["notes"] = part_notes(args.notes, args.nlp)
    if args.part in ("single", "all"):
        res["single"] = part_single(args.notes)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=2, default=str))
    show(res)
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()

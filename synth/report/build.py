"""Assemble the release report: JSON sections plus figures, and write both outputs."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synth.errors import SchemaError
from synth.io.atomic import atomic_write_text
from synth.private_domains import blank_shares_sentence, empty_columns, empty_columns_sentence
from synth.report import figures as figs
from synth.report import governance
from synth.report.bias import bias
from synth.report.columns import Prepared, prepare
from synth.report.common import clean, fmt, pct
from synth.report.diversity import diversity, row_hashes
from synth.report.fidelity import column_rows, constraint_rows, marginals
from synth.report.html import render_html
from synth.report.limits import limits
from synth.report.remedies import remedies
from synth.report.review import schema_review
from synth.report.safety import Scrubber
from synth.report.tstr import tstr
from synth.schema import parse_schema
from synth.schema.io import REVIEWED
from synth.schema.model import Schema

REPORT_VERSION = 1
#: what the report is, said on its first screen and in report.json
INTERNAL_NOTE = (
    "Internal evidence for the steward and the data-protection officer: the fidelity, "
    "bias and leakage sections compare the synthetic rows with the real rows and are not "
    "covered by the differential-privacy guarantee. Share synthetic.csv, model.synth, "
    "ledger.json and release.json; keep this report, leakage.json and scan.json internal."
)
#: how numbers are binned for the comparison, and why some bins show no values
NUMERIC_BINS_METHOD = (
    "about 10 bins + missing. Edges from the model's own sample or DP measurements, or "
    "from the schema's declared bounds, are shown as values; otherwise the bins are cut "
    "at quantiles of the real training data and labelled by quantile rank (p10–p20), "
    "since no DP measurement paid for those values"
)
SECTION_KEYS = (
    "verdict",
    "pii_scan",
    "ledger",
    "leakage",
    "fidelity",
    "bias",
    "diversity",
    "limits",
)


def _tool_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("steward-synth")
    except Exception:
        return None


def model_codecs(model: Any) -> dict[str, dict[str, Any]]:
    """A fitted :class:`~synth.Synthesizer`'s codecs by column name (their ``state_dict``:
    public or DP bounds, edges and heavy values only)."""
    return {c.name: c.state_dict() for c in getattr(model, "codecs", None) or []}


def _review(scan: dict[str, Any], schema: Schema, note: str | None) -> dict[str, Any]:
    """The reviewed schema against the scan's draft (``scan["schema"]``)."""
    out: dict[str, Any] = {"source": note or "the scan of this table"}
    try:
        draft = parse_schema(scan["schema"], "the scan's draft schema")
    except (KeyError, TypeError, SchemaError) as exc:
        return {**out, "unavailable": f"the scan holds no readable draft ({type(exc).__name__})"}
    return {**out, **schema_review(draft, schema)}


def _exact_copies(
    cols: list[Prepared], hashes: dict[str, np.ndarray] | None = None
) -> dict[str, Any]:
    """Shares of synthetic rows identical to some real row (over the compared columns);
    ``hashes`` keeps the row hashes for the diversity section."""
    if not cols:
        return {"columns": 0}
    syn, real = row_hashes(cols, "synth", hashes), row_hashes(cols, "real", hashes)
    out: dict[str, Any] = {
        "columns": len(cols),
        "synthetic_in_train": float(np.isin(syn, real).mean()),
    }
    if all(c.holdout is not None for c in cols):
        hold = row_hashes(cols, "holdout", hashes)
        out["synthetic_in_holdout"] = float(np.isin(syn, hold).mean()) if len(syn) else None
        out["holdout_in_train"] = float(np.isin(hold, real).mean()) if len(hold) else None
    return out


def _panels(cols: list[Prepared], tvd: dict[str, float]) -> tuple[list[Prepared], str]:
    if len(cols) <= figs.MAX_PANELS:
        return cols, "One panel per compared column."
    worst = sorted(cols, key=lambda c: -(tvd.get(c.name) or 0))[: figs.MAX_PANELS]
    keep = {c.name for c in worst}
    return (
        [c for c in cols if c.name in keep],
        f"The {figs.MAX_PANELS} columns with the largest TVD of {len(cols)}.",
    )


def _fidelity(
    cols: list[Prepared], skipped: list[dict[str, str]], schema: Schema, has_holdout: bool
) -> dict[str, Any]:
    return {
        "method": {
            "numeric_bins": NUMERIC_BINS_METHOD,
            "categorical": "every category + missing (2-/3-way: top 50 + other)",
            "datetime": "parsed with the column format, binned as numbers",
        },
        "columns": column_rows(cols),
        "skipped": skipped,
        "marginals": marginals(cols),
        "tstr": _safe_tstr(cols, schema.dataset.target, has_holdout),
        "constraints": constraint_rows(cols, schema),
    }


def _attention(report: dict[str, Any]) -> list[str]:
    out = []
    v = report["verdict"]
    if v.get("randomness") and not v["randomness"].get("private", True):
        out.append("The fit was seeded for a test (--insecure-seed): NOT PRIVATE (Verdict).")
    if v.get("schema") != REVIEWED:
        out.append(
            "The schema is the scan's unreviewed draft: review schema.yaml and release again "
            "with --schema (Verdict)."
        )
    n_est, delta = v.get("rows_estimate"), (v.get("delta") or {}).get("budget")
    if n_est and delta and delta > 1.0 / (10.0 * n_est):
        out.append(
            f"δ = {fmt(delta)} is large for about {fmt(n_est)} persons (DP estimate): "
            f"declare delta ≤ {fmt(1.0 / (10.0 * n_est))} in the schema (Ledger)."
        )
    empty = empty_columns(report["ledger"].get("domains", []))
    if empty:
        out.append(f"{empty_columns_sentence(empty)} (Ledger)")
    blank = report["ledger"].get("blank_shares") or {}
    if blank:
        out.append(f"{blank_shares_sentence(blank)} (Ledger)")
    fl = report["leakage"]["flagged_rows"]["count"]
    if fl:
        out.append(f"{fl} synthetic row(s) flagged by the leakage check (Leakage).")
    nb = report["bias"].get("flagged_groups", 0)
    if nb:
        out.append(f"{nb} protected group(s) outside the bias tolerances (Bias).")
    out += report["diversity"].get("warnings", [])[:2]
    moved = [
        (r["column"], m) for r in report["fidelity"]["columns"] for m in r.get("moved_values", [])
    ]
    moved.sort(key=lambda cm: -abs(cm[1]["share_synthetic"] - cm[1]["share_real"]))
    for col, m in moved[:3]:
        out.append(
            f"{col}: the share of {m['value']} moved from {pct(m['share_real'], 1)} of real "
            f"rows to {pct(m['share_synthetic'], 1)} of synthetic rows (Fidelity)."
        )
    if len(moved) > 3:
        out.append(f"{len(moved) - 3} more value(s) moved by over 2 points (Fidelity).")
    cols = [r for r in report["fidelity"]["columns"] if r.get("tvd") is not None]
    if cols:
        worst = max(cols, key=lambda r: r["tvd"])
        if worst["tvd"] >= 0.1:
            out.append(
                f"Largest column difference: {worst['column']} (TVD "
                f"{fmt(worst['tvd'], 2)}) (Fidelity)."
            )
    gap = report["fidelity"]["tstr"].get("gap")
    if gap is not None and gap > 0.05:
        out.append(
            f"Models trained on the synthetic data lose {fmt(gap, 2)} AUC against models "
            "trained on real data (Fidelity)."
        )
    return out


def build_report(
    *,
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema,
    leakage: dict[str, Any],
    dcr_train: np.ndarray | None = None,
    dcr_holdout: np.ndarray | None = None,
    model: dict[str, Any] | None = None,
    scan: dict[str, Any] | None = None,
    released: bool,
    holdout: pd.DataFrame | None = None,
    provenance: dict[str, Any] | None = None,
    codecs: dict[str, dict[str, Any]] | None = None,
    dp_sample: pd.DataFrame | None = None,
    schema_reviewed: bool | None = None,
    scan_note: str | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The report as a JSON-ready dict (one key per section) and base64 PNG figures by id.

    ``provenance`` (:mod:`synth.provenance`, given by a release) becomes the ``provenance``
    section; without it the section says none was recorded. ``dp_sample`` (the model's own
    sample before any filter: DP post-processing) or ``codecs`` (the fitted model's, by
    column: :func:`model_codecs`) give numeric bins with DP or public edges, shown as
    values; without them numbers are binned at real quantiles and labelled by rank.

    ``schema_reviewed``: whether ``schema`` is the steward's (default: when no ``scan`` is
    given). With a reviewed schema, ``scan`` is evidence: its findings fill the PII section
    and its draft is compared with ``schema``, column by column (``scan_note`` says where
    the scan came from)."""
    start = time.perf_counter()
    scrub = Scrubber.from_tables(schema, [train, holdout])
    cols, skipped = prepare(train, synthetic, schema, holdout, codecs, dp_sample)
    t_prepared = time.perf_counter()
    for c in cols:
        c.labels = [scrub.text(x) for x in c.labels]
    # the number of training rows is private: thresholds use the model's DP estimate (or,
    # with no model, the table's own size, never printed)
    rows_estimate = (model or {}).get("rows_estimate")
    rows_ref = int(rows_estimate or len(train))
    reviewed = scan is None if schema_reviewed is None else schema_reviewed
    hashes: dict[str, np.ndarray] = {}  # row hashes by part, for two sections

    report: dict[str, Any] = {
        "meta": {
            "report_version": REPORT_VERSION,
            "dataset": schema.dataset.name,
            "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "tool_version": _tool_version(),
            "rows": {"training_estimate": rows_estimate, "synthetic": len(synthetic)},
            "internal": INTERNAL_NOTE,
        },
        "verdict": governance.verdict(
            leakage, model, released, len(synthetic), scan, reviewed=reviewed
        ),
        "pii_scan": governance.pii_scan(schema, scan, model, [str(c) for c in synthetic.columns]),
        "ledger": governance.ledger(model, [c.name for c in schema.modelled]),
        "leakage": governance.leakage(leakage, dcr_train, dcr_holdout, _exact_copies(cols, hashes)),
        "fidelity": _fidelity(cols, skipped, schema, holdout is not None),
        "bias": bias(cols, schema, rows_ref),
        "diversity": diversity(cols, hashes),
        "provenance": governance.provenance(provenance),
    }
    if reviewed and scan is not None:
        report["pii_scan"]["review"] = _review(scan, schema, scan_note)
    report["limits"] = limits(report, cols, rows_ref, estimated=rows_estimate is not None)
    fid = report["fidelity"]
    report["verdict"]["attention"] = _attention(report)
    report["verdict"]["remedies"] = remedies(report["leakage"], model)
    report["verdict"]["headline"] = {
        "mean_tvd": fid["marginals"]["mean_tvd"]["1-way"],
        "tstr_auc": fid["tstr"].get("tstr_auc"),
        "trtr_auc": fid["tstr"].get("trtr_auc"),
    }

    t_measured = time.perf_counter()
    figures: dict[str, str] = {}
    tvd = {r["column"]: r["tvd"] for r in fid["columns"]}
    if cols:
        shown, note = _panels(cols, tvd)
        fid["panels_note"] = note
        figures["marginals"] = figs.marginals_figure(shown, tvd)
    assoc = fid["marginals"]["association"]
    if len(cols) >= 2:
        figures["association"] = figs.association_figure(assoc["columns"], assoc["difference"])
    gate = figs.gate_figure(report["leakage"]["metrics"])
    if gate:
        figures["gate"] = gate
    if dcr_train is not None and len(dcr_train):
        figures["dcr"] = figs.dcr_figure(dcr_train, dcr_holdout)
    b = figs.bias_figure(report["bias"]["attributes"])
    if b:
        figures["bias"] = b
    where = {
        "marginals": "fidelity",
        "association": "fidelity",
        "gate": "leakage",
        "dcr": "leakage",
        "bias": "bias",
    }
    for key in SECTION_KEYS:
        report[key]["figures"] = [f for f in figures if where[f] == key]

    end = time.perf_counter()
    report["meta"]["build_seconds"] = end - start
    report["meta"]["timings"] = {
        "prepare": t_prepared - start,
        "measure": t_measured - t_prepared,
        "tstr": fid["tstr"].get("seconds"),
        "figures": end - t_measured,
    }
    report = scrub.tree(clean(report))
    report["meta"]["withheld_strings"] = scrub.hits
    return report, figures


def write_report(out_dir: Path, report: dict[str, Any], figures: dict[str, str]) -> None:
    """Write ``report.json`` and ``report.html`` into ``out_dir``, each atomically."""
    out_dir = Path(out_dir)
    text = json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False)
    atomic_write_text(out_dir / "report.json", text + "\n")
    atomic_write_text(out_dir / "report.html", render_html(report, figures))


def _safe_tstr(cols: list[Any], target: str | None, has_holdout: bool) -> dict[str, Any]:
    """TSTR must never sink the whole report: a failure is reported, not raised."""
    try:
        return tstr(cols, target, has_holdout)
    except Exception as exc:  # sklearn raises many types on degenerate features
        return {
            "target": target,
            "skipped": f"the classifier could not be fitted ({type(exc).__name__})",
        }


def write_check_report(
    out_dir: Path,
    *,
    leak: Any,
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: Schema,
    model: dict[str, Any] | None = None,
    scan: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    codecs: dict[str, dict[str, Any]] | None = None,
    dp_sample: pd.DataFrame | None = None,
    schema_reviewed: bool | None = None,
    scan_note: str | None = None,
) -> None:
    """Report a leakage check (a :class:`~privacy.leakage.LeakageResult`): the verdict is
    the gate's, the distance plot its per-row distances."""
    report, figures = build_report(
        train=train,
        synthetic=synthetic,
        schema=schema,
        leakage=leak.to_dict(),
        dcr_train=leak.dcr_train,
        dcr_holdout=leak.dcr_holdout,
        model=model,
        scan=scan,
        released=bool(leak.passed),
        holdout=holdout,
        provenance=provenance,
        codecs=codecs,
        dp_sample=dp_sample,
        schema_reviewed=schema_reviewed,
        scan_note=scan_note,
    )
    write_report(out_dir, report, figures)

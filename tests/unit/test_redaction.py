"""Free-text redaction: the fast path gives Presidio's own spans and scores, faster."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from presidio_analyzer import BatchAnalyzerEngine

from privacy.nlp import build_analyzer
from privacy.redaction import (
    GATES,
    REDACT_ENTITIES,
    REDACT_MIN_SCORE,
    Span,
    _plan,
    analyze_fast,
    analyze_texts,
)
from privacy.stripping import redact_texts

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from scanner_notes import notes_with_truth, span_recall  # noqa: E402

HARD = [
    "Visit http://example.org/portal or www.clinic-example.com for results.",
    "Server 10.0.0.12 and fe80::1ff:fe23:4567:890a logged the upload.",
    "Card 4111 1111 1111 1111 on file; IBAN DE89 3704 0044 0532 0130 00.",
    "NPI 1234567893 prescriber; MRN: 12345678; zip 02139.",
    "Amoxicillin 500 mg PO TID; Hb 12.1 g/dL; 3 Main findings.",
    "Contact john.doe@example.com or +44 20 7946 0958; SSN 078-05-1120.",
    "Born 14 March 1961, admitted March 3rd, 2023, seen 2023-03-04T10:15:00Z.",
    "Lives at 12 N. Main St., Springfield, IL 62701 with Dr. Alvarez.",
    "",
    "no digits, no names, nothing at all",
]


@pytest.fixture(scope="module")
def notes(sample_path: Path) -> tuple[list[str], list[list[tuple[int, int, str]]]]:
    df = pd.read_csv(sample_path, dtype=str, keep_default_na=False, na_values=[""]).iloc[:600]
    texts, truth = notes_with_truth(df, augment=True)
    return texts + HARD, truth + [[] for _ in HARD]


def _plain(texts: list[str], kind: str = "blank") -> list[set[Span]]:
    batch = BatchAnalyzerEngine(analyzer_engine=build_analyzer(kind))
    res = batch.analyze_iterator(
        texts, language="en", entities=REDACT_ENTITIES, score_threshold=REDACT_MIN_SCORE
    )
    return [{Span(r.start, r.end, r.entity_type, float(r.score)) for r in rs} for rs in res]


def test_fast_path_equals_presidio_batch(notes) -> None:
    """Without NER the fast path is Presidio's batch analysis, span for span."""
    texts, _ = notes
    fast = [set(s) for s in analyze_fast(texts, "blank")]
    plain = _plain(texts)
    assert sum(len(s) for s in plain) > 3 * len(texts) // 2
    diff = [i for i, (a, b) in enumerate(zip(fast, plain, strict=True)) if a != b]
    assert diff == []


def test_gates_are_necessary(notes) -> None:
    """A text a recognizer's gate rejects gives no result from that recognizer."""
    texts, _ = notes
    plan = _plan("blank")
    gated = [(r, g) for r, g in zip(plan.recognizers, plan.gates, strict=True) if g is not None]
    assert {r.name for r, _ in gated} <= set(GATES)
    assert len(gated) >= 8
    for text in texts:
        for rec, gate in gated:
            if gate.search(text) is None:
                assert rec.analyze(text, REDACT_ENTITIES, None) == [], rec.name


def test_recall_on_sample_notes_incl_addresses(notes) -> None:
    texts, truth = notes
    spans = analyze_texts(texts, n_jobs=1)
    rec = span_recall(truth, [[(s.start, s.end) for s in x] for x in spans])
    for ent in ("PERSON", "DATE_OF_BIRTH", "PHONE_NUMBER", "EMAIL_ADDRESS", "MRN", "US_SSN"):
        assert rec[ent]["recall"] == 1.0, ent
    assert rec["STREET_ADDRESS"]["recall"] >= 0.99
    assert rec["_extra_spans_outside_truth"]["spans"] <= len(HARD) * 3


# timing-dependent: the speed figures come from benchmarks/scanner_bench.py (BENCHMARKS.md);
# this sanity check runs with -m slow, so a busy CI box cannot make the default suite flaky
@pytest.mark.slow
def test_fast_path_is_faster(notes) -> None:
    texts, _ = notes
    analyze_fast(texts[:20])
    t0 = time.perf_counter()
    analyze_fast(texts)
    fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    _plain(texts)
    plain = time.perf_counter() - t0
    assert plain / fast > 1.3


def test_redacted_notes_keep_no_identifier(sample_path: Path) -> None:
    df = pd.read_csv(sample_path, dtype=str, keep_default_na=False, na_values=[""]).iloc[:200]
    texts, truth = notes_with_truth(df, augment=True)
    out, counts = redact_texts(list(texts))
    assert counts.get("STREET_ADDRESS", 0) >= len(texts)
    for text, red, spans in zip(texts, out, truth, strict=True):
        for s, e, _ in spans:
            assert text[s:e] not in red

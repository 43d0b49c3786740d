"""The free-text benchmark: its corpus and metric, and our recall on a small draw of it.

The full figures (3,000 notes, Presidio + spaCy small as the peer, texts/s on one core)
come from ``benchmarks/pii_text_bench.py`` and the slow test at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from pii_text_bench import (  # noqa: E402
    HELDOUT_TEMPLATES,
    NAME_LOCALES,
    Corpus,
    ours,
    run,
    score,
)

from privacy.recognizers.names import _LOCALES  # noqa: E402

IDS = ("EMAIL_ADDRESS", "US_SSN", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS")


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(400, 7)


def test_names_come_from_locales_the_gazetteer_does_not_use() -> None:
    assert not set(NAME_LOCALES) & set(_LOCALES)


def test_truth_spans_are_the_inserted_values(corpus: Corpus) -> None:
    kinds = {t for gt in corpus.truth for _, _, t in gt}
    assert {"PERSON", "PHONE_NUMBER", "STREET_ADDRESS", "US_DRIVER_LICENSE", *IDS} <= kinds
    for text, gt in zip(corpus.texts, corpus.truth, strict=True):
        for s, e, t in gt:
            value = text[s:e]
            assert value.strip() == value and value
            if t == "PERSON":
                assert value[0].isupper()


def test_metric_scores_broken_outputs_badly(corpus: Corpus) -> None:
    texts, truth = corpus.texts, corpus.truth
    perfect = score(texts, truth, [[(s, e) for s, e, _ in gt] for gt in truth])
    assert perfect["_overall"]["recall"] == 1.0 and perfect["_over_redaction"]["share"] == 0
    nothing = score(texts, truth, [[] for _ in texts])
    assert nothing["_overall"]["recall"] == 0.0
    # spans that miss half of each value, or are shifted off it, do not count as found
    half = score(texts, truth, [[(s, (s + e) // 2) for s, e, _ in gt] for gt in truth])
    assert half["_overall"]["recall"] == 0.0
    shifted = score(texts, truth, [[(e, e + (e - s)) for s, e, _ in gt] for gt in truth])
    assert shifted["_overall"]["recall"] < 0.2
    # redacting everything finds everything and destroys every other word
    everything = score(texts, truth, [[(0, len(t))] for t in texts])
    assert everything["_overall"]["recall"] == 1.0
    assert everything["_over_redaction"]["share"] == 1.0


def test_recall_and_over_redaction_on_a_small_draw(corpus: Corpus) -> None:
    res = score(corpus.texts, corpus.truth, ours(corpus.texts))
    assert res["PERSON"]["recall"] >= 0.9
    assert res["PHONE_NUMBER"]["recall"] >= 0.95
    for ent in IDS:
        assert res[ent]["recall"] >= 0.97, ent
    assert res["_overall"]["recall"] >= 0.9
    assert res["_over_redaction"]["share"] <= 0.03


def test_recall_on_the_held_out_templates() -> None:
    corpus = Corpus(400, 11, HELDOUT_TEMPLATES)
    res = score(corpus.texts, corpus.truth, ours(corpus.texts))
    assert res["PERSON"]["recall"] >= 0.85
    assert res["_overall"]["recall"] >= 0.9
    assert res["_over_redaction"]["share"] <= 0.03


@pytest.mark.slow
def test_targets_and_speed_against_presidio_small() -> None:
    res = run(3000, 19, with_peer=True)
    mine = res["ours"]
    assert mine["PERSON"]["recall"] >= 0.9
    assert mine["PHONE_NUMBER"]["recall"] >= 0.95
    for ent in IDS:
        assert mine[ent]["recall"] >= 0.97, ent
    assert mine["_overall"]["recall"] >= 0.85
    assert mine["_over_redaction"]["share"] <= 0.03
    assert res["speed_ratio_ours_over_peer"] >= 2.0

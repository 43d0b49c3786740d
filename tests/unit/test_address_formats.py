"""Street addresses beyond the US: column values and prose, several countries, any case."""

from __future__ import annotations

import pytest
from faker import Faker

from privacy.recognizers.address import GATE, StreetAddressRecognizer, address_share, is_address

#: (locale, share of Faker street addresses that must be recognised as whole values)
LOCALES = [
    ("en_US", 0.98),
    ("en_GB", 0.98),
    ("en_CA", 0.98),
    ("en_AU", 0.75),
    ("en_IE", 0.98),
    ("en_NZ", 0.95),
    ("de_DE", 0.95),
    ("de_AT", 0.95),
    ("fr_FR", 0.95),
    ("nl_NL", 0.95),
    ("es_ES", 0.95),
    ("it_IT", 0.95),
]
#: written by hand, none of them from Faker: formats a held-out table may use
VALUES = [
    "668 Blanda Parade Unit 56",
    "12 blanda parade",
    "FLAT 3, 27 VICTORIA QUAY",
    "Flat 2, Kings Viaduct",
    "Apartment 4 19 Harbour Well",
    "3/45 Ocean Esplanade",
    "221B Baker Street",
    "8, rue de la Paix",
    "14 bis avenue Victor Hugo",
    "Karl-Marx-Str. 12a",
    "Berliner Allee 4-6",
    "Keizersgracht 123",
    "Via Roma 12",
    "Calle Mayor, 5 Puerta 3",
    "PO Box 4021",
    "77 Old Mill Road Suite 200",
]
NOT_ADDRESSES = [
    "500 mg twice daily",
    "Acute bronchitis (disorder)",
    "2 doses by the main road",
    "Kelly Berry",
    "3 Main findings",
    "Mr.",
    "E11.9",
    "Massachusetts",
    "2019-04-01",
    "Waltham  Massachusetts  US",
]


@pytest.mark.parametrize(("locale", "floor"), LOCALES)
def test_faker_street_addresses_are_address_values(locale: str, floor: float) -> None:
    fake = Faker(locale)
    fake.seed_instance(11)
    values = [" ".join(fake.street_address().split()) for _ in range(200)]
    assert address_share(values) >= floor


@pytest.mark.parametrize("value", VALUES)
def test_hand_written_addresses(value: str) -> None:
    assert is_address(value)


@pytest.mark.parametrize("value", NOT_ADDRESSES)
def test_values_that_are_not_addresses(value: str) -> None:
    assert not is_address(value)


def _found(text: str) -> list[str]:
    rec = StreetAddressRecognizer()
    return [text[r.start : r.end] for r in rec.analyze(text, ["STREET_ADDRESS"]) if r.score >= 0.4]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("She moved to 668 Blanda Parade Unit 56 last May.", "668 Blanda Parade Unit 56"),
        ("Lives at 12 high street with his wife.", "12 high street"),
        (
            "Address: Flat 3, 27 Victoria Quay, Leeds, LS1 4AB.",
            "Flat 3, 27 Victoria Quay, Leeds, LS1 4AB",
        ),
        ("Wohnhaft in der Hauptstraße 5, 80331 München.", "Hauptstraße 5, 80331 München"),
        ("Domicile : 8, rue de la Paix, 75002 Paris.", "8, rue de la Paix, 75002 Paris"),
        ("Residente in Via Roma 12, Milano.", "Via Roma 12, Milano"),
        ("Mailing address PO Box 4021, Wellington 6140.", "PO Box 4021, Wellington 6140"),
    ],
)
def test_addresses_in_prose(text: str, address: str) -> None:
    assert _found(text) == [address]
    assert GATE.search(text)


@pytest.mark.parametrize(
    "text",
    [
        "Slept 6 hours and feels well.",
        "On July 4, 2022, Franklin Branch was admitted.",
        "On 2023-05-09, Pamela Brooks was seen.",
        "Walks 3 miles a day on the trail.",
        "The 2 kids drive her to clinic.",
        "Gave 2 doses by the main road.",
        "Seen in Clinic 4 on the way to radiology.",
        "BP 132/84, HR 88; plan: 2 weeks of rest.",
        "Spring 2019: no change.",
    ],
)
def test_prose_without_addresses(text: str) -> None:
    assert _found(text) == []


@pytest.mark.parametrize(
    ("text", "entity", "code"),
    [
        ("Postcode: LA4 5XY.", "UK_POSTCODE", "LA4 5XY"),
        ("Moved to Ottawa K1A 0B1 in May.", "CA_POSTAL_CODE", "K1A 0B1"),
    ],
)
def test_postcode_recognizers_in_prose(text: str, entity: str, code: str) -> None:
    from privacy.nlp import build_analyzer

    res = build_analyzer().analyze(text, language="en", entities=[entity])
    assert [text[r.start : r.end] for r in res if r.score >= 0.4] == [code]
    none = build_analyzer().analyze(
        "Took 2 tabs at 8 am, BP 120/80.", language="en", entities=[entity]
    )
    assert [r for r in none if r.score >= 0.4] == []

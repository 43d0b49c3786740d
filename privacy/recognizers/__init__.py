"""Recognizers: Presidio's predefined ones that suit tables, plus ours (one per file).

Ours: offline e-mail validation, NPI (Luhn over 80840), names (gazetteer, titles,
initials, context words; with the ``sm`` engine also spaCy NER, registered in
:mod:`privacy.nlp`), phones with extensions and unlisted ranges, IBANs in any case,
cards of 12–19 digits, driver's licences after a cue word, towns after "lives in" or
"moved to", street addresses in prose, and the YAML pattern recognizers in this folder
(MRN, US ZIP, written dates).
"""

from __future__ import annotations

from pathlib import Path

from presidio_analyzer import RecognizerRegistry
from presidio_analyzer.predefined_recognizers import (
    DateRecognizer,
    IpRecognizer,
    UrlRecognizer,
    UsSsnRecognizer,
)

from privacy.recognizers.address import StreetAddressRecognizer
from privacy.recognizers.card import CardNumberRecognizer
from privacy.recognizers.driver_license import DriverLicenseRecognizer
from privacy.recognizers.email import OfflineEmailRecognizer
from privacy.recognizers.iban import AnyCaseIbanRecognizer
from privacy.recognizers.names import NameLexiconRecognizer
from privacy.recognizers.npi import NpiRecognizer
from privacy.recognizers.phone import FastPhoneRecognizer
from privacy.recognizers.place_context import PlaceContextRecognizer

HERE = Path(__file__).parent

#: entities the scanner asks for (NHS, driver-licence and bank-number recognizers are left
#: out: on tables they mostly fire on phone numbers and ids)
ENTITIES = [
    "PERSON",
    "US_SSN",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "URL",
    "DATE_TIME",
    "US_NPI",
    "MEDICAL_RECORD_NUMBER",
    "US_ZIP_CODE",
    "STREET_ADDRESS",
]
#: entities only free text asks for (a licence needs its cue word; places come from NER)
TEXT_ONLY_ENTITIES = ["US_DRIVER_LICENSE", "LOCATION"]


def build_registry() -> RecognizerRegistry:
    registry = RecognizerRegistry(supported_languages=["en"])
    for rec in (
        UsSsnRecognizer(),
        FastPhoneRecognizer(supported_regions=("US", "UK", "DE", "FR", "IN")),
        OfflineEmailRecognizer(),
        CardNumberRecognizer(),
        AnyCaseIbanRecognizer(),
        IpRecognizer(),
        UrlRecognizer(),
        DateRecognizer(),
        NpiRecognizer(),
        NameLexiconRecognizer(),
        StreetAddressRecognizer(),
        DriverLicenseRecognizer(),
        PlaceContextRecognizer(),
    ):
        registry.add_recognizer(rec)
    for yml in sorted(HERE.glob("*.yaml")):
        registry.add_recognizers_from_yaml(yml)
    return registry

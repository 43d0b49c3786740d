"""US National Provider Identifier: 10 digits, Luhn check over the '80840' prefix.

>>> NpiRecognizer().validate_result("1234567893")
True
>>> NpiRecognizer().validate_result("1234567890")
False
"""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


class NpiRecognizer(PatternRecognizer):
    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity="US_NPI",
            patterns=[Pattern("npi (10 digits)", r"\b[12]\d{9}\b", 0.1)],
            context=["npi", "provider", "prescriber", "physician"],
            supported_language=supported_language,
            name="NpiRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        digits = "".join(ch for ch in pattern_text if ch.isdigit())
        return len(digits) == 10 and luhn_ok("80840" + digits)

"""Payment card numbers of every length the networks issue (12–19 digits), Luhn-checked.

Presidio's card pattern wants 13–16 digits starting 1, 3, 4, 5 or 6, so 2-series
Mastercard (2221–2720), 12-digit Maestro and 19-digit Visa numbers are missed. This one
takes 12–19 digits starting 1–6, written solid or in groups split by single spaces or
hyphens; Presidio's validation (Luhn over the digits) decides, so a match scores 1.0 and
a number that fails the check is dropped.
"""

from __future__ import annotations

from presidio_analyzer import Pattern
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

PATTERN = r"\b[1-6]\d{3}(?:[- ]?\d){8,15}\b"


class CardNumberRecognizer(CreditCardRecognizer):
    def __init__(self) -> None:
        super().__init__(
            patterns=[Pattern("card number 12-19 digits (Luhn)", PATTERN, 0.3)],
            name="CardNumberRecognizer",
        )

"""One finding of one of our recognizers, tagged with the recognizer as Presidio expects."""

from __future__ import annotations

from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult


def found(
    recognizer: EntityRecognizer,
    entity: str,
    start: int,
    end: int,
    score: float,
    explanation: Any = None,
) -> RecognizerResult:
    """``text[start:end]`` is ``entity`` with ``score``, found by ``recognizer``."""
    return RecognizerResult(
        entity_type=entity,
        start=start,
        end=end,
        score=score,
        analysis_explanation=explanation,
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        },
    )

"""The engine interface: learn a distribution over integer tokens under DP, then sample."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from synth.ledger import PrivacyLedger
from synth.randomness import Randomness

#: progress callback: (what, done, total)
Progress = Callable[[str, int, int], None]


def no_progress(what: str, done: int, total: int) -> None:
    return None


class Engine(ABC):
    """A generator over a table of tokens (one int column per modelled column).

    ``fit`` must charge everything it learns from the rows to ``ledger`` and draw every
    random number from ``rand`` (secret unless a test asked for a seed); it leaves in
    :attr:`rows_estimate` a DP estimate of the number of training rows (post-processing of
    what it measured: the exact number never leaves the fit). ``state_dict`` returns
    JSON-able config plus named float arrays; nothing else is saved, so a model file holds
    no raw rows.
    """

    name: ClassVar[str]

    def __init__(self, cardinalities: list[int], **options: Any) -> None:
        self.cardinalities = list(cardinalities)
        self.options = options
        self.rows_estimate: float | None = None

    @classmethod
    def one_way_share(cls, columns: int, **options: Any) -> float:
        """The share of its budget the engine spends on each column's 1-way counts, which it
        takes from an earlier measurement when given one (:meth:`use_one_way`); 0: none."""
        return 0.0

    def use_one_way(self, given: dict[int, tuple[np.ndarray, float]]) -> None:
        """Before :meth:`fit`: earlier DP measurements of some columns' 1-way counts (by
        column index: a noisy count per token, NaN where not counted, and the noise σ),
        paid for by the caller, to take instead of measuring those columns again. An
        engine that measures no 1-way counts ignores them."""
        return None

    @abstractmethod
    def fit(
        self,
        tokens: np.ndarray,
        ledger: PrivacyLedger,
        rand: Randomness,
        progress: Progress = no_progress,
    ) -> None: ...

    @abstractmethod
    def sample(
        self,
        n: int,
        rng: np.random.Generator,
        blocked: list[list[int]] | None = None,
    ) -> np.ndarray:
        """``blocked[i]``: tokens never emitted for column i. Conditions on column values
        are applied by the synthesizer (exact rejection), not by the engines."""

    @abstractmethod
    def state_dict(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]: ...

    @abstractmethod
    def load_state_dict(self, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> None: ...

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "options": self.options}

"""The privacy ledger: every mechanism that touches real rows records its cost here.

Costs are kept as Rényi-DP curves over a fixed grid of orders, so Gaussian
mechanisms (zCDP ρ: RDP ε(α) = ρα) and DP-SGD (subsampled Gaussian, Opacus'
RDP analysis) compose by adding curves. The total is converted once to
(ε, δ) with Opacus' conversion; additive δ terms (Gaussian partition
selection) are summed on top.

>>> led = PrivacyLedger(epsilon=1.0, delta=1e-6)
>>> led.charge_gaussian("count", "test", sigma=10.0)
>>> round(led.spent()[0], 3) < 1.0
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from synth.errors import BudgetError

ORDERS: tuple[float, ...] = tuple(
    [1 + x / 10.0 for x in range(1, 100)] + list(range(11, 64)) + [80, 100, 128, 256, 512, 1024]
)

#: share of the δ budget reserved for partition selection (the rest converts RDP → (ε, δ))
PARTITION_DELTA_SHARE = 0.1

#: the neighbouring relation every mechanism is calibrated for
NEIGHBOURING = "add/remove one"
#: what reads real rows outside the guarantee (release.json and the report list them)
NOT_COVERED = [
    "the leakage gate's decision to publish synthetic.csv or not (re-running until it "
    "passes leaks more)",
    "--filter-flagged, which drops synthetic rows by their distance to real rows",
    "the report's comparisons with the real rows (fidelity, bias, leakage): internal "
    "evidence, not for publication",
    "an unreviewed draft schema: column types, roles, actions, formats and the privacy "
    "unit read from the rows by the scan, without DP",
]


@dataclass(frozen=True)
class Charge:
    """One mechanism's cost. ``kind`` is 'gaussian' (zCDP ρ) or 'dpsgd'."""

    kind: str
    purpose: str
    target: str
    rho: float = 0.0
    delta: float = 0.0
    sample_rate: float = 0.0
    noise_multiplier: float = 0.0
    steps: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def rdp(self, orders: np.ndarray) -> np.ndarray:
        if self.kind in ("gaussian", "zcdp"):
            return self.rho * orders
        if self.kind == "dpsgd":
            from opacus.accountants.analysis.rdp import compute_rdp  # torch: load on use

            return np.asarray(
                compute_rdp(
                    q=self.sample_rate,
                    noise_multiplier=self.noise_multiplier,
                    steps=self.steps,
                    orders=list(orders),
                ),
                dtype=float,
            )
        raise ValueError(f"unknown charge kind {self.kind!r}")


def rdp_to_dp(rdp: np.ndarray, delta: float) -> float:
    from opacus.accountants.analysis.rdp import get_privacy_spent  # torch: load on use

    eps, _ = get_privacy_spent(orders=list(ORDERS), rdp=list(rdp), delta=delta)
    return float(eps)


def zcdp_rho_for(epsilon: float, delta: float) -> float:
    """Largest ρ whose zCDP → (ε, δ) conversion (ε = ρ + 2√(ρ ln 1/δ)) stays within ε."""
    log_term = math.log(1.0 / delta)
    root = -math.sqrt(log_term) + math.sqrt(log_term + epsilon)
    return root * root


class PrivacyLedger:
    """Composes the costs of every mechanism and refuses to exceed the budget.

    ``unit`` names the column that identifies a person (each person bounded to
    ``rows_per_unit`` rows before any mechanism runs, see :meth:`bound_rows`), or None:
    then the unit is one row. Every mechanism is calibrated for add/remove-one neighbours
    of that unit (a whole person), so the number of persons is itself private.
    """

    def __init__(
        self, epsilon: float, delta: float, *, unit: str | None = None, rows_per_unit: int = 1
    ) -> None:
        check_budget(epsilon, delta)
        self.epsilon = float(epsilon)
        self.delta = float(delta)
        self.unit = unit
        self.rows_per_unit = 1
        self.charges: list[Charge] = []
        self.bound_rows(rows_per_unit)

    def bound_rows(self, k: int) -> None:
        """Each person holds at most ``k`` rows from now on: every later charge made for a
        mechanism calibrated per row is multiplied by k² (group privacy of zCDP, exact
        for a Gaussian mechanism: k rows move a sum by at most k times one row's
        sensitivity; the exponential mechanism's score likewise).

        >>> led = PrivacyLedger(1.0, 1e-6, unit="patient")
        >>> led.bound_rows(3)
        >>> led.charge_gaussian("count", "rows", sigma=30.0)
        >>> round(led.charges[0].rho * 2 * 30.0**2, 6)
        9.0
        """
        if not isinstance(k, int) or k < 1:
            raise BudgetError(f"rows per person must be a positive integer, got {k}")
        if k > 1 and self.unit is None:
            raise BudgetError("rows per person above 1 needs a privacy unit (a person column)")
        self.rows_per_unit = k

    def per_row(self, rho: float) -> float:
        """The ρ a per-row-calibrated mechanism may use so that it costs ``rho`` per person."""
        return rho / self.rows_per_unit**2

    def guarantee(self) -> dict[str, Any]:
        """The privacy unit, the neighbouring relation and the sentence they make."""
        eps, dlt = f"{self.epsilon:g}", f"{self.delta:.0e}"
        if self.unit:
            rows = "one row" if self.rows_per_unit == 1 else f"up to {self.rows_per_unit} rows"
            who = f"per person (column '{self.unit}', {rows} kept per person)"
            whose, count = "any one person's data", "persons"
        else:
            who, whose, count = "per row", "any one row", "rows"
        statement = (
            f"({eps}, {dlt})-differential privacy {who}, under add/remove-one neighbours: "
            f"whether {whose} is in the table or not changes the probability of any output "
            f"of the fit by at most a factor e^{eps}, except with probability {dlt}. The "
            f"number of {count} is private too."
        )
        if not self.unit:
            statement += (
                " No person column is declared: a person with several rows is protected "
                "only row by row."
            )
        return {
            "unit": "person" if self.unit else "row",
            "unit_column": self.unit,
            "unit_words": (
                f"one person (column '{self.unit}'), at most {self.rows_per_unit} "
                f"row{'s' if self.rows_per_unit > 1 else ''} each"
                if self.unit
                else "one row: no person column is declared, so a person with several rows "
                "is protected only row by row"
            ),
            "rows_per_person": self.rows_per_unit if self.unit else None,
            "neighbouring": NEIGHBOURING,
            "statement": statement,
            "not_covered": NOT_COVERED,
        }

    # -- budget split -------------------------------------------------------------------
    @property
    def conversion_delta(self) -> float:
        return self.delta * (1.0 - PARTITION_DELTA_SHARE)

    @property
    def partition_delta(self) -> float:
        return self.delta * PARTITION_DELTA_SHARE

    # -- recording ------------------------------------------------------------------------
    def _record(self, charge: Charge, *, enforce: bool = True) -> None:
        trial = [*self.charges, charge]
        if enforce:
            eps, dlt = _compose(trial, self.conversion_delta)
            if eps > self.epsilon * (1 + 1e-9) or dlt > self.delta * (1 + 1e-9):
                raise BudgetError(
                    f"charging '{charge.purpose}' for {charge.target} would spend ε={eps:.4g}, "
                    f"δ={dlt:.3g}, beyond the budget ε={self.epsilon:g}, δ={self.delta:g}"
                )
        self.charges.append(charge)

    def charge_gaussian(
        self,
        purpose: str,
        target: str,
        *,
        sigma: float,
        sensitivity: float = 1.0,
        delta: float = 0.0,
        details: dict[str, Any] | None = None,
        per_person: bool = False,
    ) -> None:
        """A Gaussian mechanism of noise ``sigma`` and L2 ``sensitivity`` for one row
        (for one person with ``per_person``: then it is not multiplied by the rows each
        person may hold)."""
        k = 1 if per_person else self.rows_per_unit
        rho = ((k * sensitivity) ** 2) / (2.0 * sigma**2)
        self._record(
            Charge("gaussian", purpose, target, rho=rho, delta=delta, details=_rows(details, k))
        )

    def charge_person_counts(
        self,
        purpose: str,
        target: str,
        *,
        sigma: float,
        l2: float,
        delta: float = 0.0,
        details: dict[str, Any] | None = None,
    ) -> None:
        """A Gaussian mechanism over counts in which one person, all of their rows at once,
        moves the vector by at most ``l2`` (L2 norm): e.g. each person counted at most once
        per value in at most k values (l2 = √k), or with weights of norm 1 over its values
        (l2 = 1; :func:`synth.contributions.person_counts`). Charged as it is: ρ = l2²/(2σ²),
        not multiplied by the rows each person may hold, which per-row charges are.

        >>> led = PrivacyLedger(1.0, 1e-6, unit="patient", rows_per_unit=4)
        >>> led.charge_person_counts("categories", "dx", sigma=100.0, l2=2.0)
        >>> led.charge_gaussian("categories", "dx", sigma=100.0)  # row counts: × 4²
        >>> [round(c.rho * 2 * 100.0**2, 6) for c in led.charges]
        [4.0, 16.0]
        >>> led.charges[0].details["sensitivity"]
        'per person, L2 2'
        """
        if not l2 > 0:
            raise BudgetError(f"a person's L2 contribution must be positive, got {l2}")
        self._record(
            Charge(
                "gaussian",
                purpose,
                target,
                rho=l2**2 / (2.0 * sigma**2),
                delta=delta,
                details={**(details or {}), "sensitivity": f"per person, L2 {l2:g}"},
            )
        )

    def charge_zcdp(
        self, purpose: str, target: str, *, rho: float, details: dict[str, Any] | None = None
    ) -> None:
        """A mechanism known to be ρ-zCDP for one row (e.g. the exponential mechanism:
        ρ = ε²/8); a person of k rows costs k²ρ."""
        k = self.rows_per_unit
        self._record(Charge("zcdp", purpose, target, rho=rho * k * k, details=_rows(details, k)))

    def charge_dpsgd(
        self,
        target: str,
        *,
        sample_rate: float,
        noise_multiplier: float,
        steps: int,
        details: dict[str, Any] | None = None,
    ) -> None:
        self._record(
            Charge(
                "dpsgd",
                "DP-SGD training",
                target,
                sample_rate=sample_rate,
                noise_multiplier=noise_multiplier,
                steps=steps,
                details=details or {},
            )
        )

    # -- reading --------------------------------------------------------------------------
    def spent(self) -> tuple[float, float]:
        """Total (ε, δ) spent so far."""
        return _compose(self.charges, self.conversion_delta)

    def epsilon_with(self, extra: Charge) -> float:
        return _compose([*self.charges, extra], self.conversion_delta)[0]

    def rows(self) -> list[dict[str, Any]]:
        """Each charge with its stand-alone ε at the conversion δ (for reports)."""
        out = []
        for c in self.charges:
            alone = rdp_to_dp(c.rdp(np.asarray(ORDERS)), self.conversion_delta)
            row = asdict(c)
            row["epsilon_alone"] = alone
            out.append(row)
        return out

    def state_dict(self) -> dict[str, Any]:
        eps, dlt = self.spent()
        return {
            "budget": {"epsilon": self.epsilon, "delta": self.delta},
            "spent": {"epsilon": eps, "delta": dlt},
            "accounting": "RDP composition (Opacus analysis), additive δ for partition selection",
            "privacy": self.guarantee(),
            "conversion_delta": self.conversion_delta,
            "charges": self.rows(),
        }

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> PrivacyLedger:
        privacy = state.get("privacy") or {}
        unit = privacy.get("unit_column")
        k = int(privacy.get("rows_per_person") or 1) if unit else 1
        led = cls(state["budget"]["epsilon"], state["budget"]["delta"], unit=unit, rows_per_unit=k)
        for row in state["charges"]:
            row = {k: v for k, v in row.items() if k != "epsilon_alone"}
            led.charges.append(Charge(**row))
        return led


def _rows(details: dict[str, Any] | None, k: int) -> dict[str, Any]:
    """The charge's details, with the rows per person it was multiplied for (when > 1)."""
    out = dict(details or {})
    if k > 1:
        out["rows_per_person"] = k
    return out


def _compose(charges: list[Charge], conversion_delta: float) -> tuple[float, float]:
    orders = np.asarray(ORDERS)
    if not charges:
        return 0.0, 0.0
    rdp = np.zeros_like(orders)
    for c in charges:
        rdp = rdp + c.rdp(orders)
    additive = sum(c.delta for c in charges)
    if not np.any(rdp > 0):
        return 0.0, additive
    return rdp_to_dp(rdp, conversion_delta), conversion_delta + additive


def check_budget(epsilon: float, delta: float) -> None:
    if not (isinstance(epsilon, int | float) and math.isfinite(epsilon)) or epsilon <= 0:
        raise BudgetError(f"epsilon must be a positive number, got {epsilon}")
    if epsilon > 100:
        raise BudgetError(f"epsilon={epsilon:g} gives no meaningful protection (limit 100)")
    if not (isinstance(delta, int | float) and math.isfinite(delta)) or not 0 < delta < 1e-2:
        raise BudgetError(f"delta must be in (0, 0.01), got {delta:g}")


def calibrate_noise(
    ledger: PrivacyLedger, *, sample_rate: float, steps: int, target: str = "generator"
) -> float:
    """Smallest DP-SGD noise multiplier that keeps the ledger within budget (bisection)."""

    def eps_for(sigma: float) -> float:
        return ledger.epsilon_with(
            Charge(
                "dpsgd",
                "DP-SGD training",
                target,
                sample_rate=sample_rate,
                noise_multiplier=sigma,
                steps=steps,
            )
        )

    lo, hi = 0.3, 1.0
    while eps_for(hi) > ledger.epsilon:
        hi *= 2
        if hi > 1e4:
            raise BudgetError(
                f"no DP-SGD noise level meets ε={ledger.epsilon:g} after preprocessing spent "
                f"ε={ledger.spent()[0]:.3g}; raise epsilon or declare more public domains"
            )
    return _bisect(
        lambda sigma: eps_for(sigma) <= ledger.epsilon,
        good=hi,
        bad=lo,
        close=lambda good, bad: abs(good - bad) < 1e-3,
        rounds=40,
    )


def calibrate_rho(ledger: PrivacyLedger) -> float:
    """Largest zCDP ρ per row that can still be spent without exceeding the budget
    (bisection); a person's k rows make it k²ρ in the ledger."""

    k2 = ledger.rows_per_unit**2

    def eps_for(rho: float) -> float:
        return ledger.epsilon_with(Charge("zcdp", "trial", "trial", rho=rho * k2))

    if eps_for(1e-9) > ledger.epsilon:
        raise BudgetError(
            f"preprocessing already spent the budget ε={ledger.epsilon:g}; raise epsilon or "
            "declare more public domains"
        )
    rho = _bisect(
        lambda rho: eps_for(rho) <= ledger.epsilon,
        good=0.0,
        bad=zcdp_rho_for(ledger.epsilon, ledger.conversion_delta) * 4,
        close=lambda good, bad: abs(bad - good) < 1e-6 * max(bad, 1e-12),
        rounds=60,
    )
    return rho * (1 - 1e-9)


def _bisect(
    ok: Callable[[float], bool],
    *,
    good: float,
    bad: float,
    close: Callable[[float, float], bool],
    rounds: int,
) -> float:
    """Narrow [good, bad] around the boundary of a monotone ``ok``; return the ok end."""
    for _ in range(rounds):
        mid = (good + bad) / 2
        if ok(mid):
            good = mid
        else:
            bad = mid
        if close(good, bad):
            break
    return good

"""Small helpers shared by the report modules: JSON cleaning and number formatting."""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

import numpy as np

#: a category or group with fewer expected real rows than this is dominated by DP noise
SMALL_GROUP_ROWS = 50
#: tolerances of the bias section (absolute, in share points)
SHARE_TOLERANCE = 0.05
RATE_TOLERANCE = 0.10
#: synthetic std below this share of the real std reads as regression to the mean
STD_RATIO_WARN = 0.8
#: synthetic std above this share of the real std reads as inflated spread (noise)
STD_RATIO_HIGH = 1.25
#: rare categories: real share below this
RARE_SHARE = 0.01
#: rare-category coverage below this share reads as lost diversity
RARE_COVERAGE_WARN = 0.5
#: fixed seed for everything random in the report (triples, model fits)
SEED = 0


def clean(value: Any) -> Any:
    """Make ``value`` JSON-serialisable: numpy → Python, floats rounded, NaN/inf → None."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [clean(v) for v in value.tolist()]
    if isinstance(value, Enum):
        return clean(value.value)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round_float(float(value))
    if value is None or isinstance(value, str):
        return value
    return str(value)


def round_float(x: float) -> float | None:
    if not math.isfinite(x):
        return None
    if x == 0 or abs(x) >= 0.01:
        return round(x, 4)
    return float(f"{x:.3g}")


def num(x: Any) -> float | None:
    """A finite float or None."""
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def fmt(x: Any, digits: int = 3) -> str:
    """Compact human formatting: '—' for missing, thousands separators for large numbers."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    f = num(x)
    if f is None:
        return str(x)
    if f != 0 and (abs(f) < 1e-3 or abs(f) >= 1e6):
        return f"{f:.{digits}g}"
    if abs(f) >= 100:
        return f"{f:.0f}" if abs(f) >= 1000 else f"{f:.1f}".rstrip("0").rstrip(".")
    return (
        f"{f:.{digits}g}" if abs(f) < 1 else f"{f:.{max(digits - 1, 1)}f}".rstrip("0").rstrip(".")
    )


def fixed(x: Any, decimals: int = 3) -> str:
    """Fixed decimals (TVD, AUC, ratios), so columns of numbers line up."""
    f = num(x)
    return "—" if f is None else f"{f:.{decimals}f}"


def pct(x: Any, digits: int = 1) -> str:
    """A share as a percentage with ``digits`` decimals; a non-zero share that would round
    to 0% gets two significant digits, and one short of 1 that would round to 100% reads
    as "just under", so 10 of 2,241 rows never shows as "0%".

    >>> pct(0.1234), pct(10 / 2241), pct(10 / 2241, 0), pct(0.00004), pct(-0.0004)
    ('12.3%', '0.4%', '0.45%', '0.004%', '-0.04%')
    >>> pct(0.0), pct(1.0), pct(0.99999), pct(0.996, 0), pct(1e-9), pct(None)
    ('0.0%', '100.0%', '>99.9%', '>99%', '<0.001%', '—')
    """
    f = num(x)
    if f is None:
        return "—"
    p = 100 * f
    text = f"{p:.{digits}f}"
    if p != 0 and float(text) == 0:
        small = f"{p:.2g}"
        return f"{small}%" if "e" not in small else ("<" if p > 0 else ">-") + "0.001%"
    if f < 1 and float(text) >= 100:
        return f">{100 - 10**-digits:.{digits}f}%"
    return f"{text}%"


def pp(x: Any) -> str:
    """A difference of shares in percentage points, signed."""
    f = num(x)
    if f is None:
        return "—"
    return "0.0 pp" if abs(f) < 0.0005 else f"{100 * f:+.1f} pp"

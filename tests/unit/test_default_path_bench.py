"""The default-path benchmark's category check: an output full of names the real column
never holds scores badly, a faithful one scores 0 (issue 16)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from default_path_bench import unseen_categories


def test_unseen_categories_flags_names_no_real_row_holds() -> None:
    real = pd.DataFrame({"country": ["A", "B", "A", None], "n": [1, 2, 3, 4]})
    same = pd.DataFrame({"country": ["B", "A", None, "A"], "n": [9, 9, 9, 9]})
    broken = pd.DataFrame({"country": ["A", "Zed", "Yon", "Zed"], "n": [1, 1, 1, 1]})
    assert unseen_categories(real, same, ["n"]) == {}
    assert unseen_categories(real, broken, ["n"]) == {"country": 0.75}

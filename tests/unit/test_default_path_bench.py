"""The default-path benchmark's category check: an output full of names the real column
never holds scores badly, a faithful one scores 0 (issue 16); its ablation switch sets
the named constant and refuses a name the module lacks."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from default_path_bench import override, unseen_categories


def test_unseen_categories_flags_names_no_real_row_holds() -> None:
    real = pd.DataFrame({"country": ["A", "B", "A", None], "n": [1, 2, 3, 4]})
    same = pd.DataFrame({"country": ["B", "A", None, "A"], "n": [9, 9, 9, 9]})
    broken = pd.DataFrame({"country": ["A", "Zed", "Yon", "Zed"], "n": [1, 1, 1, 1]})
    assert unseen_categories(real, same, ["n"]) == {}
    assert unseen_categories(real, broken, ["n"]) == {"country": 0.75}


def test_override_sets_a_module_constant_or_an_engine_default() -> None:
    import synth.engines.aim as aim
    import synth.private_domains as pdm

    share, rounds = pdm.PREPROCESSING_SHARE, aim.DEFAULTS["max_rounds"]
    try:
        override("synth.private_domains.PREPROCESSING_SHARE=0.25")
        override("synth.engines.aim.DEFAULTS[max_rounds]=7")
        assert pdm.PREPROCESSING_SHARE == 0.25 and aim.DEFAULTS["max_rounds"] == 7
        assert isinstance(aim.DEFAULTS["max_rounds"], int)
        override("synth.private_domains.PREPROCESSING_SHARE=25E-2")
        assert pdm.PREPROCESSING_SHARE == 0.25
        with pytest.raises(SystemExit, match="has no"):
            override("synth.private_domains.NO_SUCH_SHARE=1")
    finally:
        pdm.PREPROCESSING_SHARE, aim.DEFAULTS["max_rounds"] = share, rounds

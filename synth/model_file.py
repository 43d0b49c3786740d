"""What a saved model file may hold: sizes a fit can produce (a hostile ``model.json`` with
a recomputed checksum must not make the loader allocate at will), and a column's entry."""

from __future__ import annotations

from typing import Any

from synth.schema.model import Column

#: the most tokens one loaded column may have: a fitted model has ≤ 1,001 (categories) or
#: 257 (bins); a file claiming more is refused before anything is allocated from it
MAX_LOADED_CARDINALITY = 100_000
#: DP-SGD network sizes a loaded model may ask for (the defaults are 8 and 64)
MAX_LOADED_NETWORK = {"embedding_dim": 1024, "hidden": 8192}


def check_loadable(config: dict[str, Any], codec_cards: list[int]) -> None:
    """Refuse a model file whose sizes no fit produces (a hostile ``model.json`` with a
    recomputed checksum): it is data, but it must not make the loader allocate at will."""
    cards = [int(k) for k in config["engine"]["cardinalities"]]
    if cards != codec_cards:
        raise ValueError("engine and codec cardinalities differ")
    if any(not 1 <= k <= MAX_LOADED_CARDINALITY for k in cards):
        raise ValueError(f"a column has more than {MAX_LOADED_CARDINALITY:,} tokens")
    options = config["engine"].get("options") or {}
    for key, limit in MAX_LOADED_NETWORK.items():
        if key in options and not 1 <= int(options[key]) <= limit:
            raise ValueError(f"engine option {key} outside 1..{limit}")


def schema_to_dict_col(col: Column) -> dict[str, Any]:
    return col.model_dump(mode="json", exclude_none=True)

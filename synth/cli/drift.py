"""``synth drift``: does a new real extract still match what the model learnt?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synth.cli.common import JsonOpt, ModelArg, existing, out, run, write_json


def drift(
    model_path: ModelArg,
    new_data: Annotated[
        Path,
        typer.Argument(
            help="New real extract (a table as `synth fit` reads it) with the model's columns.",
            callback=existing("file"),
        ),
    ],
    min_tvd: Annotated[
        float,
        typer.Option(
            "--min-tvd",
            help="Smallest TVD called drift, however significant (the model's own "
            "estimation error is not drift).",
        ),
    ] = 0.05,
    json_out: JsonOpt = None,
) -> None:
    """Compare a new extract with the model's DP marginals and modelled pairs (no new look
    at the old data, no ε): per column and pair the TVD against a threshold from sampling
    and DP noise, and a verdict (refit recommended or not). Prints names and TVD figures
    only: no value, share or count of the new extract (the figures are not DP: keep them
    internal). Exit 0 either way."""

    def body() -> None:
        from synth.drift import check_drift
        from synth.io.tables import read_table
        from synth.synthesizer import Synthesizer

        model = Synthesizer.load(model_path)
        new = read_table(new_data)
        result = check_drift(model, new, source=str(new_data), min_tvd=min_tvd)
        flagged = [r for r in result["columns"] if r["drifted"]]
        out.print(f"verdict: {result['verdict']}", highlight=False)
        for r in flagged:
            out.print(
                f"  column {r['column']}: TVD {r['tvd']:.3f} > limit {r['limit']:.3f}",
                highlight=False,
            )
        for r in (p for p in result["pairs"] if p["drifted"]):
            a, b = r["columns"]
            out.print(
                f"  pair {a} × {b}: TVD {r['tvd']:.3f} > limit {r['limit']:.3f}", highlight=False
            )
        out.print(
            f"{len(result['columns'])} columns and {len(result['pairs'])} modelled pairs "
            "compared; printed: names and TVD figures only (not DP, keep internal)",
            highlight=False,
        )
        write_json(json_out, {"model": str(model_path), "new_data": str(new_data), **result})

    run(body)

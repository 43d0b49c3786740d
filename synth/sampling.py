"""Sampling a fitted :class:`~synth.synthesizer.Synthesizer`: draw tokens from the engine
(blocked tokens left out), decode them, group rows into synthetic persons, enforce the
schema's constraints, fix conditions, and assemble the output table with surrogates for
replaced identifiers. All of it reads only the DP model: post-processing, no ε.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synth.constraints import condition, enforce
from synth.encoding import CategoricalCodec, NumericCodec
from synth.engines.base import Engine
from synth.errors import InputError
from synth.person_size import group_of, row_shares
from synth.persons import assemble_persons, person_sizes, rows_given
from synth.prepare import model_view
from synth.schema.model import Action, ColumnType
from synth.statistics import encode_view
from synth.surrogates import surrogate_series

if TYPE_CHECKING:
    from synth.encoding import Codec
    from synth.persons import RowsPerPerson
    from synth.schema.model import Column, Schema


#: a category column's 'other' token (its values too rare to clear the DP threshold) is
#: blocked, its rows going to the kept categories, while the model gives it at most this
#: share of the rows, i.e. while that at most doubles the kept values' shares; above it
#: those rows come out blank and the release names the column. A 38-code ICD column that
#: kept 3 codes at ε = 1 ('other' ≈ 90 %) put 20–50 % of all rows on each kept code, each
#: ≈ 2.6 % in the real table. At 0.1, diabetes130's diag_1-3 ('other' 36–39 %, kept codes
#: ×1.6) came out blank: mean 2-way TVD 0.069 / 0.066 against 0.064 / 0.061 blocked (same
#: fitted models); Adult's native-country ('other' ≈ 6 %) stays blocked either way
OPEN_OTHER_SHARE = 0.5
#: a number whose DP range is one value is named when more than this share of the model's
#: rows is blank (its other values, and its missing cells)
SINGLE_VALUE_NOTE_SHARE = 0.1
#: rows the model draws, once per fitted model, to read each column's 'other' share and
#: each person-size group's share (post-processing of the DP model: a fixed seed, no real
#: row)
PROBE_ROWS = 20_000
#: batches of model rows :meth:`Sampling._draw_tokens` draws at most, weighting size
#: groups back by rejection (each batch is sized for the rows still missing)
REJECTION_ROUNDS = 20


class Sampling:
    """The sampling half of :class:`~synth.synthesizer.Synthesizer` (a mixin: it reads the
    fitted engine, codecs, columns, schema and rows-per-person model the fit leaves)."""

    schema: Schema
    columns: list[Column]
    codecs: list[Codec]
    engine: Engine | None
    persons: RowsPerPerson | None
    rows_estimate: int | None
    seed: int | None
    static_fallback_share: float

    def _require_fitted(self) -> Engine:
        if self.engine is None:
            raise InputError("the synthesizer is not fitted yet")
        return self.engine

    def blocked(self) -> list[list[int]]:
        """Per column, the tokens the sampler never emits: the codec's (a category column's
        'other', unless :meth:`blank_shares` opens it) and, for a column the schema says
        is not nullable, missing (unless nothing else is left)."""
        opened = self.blank_shares()
        return self._blocked(opened)

    def _blocked(self, opened: Collection[str]) -> list[list[int]]:
        """:meth:`blocked` with 'other' open in the category columns named in ``opened``."""
        out = []
        for c, col in zip(self.codecs, self.columns, strict=True):
            own = c.blocked_tokens()
            if c.name in opened and isinstance(c, CategoricalCodec):
                own = [t for t in own if t != c.other]
            block = own + ([] if col.nullable else [c.missing])  # type: ignore[attr-defined]
            if len(set(block)) >= c.cardinality:  # nothing left to emit: allow missing
                block = own
            out.append(block)
        return out

    def absent_values(self) -> dict[str, list[str]]:
        """Per column, the blank cells ('blank') and missing-value codes its noisy 1-way
        counts did not show, which the marginal engines never emit
        (:data:`synth.engines.marginal.ABSENT_Z`): a DP output. The codes are the schema's."""
        engine = self._require_fitted()
        out: dict[str, list[str]] = {}
        for codec, tokens in zip(self.codecs, getattr(engine, "absent", []), strict=False):
            if tokens:
                out[codec.name] = [codec.optional_tokens()[t] for t in tokens]
        return out

    def blank_shares(self) -> dict[str, float]:
        """Nullable category columns whose 'other' token (values below the DP threshold)
        the model gives more than :data:`OPEN_OTHER_SHARE` of the rows: their share, and
        those rows come out blank instead of on the kept categories; and numbers whose DP
        range is one value (:attr:`NumericCodec.single_value`) with more than
        :data:`SINGLE_VALUE_NOTE_SHARE` blank (the rest of the column, and its missing
        cells). Read from
        :data:`PROBE_ROWS` rows of the model, drawn once per fitted model with a fixed
        seed: post-processing of DP outputs, so the shares may be printed."""
        engine = self._require_fitted()
        cached = self.__dict__.get("_blank_cache")
        if cached is not None and cached[0] is engine:
            return cached[1]
        pairs = zip(self.codecs, self.columns, strict=True)
        cats = [
            i
            for i, (c, col) in enumerate(pairs)
            if isinstance(c, CategoricalCodec) and c.categories and col.nullable
        ]
        # a number whose DP range is one value: the rest of it is coded missing (blank)
        ones = [
            i
            for i, c in enumerate(self.codecs)
            if isinstance(c, NumericCodec) and c.single_value and not c.unknown
        ]
        shares: dict[str, float] = {}
        if cats or ones:
            every = {self.codecs[i].name for i in cats}
            probe = engine.sample(
                PROBE_ROWS,
                np.random.default_rng(0),
                blocked=self._engine_blocked(self._blocked(every)),
            )
            for i in [*cats, *ones]:
                codec = self.codecs[i]
                token = codec.other if i in cats else codec.missing  # type: ignore[attr-defined]
                share = float(np.mean(probe[:, i] == token))
                if share > (OPEN_OTHER_SHARE if i in cats else SINGLE_VALUE_NOTE_SHARE):
                    shares[codec.name] = round(share, 3)
        self.__dict__["_blank_cache"] = (engine, shares)
        return shares

    @property
    def models_size(self) -> bool:
        """Whether the engine models each row's person-size group as its last column
        (:mod:`synth.person_size`)."""
        return self.persons is not None and self.persons.models_size

    def _engine_blocked(self, blocked: list[list[int]]) -> list[list[int]]:
        """``blocked`` per codec, and nothing blocked in the size-group column."""
        return blocked + ([[]] if self.models_size else [])

    def _raw_tokens(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Rows as the engine gives them: with the size group last when it is modelled,
        each group at its share of the *kept* rows."""
        engine = self._require_fitted()
        return engine.sample(n, rng, blocked=self._engine_blocked(self.blocked()))

    def _draw_tokens(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` rows, one per codec. With the size modelled, the rows the bound cut are
        weighted back: a model row of size group g is kept with probability ∝ π_g / κ_g
        (π: the group's share of *all* rows, from the DP histogram, :func:`row_shares`;
        κ: its share of the model's rows, :meth:`_group_weights`), rejection sampling."""
        if not self.models_size:
            return self._raw_tokens(n, rng)
        d = len(self.codecs)
        keep, rate = self._group_weights()
        parts, have = [], 0
        for _ in range(REJECTION_ROUNDS):
            raw = self._raw_tokens(int((n - have) / rate * 1.2) + 64, rng)
            raw = raw[rng.random(len(raw)) < keep[raw[:, d]]]
            parts.append(raw[:, :d])
            have += len(raw)
            if have >= n:
                break
        rows = np.vstack(parts)
        if len(rows) < n:  # a model that (nearly) never draws the heavy groups: as drawn
            rows = np.vstack([rows, self._raw_tokens(n - len(rows), rng)[:, :d]])
        return rows[:n]

    def _group_weights(self) -> tuple[np.ndarray, float]:
        """Per size group, the chance :meth:`_draw_tokens` keeps a model row of it: π_g /
        κ_g scaled to at most 1, with κ read from :data:`PROBE_ROWS` model rows (a fixed
        seed: post-processing of the DP model). A group the model never draws gets 0.
        Also the share of model rows kept (at least 0.001)."""
        cached = self.__dict__.get("_group_cache")
        if cached is not None and cached[0] is self.engine:
            return cached[1]
        assert self.persons is not None
        d, g = len(self.codecs), len(self.persons.groups)
        probe = self._raw_tokens(PROBE_ROWS, np.random.default_rng(0))[:, d]
        kappa = np.bincount(probe, minlength=g) / len(probe)
        pi = row_shares(self.persons.sizes, self.persons.groups)
        w = np.divide(pi, kappa, out=np.zeros(g), where=kappa > 0)
        w = w / w.max() if w.max() > 0 else np.ones(g)
        out = (w, max(float(np.dot(kappa, w)), 1e-3))
        self.__dict__["_group_cache"] = (self.engine, out)
        return out

    def _decode(self, tokens: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
        return pd.DataFrame(
            {c.name: c.decode(tokens[:, i], rng) for i, c in enumerate(self.codecs)}
        )

    def _draw(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        return self._decode(self._draw_tokens(n, rng), rng)

    def _draw_persons(self, n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
        """``n`` rows grouped into synthetic persons (sizes from the DP rows-per-person
        model), static columns equal within a person; returns the rows and each row's
        person number."""
        assert self.persons is not None
        sizes = person_sizes(n, self.persons, rng)
        static = [i for i, c in enumerate(self.columns) if c.static]
        if self.models_size:  # every row of a person drawn given the person's size group
            d = len(self.codecs)
            raw = partial(self._raw_tokens, rng=rng)
            groups = group_of(sizes, self.persons.groups)
            heads, _ = rows_given(groups[:, None], [d], raw, rng)
            tokens, fallback = assemble_persons(sizes, [*static, d], raw, rng, heads=heads)
            tokens = tokens[:, :d]
            self.static_fallback_share = fallback if static else 0.0
        else:
            tokens, self.static_fallback_share = assemble_persons(
                sizes, static, lambda m: self._draw_tokens(m, rng), rng
            )
        frame = self._enforce(self._decode(tokens, rng), rng)
        person = np.repeat(np.arange(len(sizes)), sizes)
        heads = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        for i in static:  # a bin decodes to a fresh value per row: copy the first row's
            name = self.columns[i].name
            # .array keeps the dtype: to_numpy() made a whole-number column with blanks
            # float, written '44.0' for an input's '44'
            frame[name] = frame[name].array[heads[person]]
        return frame, person

    def sample(
        self,
        n: int | None = None,
        *,
        seed: int | None = None,
        conditions: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Sample ``n`` rows (default: the model's DP estimate of the training rows).

        ``seed`` (default: the synthesizer's ``seed``; fresh entropy when both are None)
        makes the draw reproducible; ``conditions`` fixes column values (exact, by
        rejection). Sampling reads only the model: it is post-processing and costs no ε.
        """
        self._require_fitted()
        if n is None:
            if self.rows_estimate is None:
                raise InputError(
                    "this model holds no DP estimate of its rows (written by an earlier "
                    "version): give the number of rows (--rows)"
                )
            n = self.rows_estimate
        if n <= 0:
            raise InputError(f"number of rows must be positive, got {n}")
        rng = np.random.default_rng(self.seed if seed is None else seed)
        person = None
        if self.persons is not None and (self.persons.k > 1 or self.models_size) and not conditions:
            frame, person = self._draw_persons(n, rng)
        else:
            frame = self._enforce(self._draw(n, rng), rng)
        if conditions:
            frame = self._condition(frame, n, conditions, rng)
        return self._assemble(frame, n, int(rng.integers(2**31)), person)

    def sample_where(
        self,
        n: int | None = None,
        *,
        where: str | list[str] | None = None,
        rebalance: str | None = None,
        seed: int | None = None,
    ) -> tuple[pd.DataFrame, dict[str, Any]]:
        """``n`` rows holding ``where`` (``"sex=F,age>=70"``) with ``rebalance``'s column
        at the shares asked for (``"dx=E11:0.1"``; a bare column: uniform), and a report
        of what was applied (:func:`synth.conditional.sample_conditional`). Exact on the
        marginal engines, measured rejection on DP-SGD; post-processing, no ε."""
        from synth.conditional import sample_conditional
        from synth.conditions import parse_rebalance, parse_where

        texts = [where] if isinstance(where, str) else list(where or [])
        if n is None:
            n = self.rows_estimate
        if n is None:
            raise InputError("give the number of rows (--rows)")
        return sample_conditional(
            self,
            n,
            where=parse_where(texts),
            rebalance=None if rebalance is None else parse_rebalance(rebalance),
            seed=seed,
        )

    def sample_given(
        self,
        given: pd.DataFrame,
        sizes: np.ndarray,
        *,
        seed: int | None = None,
        person_rows: np.ndarray | None = None,
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """Rows of persons whose values in ``given``'s columns are fixed: ``sizes[i]`` rows
        for the person of ``given``'s row i, each drawn from the model given those values
        (equal tokens, by rejection) and carrying them exactly. Post-processing of the
        model, no ε. Returns the rows and each row's person (row of ``given``).

        ``person_rows[i]``: all rows in this table of the person of ``given``'s row i
        (``sizes`` when ``given`` lists persons); with the person's size modelled the rows
        are drawn given its size group, and without it from all rows' groups."""
        self._require_fitted()
        names = [c.name for c in self.codecs]
        unknown = [c for c in given.columns if c not in names]
        if unknown:
            raise InputError(f"given column '{unknown[0]}' is not modelled")
        rng = np.random.default_rng(self.seed if seed is None else seed)
        sizes = np.asarray(sizes, dtype=np.int64)
        person = np.repeat(np.arange(len(given)), sizes)
        if len(person) == 0:  # no person has a row here
            return pd.DataFrame({c: pd.Series(dtype=object) for c in self.output_columns}), person
        static = [names.index(c) for c in given.columns]
        sub = self.schema.model_copy(
            update={"columns": [c for c in self.schema.columns if c.name in given.columns]}
        )
        _, view = model_view(given.reset_index(drop=True), sub, "given values")
        wanted = encode_view(view, [self.codecs[i] for i in static])[person]
        draw = partial(self._draw_tokens, rng=rng)
        if self.models_size and person_rows is not None:  # and given the size group
            assert self.persons is not None
            d = len(self.codecs)
            held = np.maximum(np.asarray(person_rows, dtype=np.int64), 1)
            groups = group_of(held, self.persons.groups)[person]
            wanted, static = np.column_stack([wanted, groups]), [*static, d]
            draw = partial(self._raw_tokens, rng=rng)
        tokens, self.static_fallback_share = rows_given(wanted, static, draw, rng)
        tokens = tokens[:, : len(self.codecs)]
        frame = self._enforce(self._decode(tokens, rng), rng)
        for c in given.columns:
            frame[c] = given[c].to_numpy()[person]
        n = len(frame)
        return self._assemble(frame, n, int(rng.integers(2**31)), person), person

    def _condition(
        self, frame: pd.DataFrame, n: int, conditions: dict[str, Any], rng: np.random.Generator
    ) -> pd.DataFrame:
        return condition(frame, n, conditions, lambda m: self._enforce(self._draw(m, rng), rng))

    def _enforce(self, frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        return enforce(frame, self.schema, self.columns, lambda m: self._draw(m, rng), rng)

    def _assemble(
        self, frame: pd.DataFrame, n: int, seed: int, person: np.ndarray | None = None
    ) -> pd.DataFrame:
        """The output table: modelled columns, surrogates for replaced identifiers (the
        privacy unit's surrogate shared by the rows of one synthetic person)."""
        out: dict[str, pd.Series] = {}
        unit = self.schema.dataset.privacy_unit
        for i, col in enumerate(self.schema.columns):
            if col.modelled:
                out[col.name] = frame[col.name].reset_index(drop=True)
            elif col.action == Action.REPLACE and col.type != ColumnType.TEXT:
                if col.name == unit and person is not None:
                    m = int(person.max()) + 1
                    ids = surrogate_series(col.entity, m, seed + i, col.format)
                    out[col.name] = ids.iloc[person].reset_index(drop=True)
                else:
                    out[col.name] = surrogate_series(col.entity, n, seed + i, col.format)
        return pd.DataFrame(out)

    def output_decimals(self) -> dict[str, int]:
        """Decimals each number column is written with: its precision (declared, or found
        under DP), for :func:`~synth.io.tables.write_table`, so the output file writes
        '0.00' where the input did, not '0.0', and '44', not '44.0'."""
        return {
            c.name: int(c.precision)
            for c in self.codecs
            if c.kind == "numerical" and getattr(c, "precision", None) is not None
        }

    @property
    def output_columns(self) -> list[str]:
        return [
            c.name
            for c in self.schema.columns
            if c.modelled or (c.action == Action.REPLACE and c.type != ColumnType.TEXT)
        ]

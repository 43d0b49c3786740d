"""One-command release of linked tables: scan each table → find the links → split persons
→ fit under one budget (:class:`synth.linked.LinkedSynthesizer`) → sample → gate each
table on its person view → write.

The output folder (built in a hidden staging folder, moved into place at the end):

=============================  =====================================================
``TABLE.csv``                  each synthetic table — only when every gate passed
``schema-TABLE.yaml``          the schema each table was released under
``ledger.json``                every table's charges, composed in one ledger
``leakage-TABLE.json``         each table's leakage gate (internal evidence)
``leakage-joined-persons.json`` the gate on one row per person across every table
``report-TABLE/``              each table's release report (HTML and JSON; internal)
``report-links.json``          fidelity across each link (children per person, person
``report-links.html``          × child marginals, which values go together in one
                               person), the privacy unit, the ε split and the inputs'
                               SHA-256 (internal; :mod:`synth.linked_report`)
``release.json``               passed, ε/δ spent and its split, the person table and
                               key, the links, columns dropped, per-table gate verdicts
                               and rows, provenance (the SHA-256 of every file written;
                               the inputs named, their hashes in report-links.json)
=============================  =====================================================

**Links** are found from the values, exactly: a key column of a table (an identifier
whose values are present and distinct) and a column of another table whose values all
occur among them. The person table is the one most tables link to; every other table
links to the deepest table it links to (conditions → encounters → patients), a deeper
table also keeping its column naming the person; other links are dropped with their
column (said in ``release.json``). **The split** sends each person with all their rows
in every table to the holdout on one secret coin. **The gate** checks the person table
per person (with the presence indicators of the person's rows elsewhere: the view the
person model was fitted on), each linked table joined with its person's (and parent
row's) columns (the view it was fitted on) with the person as the unit, and the joined
person view (:mod:`synth.linked_gate`: one row per person across every table,
``leakage-joined-persons.json``); every gate must pass.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synth.engines.base import Progress, no_progress
from synth.errors import InputError, OutputError, SchemaError
from synth.io.atomic import atomic_write_text, folder_lock, staged_directory
from synth.io.compressed import inner_name, is_compressed, table_name
from synth.io.tables import read_table, write_table
from synth.linked import LinkedSynthesizer
from synth.linked_gate import JOINED, check_joined
from synth.linked_report import links_report, write_links_report
from synth.private_domains import empty_columns
from synth.provenance import (
    RELEASE_NOT_HASHED,
    finish,
    hash_input,
    record,
    shareable,
    utc_now,
)
from synth.randomness import Randomness
from synth.report import write_check_report
from synth.report.build import model_codecs
from synth.schema.io import save_schema
from synth.schema.model import Action, ColumnType, ForeignKey, Schema

#: in release.json, instead of the input tables' hashes
INPUTS_NOTE = (
    "The input tables' SHA-256 are in report-links.json (internal), not here: a hash of a "
    "real table lets anyone holding a candidate table confirm it, outside the DP guarantee. "
    "This file lists report-links.json's hash."
)
#: table files a folder release reads (also compressed: ``.csv.gz``, a ``.zip`` of one CSV)
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")


@dataclass
class LinkedResult:
    out_dir: Path
    passed: bool
    epsilon_spent: float
    delta_spent: float
    person_table: str
    key: str
    links: list[dict[str, Any]]
    dropped: list[str]
    blocked_by: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    budget_parts: dict[str, dict[str, float]] = field(default_factory=dict)
    presence: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    #: per table, its columns that come out empty: their DP domain was not found
    #: (:func:`synth.private_domains.empty_columns`); column names only
    empty_columns: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "released": self.passed,
            "out_dir": str(self.out_dir),
            "epsilon_spent": self.epsilon_spent,
            "delta_spent": self.delta_spent,
            "privacy": {
                "unit": "person",
                "person_table": self.person_table,
                "unit_column": self.key,
                "statement": (
                    f"one (ε, δ) per person across every table: a person is one row of "
                    f"'{self.person_table}' (key '{self.key}') and every row of a linked "
                    "table whose links lead to that key (through its parent row for a "
                    "deeper table), at most k of them per table"
                ),
            },
            "budget_parts": self.budget_parts,
            "links": self.links,
            "presence": self.presence,
            "dropped": self.dropped,
            "blocked_by": self.blocked_by,
            "synthetic_rows": self.rows,
            "empty_columns": self.empty_columns,
            "seconds": round(self.seconds, 1),
            "files": self.files,
            "provenance": self.provenance,
        }


def table_paths(folder: Path) -> dict[str, Path]:
    """The tables of a folder, named by file name without its format and compression
    suffixes (``visits.csv.gz`` → ``visits``); two files naming one table are an error."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of tables")
    paths: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        inner = Path(inner_name(p)) if is_compressed(p) else p
        if not p.is_file() or not (
            inner.suffix.lower() in TABLE_SUFFIXES or p.suffix.lower() == ".zip"
        ):
            continue
        name = table_name(p)
        if name in paths:
            raise InputError(
                f"{folder}: '{paths[name].name}' and '{p.name}' both hold table '{name}'"
            )
        paths[name] = p
    if len(paths) < 2:
        raise InputError(f"{folder}: a linked release needs at least two tables (CSV/Parquet)")
    return paths


def find_links(
    tables: Mapping[str, pd.DataFrame], schemas: Mapping[str, Schema]
) -> tuple[str, str, dict[str, list[ForeignKey]], list[tuple[str, str]]]:
    """(person table, its key, each other table's links — to its parent, and for a
    deeper table to the person table too when it has such a column —, the (table,
    column) pairs that link elsewhere).

    The person table is the one whose key most tables link to. Each other table's parent
    is the deepest table it links to (conditions link to both encounters and patients:
    their parent is encounters); depths are longest chains of found links from the
    person table, so links found in a cycle are refused with the tables named."""
    present = {  # identifier columns with a value in every row, as text
        (t, c.name): df[c.name].astype(str)
        for t, df in tables.items()
        for c in schemas[t].columns
        if c.type == ColumnType.IDENTIFIER and df[c.name].notna().all()
    }
    keys = {tc: set(v) for tc, v in present.items() if not v.duplicated().any()}
    found = [
        (t, ForeignKey(column=c, table=kt, key=kc))
        for (t, c), v in present.items()
        for (kt, kc), kv in keys.items()
        if kt != t and set(v) <= kv
    ]
    if not found:
        raise SchemaError(
            "no links found: no column of one table holds only values of another table's "
            "key column (a present, distinct identifier)"
        )
    counts: dict[tuple[str, str], int] = {}
    for _, fk in found:
        counts[(fk.table, fk.key)] = counts.get((fk.table, fk.key), 0) + 1
    (root, key), _ = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    usable = [  # links to the person's key, or to another table's key
        (t, fk) for t, fk in found if t != root and (fk.table != root or fk.key == key)
    ]
    depth = {root: 0}
    for _ in range(len(tables) + 1):
        new = dict(depth)
        for t, fk in usable:
            if fk.table in depth:
                new[t] = max(new.get(t, 0), depth[fk.table] + 1)
        if new == depth:
            break
        depth = new
    else:
        loop = sorted(t for t in depth if depth[t] >= len(tables))
        raise SchemaError(f"the links found between {', '.join(loop)} form a cycle")
    unlinked = sorted(set(tables) - set(depth))
    if unlinked:
        raise SchemaError(
            f"table '{unlinked[0]}' has no column whose values are keys of the person table "
            f"'{root}' ({key}) or of a table linked to it"
        )
    links: dict[str, list[ForeignKey]] = {}
    for t in sorted(set(tables) - {root}):
        mine = [fk for tt, fk in usable if tt == t and depth[fk.table] == depth[t] - 1]
        parents = sorted({(fk.table, fk.key) for fk in mine})
        if len(mine) != 1:
            raise SchemaError(
                f"table '{t}' links to {', '.join(f'{a}.{b}' for a, b in parents)} through "
                f"{len(mine)} columns; declare its link in the schema"
            )
        chosen = [mine[0]]
        to_root = [fk for tt, fk in usable if tt == t and fk.table == root]
        if mine[0].table != root and len(to_root) == 1:
            chosen.append(to_root[0])
        links[t] = chosen
    kept = {(t, fk.column) for t, fks in links.items() for fk in fks}
    kept.add((root, key))
    elsewhere = sorted({(t, fk.column) for t, fk in found if (t, fk.column) not in kept})
    return root, key, links, elsewhere


def linked_schemas(
    tables: Mapping[str, pd.DataFrame], drafts: Mapping[str, Schema]
) -> tuple[dict[str, Schema], str, str, list[str]]:
    """The drafts with the links declared and columns linking elsewhere dropped."""
    root, key, links, elsewhere = find_links(tables, drafts)
    out = {}
    for t, s in drafts.items():
        drop = {c for tt, c in elsewhere if tt == t}
        cols = [
            c.model_copy(update={"action": Action.DROP}) if c.name in drop else c for c in s.columns
        ]
        ds = s.dataset.model_copy(update={"links": links.get(t, [])})
        out[t] = s.model_copy(update={"columns": cols, "dataset": ds})
    return out, root, key, [f"{t}.{c}" for t, c in elsewhere]


def table_empty_columns(
    model: LinkedSynthesizer, synthetic: dict[str, pd.DataFrame]
) -> dict[str, list[str]]:
    """Per table, the output columns whose DP domain came out empty (a linked table's
    model also codes its person's columns; those are reported under the person table).
    Read from the fit's DP outputs alone, so it may be printed."""
    out = {}
    for t, m in model.models.items():
        own = set(synthetic[t].columns) if t in synthetic else set()
        gone = [c for c in empty_columns(m.domain_notes) if c in own]
        if gone:
            out[t] = gone
    return out


def split_persons(
    tables: Mapping[str, pd.DataFrame],
    model: LinkedSynthesizer,
    fraction: float,
    rng: np.random.Generator,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Train/holdout by person: one secret coin per person key, child rows follow."""
    people = tables[model.root]
    keys = people[model.key].astype(str)
    out_keys = set(keys[rng.random(len(keys)) < fraction])
    if not out_keys or len(out_keys) == len(keys):
        raise InputError("too few persons to split into training persons and a holdout")
    train, holdout = {}, {}
    for t, df in tables.items():
        held = model.person_keys(t, tables).isin(out_keys).to_numpy()
        train[t], holdout[t] = df[~held].reset_index(drop=True), df[held].reset_index(drop=True)
    return train, holdout


def run_linked_release(
    folder: str | Path,
    *,
    epsilon: float,
    out_dir: str | Path,
    delta: float = 1e-6,
    seed: int | None = None,
    overwrite: bool = False,
    progress: Progress = no_progress,
    argv: list[str] | None = None,
) -> LinkedResult:
    """Release every table of ``folder`` together under (ε, δ) per person (the output
    folder locked against a second release from the first check to the last write).
    ``argv``: the command line, recorded in the provenance (paths and options only)."""
    out = Path(out_dir)
    started_at = utc_now()
    paths = table_paths(Path(folder))  # bad input fails before anything is locked
    with folder_lock(out):
        if out.is_dir() and any(out.iterdir()) and not overwrite:
            raise OutputError(
                f"{out}: output folder is not empty (it may hold an earlier release); "
                "choose a new folder or pass --overwrite"
            )
        return _release(paths, epsilon, out, delta, seed, overwrite, progress, argv, started_at)


def _release(
    paths: dict[str, Path],
    epsilon: float,
    out_dir: Path,
    delta: float,
    seed: int | None,
    overwrite: bool,
    progress: Progress,
    argv: list[str] | None,
    started_at: str,
) -> LinkedResult:
    from privacy import check_leakage, scan

    start = time.perf_counter()
    tables = {t: read_table(p) for t, p in paths.items()}
    # hashed after reading: a file that cannot be read fails there with its clear message
    prov = record(
        data_path=next(iter(paths.values())),
        schema_path=None,
        argv=argv,
        started_at=started_at,
        inputs=[h for p in paths.values() for h in hash_input(p)],
    )
    if argv is None:
        prov["argv_note"] = (
            "called from Python (synth.linked_release.run_linked_release), not the command line"
        )
    drafts = {t: scan(df, name=t).schema for t, df in tables.items()}
    schemas, root, key, dropped = linked_schemas(tables, drafts)
    model = LinkedSynthesizer(schemas, epsilon=epsilon, delta=delta, seed=seed)
    fraction = schemas[root].dataset.holdout_fraction
    train, holdout = split_persons(tables, model, fraction, Randomness.create(None).rng)
    progress("fit", 0, 1)
    model.fit(train)
    progress("fit", 1, 1)
    synthetic = model.sample(seed=seed)
    verdicts, blocked, views_of = {}, {}, {}
    for t in tables:
        progress(f"leakage: {t}", 0, 1)
        # the view each model was fitted on: the person table with its presence
        # indicators, a linked table joined with its person's (and parent row's) columns
        views = (
            model.view(t, train, raw=True),
            model.view(t, holdout, raw=True),
            model.view(t, synthetic, raw=False),
        )
        views_of[t] = views
        verdicts[t] = check_leakage(*views, model.view_schema(t))
        if not verdicts[t].passed:
            blocked[t] = [m.name for m in verdicts[t].metrics if m.verdict == "block"]
        progress(f"leakage: {t}", 1, 1)
    progress(f"leakage: {JOINED}", 0, 1)
    verdicts[JOINED], _ = check_joined(model, train, holdout, synthetic)
    if not verdicts[JOINED].passed:
        blocked[JOINED] = [m.name for m in verdicts[JOINED].metrics if m.verdict == "block"]
    progress(f"leakage: {JOINED}", 1, 1)
    assert model.ledger is not None
    eps, dlt = model.ledger.spent()
    result = LinkedResult(
        out_dir=Path(out_dir),
        passed=not blocked,
        epsilon_spent=eps,
        delta_spent=dlt,
        person_table=root,
        key=key,
        links=[
            {
                "table": x.child,
                "column": x.column,
                "key": f"{x.parent}.{x.key}",
                **(
                    {"person_column": x.person_column}
                    if x.parent != root and x.person_column
                    else {}
                ),
            }
            for x in model.links
        ],
        dropped=dropped,
        blocked_by=blocked,
        rows={t: len(df) for t, df in synthetic.items()},
        budget_parts=model.parts,
        presence={c: p.describe() for c, p in model.presence_tried.items()},
        empty_columns=table_empty_columns(model, synthetic),
    )
    with staged_directory(Path(out_dir), overwrite=overwrite) as stage:
        for t in tables:
            save_schema(model.view_schema(t), stage / f"schema-{t}.yaml")
            atomic_write_text(
                stage / f"leakage-{t}.json",
                json.dumps(verdicts[t].to_dict(), indent=2, default=str),
            )
            if result.passed:
                write_table(synthetic[t], stage / f"{t}.csv", model.models[t].output_decimals())
        atomic_write_text(  # one row per person across every table
            stage / "leakage-joined-persons.json",
            json.dumps(verdicts[JOINED].to_dict(), indent=2, default=str),
        )
        atomic_write_text(stage / "ledger.json", json.dumps(model.ledger.state_dict(), indent=2))
        progress("report", 0, 1)
        for t in tables:  # one report per table, on the view it was fitted and gated on
            described = model.models[t].describe()
            described["budget"] = {"epsilon": model.epsilon, "delta": model.delta}
            described["spent"] = {"epsilon": eps, "delta": dlt}
            described["ledger"] = {**model.ledger.state_dict(), "privacy": described["privacy"]}
            train_v, holdout_v, syn_v = views_of[t]
            write_check_report(
                stage / f"report-{t}",
                leak=verdicts[t],
                train=train_v,
                holdout=holdout_v,
                synthetic=syn_v,
                schema=model.view_schema(t),
                model=described,
                codecs=model_codecs(model.models[t]),
                dp_sample=syn_v,  # the model's output: its quantiles may label the bins
            )
        write_links_report(stage, links_report(model, train, synthetic, provenance=prov))
        progress("report", 1, 1)
        written = sorted(p.name for p in stage.iterdir() if p.is_file())
        written += sorted(
            f"{d.name}/{f.name}" for d in stage.iterdir() if d.is_dir() for f in d.iterdir()
        )
        result.files = sorted([*written, "release.json"])
        result.provenance = {
            **shareable(finish(prov, stage, written, RELEASE_NOT_HASHED)),
            "inputs_note": INPUTS_NOTE,
        }
        result.seconds = time.perf_counter() - start
        atomic_write_text(stage / "release.json", json.dumps(result.to_dict(), indent=2) + "\n")
    return result

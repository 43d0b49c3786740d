"""The links of a linked release as a tree rooted at the person table (issue 17).

Every table but one declares ``dataset.links`` (foreign keys); the one without is the
person table. A table links to its **parent**: the person table (patients → encounters),
or a table that itself links on (encounters → conditions, a grandchild of the person).
A grandchild may also declare a second link straight to the person table (Synthea's
``conditions.PATIENT`` beside ``conditions.ENCOUNTER``): it is then checked to agree with
the person of its parent row, and written from it at sampling.

Why a tree and not any graph: a person's rows must be found from each row by following
links upward (the privacy unit of every table is the person at the root), so every
chain must end at the person table, once. A cycle, a link to a table not given, a key
that is not a column or two parents for one table are refused with the tables named
(``SchemaError``, exit 2 on the command line), before any row is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from synth.errors import InputError, SchemaError
from synth.schema.model import Schema


@dataclass(frozen=True)
class Link:
    """Rows of table ``child`` belong to the row of table ``parent`` whose ``key`` their
    ``column`` holds; ``person_column`` is the child's column holding its person's key
    (the link column itself for a child of the person table; a declared second link, or
    None, for a deeper table)."""

    child: str
    column: str
    key: str
    parent: str = ""
    person_column: str | None = None


def find_cycle(schemas: Mapping[str, Schema]) -> list[str] | None:
    """Tables on a cycle of declared links (first table repeated at the end), or None.

    >>> from synth.schema import parse_schema
    >>> def s(*to):
    ...     return parse_schema({"dataset": {"links": [
    ...         {"column": "k", "table": t, "key": "k"} for t in to]},
    ...         "columns": [{"name": "k", "type": "identifier", "action": "drop"}]})
    >>> find_cycle({"a": s("b"), "b": s("c"), "c": s("a")})
    ['a', 'b', 'c', 'a']
    """
    edges = {
        t: [fk.table for fk in s.dataset.links if fk.table in schemas] for t, s in schemas.items()
    }
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(t: str, path: list[str]) -> list[str] | None:
        state[t] = 1
        for u in edges[t]:
            if state.get(u) == 1:
                return [*path[path.index(u) :], u]
            if u not in state:
                found = visit(u, [*path, u])
                if found:
                    return found
        state[t] = 2
        return None

    for t in sorted(schemas):
        if t not in state:
            found = visit(t, [t])
            if found:
                return found
    return None


def links_of(schemas: Mapping[str, Schema]) -> tuple[str, list[Link]]:
    """The person table and every table's link to its parent, parents before children;
    errors name the tables and columns."""
    for table, schema in schemas.items():
        for fk in schema.dataset.links:
            if fk.table not in schemas:
                raise SchemaError(f"table '{table}' links to '{fk.table}', which is not given")
            if fk.key not in schemas[fk.table].names:
                raise SchemaError(
                    f"link {table}.{fk.column} names key '{fk.key}', not a column of {fk.table}"
                )
    cycle = find_cycle(schemas)
    if cycle:
        raise SchemaError(
            "the declared links form a cycle: "
            + " → ".join(cycle)
            + "; links must lead from every table to the person table (a tree)"
        )
    roots = [t for t, s in schemas.items() if not s.dataset.links]
    if len(roots) != 1:
        raise SchemaError(
            "a linked release needs exactly one person table (the one table without "
            f"dataset.links); found {len(roots)}: {', '.join(sorted(roots)) or 'none'}"
        )
    root = roots[0]
    links = {t: _link(t, s, root) for t, s in schemas.items() if t != root}
    keys = {link.key for link in links.values() if link.parent == root}
    keys |= {fk.key for s in schemas.values() for fk in s.dataset.links if fk.table == root}
    if len(keys) > 1:
        raise SchemaError(f"the links name different keys of '{root}': {sorted(keys)}")
    return root, sorted(links.values(), key=lambda x: (depth(x.child, links, root), x.child))


def _link(table: str, schema: Schema, root: str) -> Link:
    to_root = [fk for fk in schema.dataset.links if fk.table == root]
    other = [fk for fk in schema.dataset.links if fk.table != root]
    if len(other) > 1 or len(to_root) > 1:
        names = ", ".join(f"{fk.column} → {fk.table}" for fk in schema.dataset.links)
        raise SchemaError(
            f"table '{table}' declares {len(schema.dataset.links)} links ({names}); a table "
            f"links once to its parent, and a deeper table at most once more to the person "
            f"table '{root}'"
        )
    if other:
        fk = other[0]
        person = to_root[0].column if to_root else None
        if person == fk.column:
            raise SchemaError(f"{table}.{fk.column} cannot link to two tables")
        return Link(table, fk.column, fk.key, fk.table, person)
    fk = to_root[0]
    return Link(table, fk.column, fk.key, root, fk.column)


def depth(table: str, links: Mapping[str, Link], root: str) -> int:
    """Links from ``table`` up to the person table (0 for the person table)."""
    d = 0
    while table != root:
        table = links[table].parent
        d += 1
    return d


def person_keys(
    table: str,
    tables: Mapping[str, pd.DataFrame],
    links: Mapping[str, Link],
    root: str,
    key: str,
) -> pd.Series:
    """The person key (text) of each row of ``table``, following its links upward; a
    row whose parent key is unknown gets a missing value (the key check refuses it
    first)."""
    if table == root:
        return tables[root][key].astype(str).reset_index(drop=True)
    link = links[table]
    own = tables[table][link.column].astype(str).reset_index(drop=True)
    if link.parent == root:
        return own
    up = person_keys(link.parent, tables, links, root, key)
    index = pd.Series(up.to_numpy(), index=tables[link.parent][link.key].astype(str).to_numpy())
    return own.map(index).astype(object)


def check_keys(
    tables: Mapping[str, pd.DataFrame], links: Mapping[str, Link], root: str, key: str
) -> None:
    """Every parent key present and distinct, every link's values among them and a
    declared person column equal to the person found through the parent; errors name
    tables and columns, never a value."""
    keyed = {root: key, **{lk.parent: lk.key for lk in links.values()}}
    for table, col in keyed.items():
        frame = tables[table]
        if col not in frame.columns:
            raise InputError(f"{table}: key column '{col}' is missing")
        if frame[col].isna().any() or frame[col].astype(str).duplicated().any():
            what = "each person once" if table == root else "each row once"
            raise InputError(
                f"{table}: key column '{col}' must name {what} (a value is missing or repeats)"
            )
    for link in links.values():
        child = tables[link.child]
        for col in (link.column, link.person_column):
            if col is not None and col not in child.columns:
                raise InputError(f"{link.child}: key column '{col}' is missing")
        values = child[link.column]
        if values.isna().any():
            raise InputError(
                f"{link.child}.{link.column} has missing values: every row must name its "
                f"{link.parent} row (its person is found through it); fill them or drop "
                "those rows"
            )
        known = set(tables[link.parent][link.key].astype(str))
        if not values.astype(str).isin(known).all():
            raise InputError(
                f"{link.child}.{link.column}: some values have no row in "
                f"{link.parent}.{link.key} (keys that do not join)"
            )
        if link.person_column is not None and link.parent != root:
            found = person_keys(link.child, tables, links, root, key)
            own = child[link.person_column].astype(str).reset_index(drop=True)
            if child[link.person_column].isna().any() or not (own == found).all():
                raise InputError(
                    f"{link.child}.{link.person_column}: some rows name another person than "
                    f"the {root} row of their {link.parent} row ({link.child}.{link.column} "
                    f"→ {link.parent}.{link.key}): the two links disagree"
                )


__all__ = ["Link", "check_keys", "depth", "find_cycle", "links_of", "person_keys"]

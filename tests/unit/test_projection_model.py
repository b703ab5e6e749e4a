"""The projection contract: tables derive their columns from row types; renamed copies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest
from psycopg import sql

from projections import registry, store
from projections.model import Projection, SourceRecord, Table, row_values


@dataclass(frozen=True, slots=True, kw_only=True)
class _Row:
    id: int
    name: str
    recorded: str


def _map(_record: SourceRecord) -> tuple[_Row, ...]:
    return ()


def _table(on_conflict: Literal["nothing", "update"] = "nothing") -> Table:
    return Table(name="things", row_type=_Row, key=("id",), on_conflict=on_conflict)


def test_columns_are_the_row_fields_in_order() -> None:
    assert _table().columns == ("id", "name", "recorded")
    assert row_values(_Row(id=1, name="a", recorded="b")) == (1, "a", "b")


@dataclass(frozen=True, slots=True, kw_only=True)
class _OneColumn:
    id: int


def test_a_one_column_row_is_still_a_tuple_of_values() -> None:
    assert row_values(_OneColumn(id=7)) == (7,)


def test_a_key_that_is_not_a_column_is_refused() -> None:
    with pytest.raises(ValueError, match="not fields"):
        Table(name="things", row_type=_Row, key=("nope",))


def test_a_renamed_projection_writes_suffixed_tables_under_a_suffixed_name() -> None:
    projection = Projection(name="p", topics=("t",), tables=(_table(),), map=_map)
    copy = projection.renamed("__rebuild")
    assert (copy.name, copy.tables[0].name) == ("p__rebuild", "things__rebuild")
    assert copy.table_for(_Row(id=1, name="a", recorded="b")).name == "things__rebuild"


def test_last_write_wins_within_a_batch_for_update_tables() -> None:
    rows = [(1, "first", "x"), (2, "other", "y"), (1, "second", "z")]
    assert store.last_per_key(_table("update"), rows) == [(1, "second", "z"), (2, "other", "y")]


def test_insert_statements_name_the_conflict_action() -> None:
    nothing = store._insert_sql(_table()).as_string(None)
    update = store._insert_sql(_table("update")).as_string(None)
    assert 'ON CONFLICT ("id") DO NOTHING' in nothing
    assert '"name" = EXCLUDED."name"' in update
    assert isinstance(store._insert_sql(_table()), sql.Composed)


def test_the_registry_knows_both_first_projections() -> None:
    assert registry.names()[:2] == ("accepted_events", "dead_letters")
    with pytest.raises(KeyError, match="known"):
        registry.get("nope")

"""Result sets and rows: access, iteration, lightweight transactions, multi-page results."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from aiocql import AsyncResultSet, AsyncSession, Row

PAGE_SIZE = 5000  # rows per page that execute() asks for (src/session.rs DEFAULT_PAGE_SIZE)


@pytest.fixture
async def people(session: AsyncSession, table_name: str) -> str:
    """A table with three rows in one partition, in clustering order id 1, 2, 3."""
    await session.execute(
        f"CREATE TABLE {table_name} (team text, id int, name text, age int, PRIMARY KEY (team, id))"
    )
    insert = await session.prepare(
        f"INSERT INTO {table_name} (team, id, name, age) VALUES (?, ?, ?, ?)"
    )
    for row in (("a", 2, "bob", 41), ("a", 1, "ann", 30), ("a", 3, "cid", None)):
        await session.execute(insert, row)
    return table_name


async def _select(session: AsyncSession, table: str) -> AsyncResultSet:
    return await session.execute(f"SELECT id, name, age FROM {table} WHERE team = 'a'")


# --- AsyncResultSet ----------------------------------------------------------------------------


async def test_one_returns_the_first_row(session: AsyncSession, people: str) -> None:
    row = (await _select(session, people)).one()
    assert isinstance(row, Row)
    assert row == (1, "ann", 30)


async def test_one_on_an_empty_result_is_none(session: AsyncSession, people: str) -> None:
    rs = await session.execute(f"SELECT id FROM {people} WHERE team = 'nobody'")
    assert rs.one() is None


async def test_all_returns_a_new_list_of_every_row(session: AsyncSession, people: str) -> None:
    rs = await _select(session, people)
    rows = rs.all()
    assert isinstance(rows, list)
    assert rows == [(1, "ann", 30), (2, "bob", 41), (3, "cid", None)]
    rows.clear()
    assert len(rs.all()) == 3
    assert rs.rows == rs.all()


async def test_for_iterates_rows_in_order(session: AsyncSession, people: str) -> None:
    rs = await _select(session, people)
    assert [row.id for row in rs] == [1, 2, 3]
    # A result set can be iterated again.
    assert [row.name for row in rs] == ["ann", "bob", "cid"]


async def test_async_for_iterates_rows_in_order(session: AsyncSession, people: str) -> None:
    rs = await _select(session, people)
    assert [row.id async for row in rs] == [1, 2, 3]
    assert [row.name async for row in rs] == ["ann", "bob", "cid"]


async def test_len_and_bool(session: AsyncSession, people: str) -> None:
    rs = await _select(session, people)
    assert len(rs) == 3
    assert rs
    empty = await session.execute(f"SELECT id FROM {people} WHERE team = 'nobody'")
    assert len(empty) == 0
    assert not empty
    assert empty.all() == []
    assert [row async for row in empty] == []


async def test_indexing(session: AsyncSession, people: str) -> None:
    rs = await _select(session, people)
    assert rs[0] == (1, "ann", 30)
    assert rs[2] == (3, "cid", None)
    assert rs[-1] == rs[2]
    assert rs[1:] == [(2, "bob", 41), (3, "cid", None)]
    with pytest.raises(IndexError):
        rs[3]


async def test_column_names_and_types(session: AsyncSession, people: str) -> None:
    rs = await session.execute(f"SELECT age, name, id, team FROM {people}")
    assert rs.column_names == ["age", "name", "id", "team"]
    assert rs.column_types == ["int", "text", "int", "text"]


async def test_columns_follow_the_schema_after_alter_table(
    session: AsyncSession, people: str
) -> None:
    """Results of the same query share their column index until the columns change."""
    before = await session.execute(f"SELECT * FROM {people} WHERE team = 'a'")
    assert before.column_names == ["team", "id", "age", "name"]
    await session.execute(f"ALTER TABLE {people} ADD nickname text", timeout=60)
    after = await session.execute(f"SELECT * FROM {people} WHERE team = 'a'")
    assert after.column_names == ["team", "id", "age", "name", "nickname"]
    assert after.column_types == ["text", "int", "int", "text", "text"]
    first = after.one()
    assert first is not None
    assert first.nickname is None
    assert first["name"] == "ann"
    # Same names, different order: positions must follow this result, not a cached one.
    swapped = (await session.execute(f"SELECT name, age FROM {people} WHERE team = 'a'")).one()
    plain = (await session.execute(f"SELECT age, name FROM {people} WHERE team = 'a'")).one()
    assert swapped is not None
    assert plain is not None
    assert (swapped.name, swapped.age, plain.name, plain.age) == ("ann", 30, "ann", 30)


async def test_column_names_of_an_empty_result(session: AsyncSession, people: str) -> None:
    rs = await session.execute(f"SELECT id, name FROM {people} WHERE team = ?", ["nobody"])
    assert rs.column_names == ["id", "name"]
    assert rs.column_types == ["int", "text"]


async def test_statement_without_rows_has_an_empty_result(
    session: AsyncSession, people: str
) -> None:
    rs = await session.execute(
        f"INSERT INTO {people} (team, id, name) VALUES (?, ?, ?)", ["b", 1, "x"]
    )
    assert len(rs) == 0
    assert not rs
    assert rs.one() is None
    assert rs.column_names == []
    assert rs.column_types == []


async def test_aggregate_result(session: AsyncSession, people: str) -> None:
    rs = await session.execute(
        f"SELECT count(*) AS n, max(age) AS oldest FROM {people} WHERE team = 'a'"
    )
    assert rs.column_names == ["n", "oldest"]
    assert rs.column_types == ["bigint", "int"]
    assert rs.one() == (3, 41)


# --- Row ---------------------------------------------------------------------------------------


async def test_row_access_by_attribute_index_and_key(session: AsyncSession, people: str) -> None:
    row = (await _select(session, people)).one()
    assert row is not None
    assert (row.id, row.name, row.age) == (1, "ann", 30)
    assert (row[0], row[1], row[2]) == (1, "ann", 30)
    assert row[-1] == 30
    assert row[0:2] == (1, "ann")
    assert (row["id"], row["name"], row["age"]) == (1, "ann", 30)
    assert row.get("name") == "ann"
    assert row.get("missing") is None
    assert row.get("missing", "dflt") == "dflt"


async def test_row_is_a_sequence(session: AsyncSession, people: str) -> None:
    row = (await _select(session, people)).one()
    assert row is not None
    assert len(row) == 3
    assert list(row) == [1, "ann", 30]
    id_, name, age = row
    assert (id_, name, age) == (1, "ann", 30)
    assert "ann" in row
    assert "bob" not in row


async def test_row_asdict_is_ordered_like_the_select(session: AsyncSession, people: str) -> None:
    row = (await session.execute(f"SELECT name, age, id FROM {people} WHERE team = 'a'")).one()
    assert row is not None
    as_dict = row._asdict()
    assert isinstance(as_dict, dict)
    assert list(as_dict.items()) == [("name", "ann"), ("age", 30), ("id", 1)]
    as_dict["name"] = "changed"
    assert row.name == "ann"


async def test_row_fields_keys_values_items(session: AsyncSession, people: str) -> None:
    row = (await _select(session, people)).one()
    assert row is not None
    assert row._fields == ("id", "name", "age")
    assert row.keys() == ("id", "name", "age")
    assert row.values() == (1, "ann", 30)
    assert row.items() == [("id", 1), ("name", "ann"), ("age", 30)]


async def test_row_equals_tuples_and_rows(session: AsyncSession, people: str) -> None:
    rs = await _select(session, people)
    first, second = rs[0], rs[1]
    assert first == (1, "ann", 30)
    assert (1, "ann", 30) == first  # noqa: SIM300 (the reflected comparison is the point)
    assert first != (1, "ann", 31)
    assert first != (1, "ann")
    assert first != [1, "ann", 30]
    assert first == (await _select(session, people))[0]
    assert first != second
    assert first < second
    assert hash(first) == hash((1, "ann", 30))
    assert len({first, (await _select(session, people))[0]}) == 1


async def test_row_repr_names_columns(session: AsyncSession, people: str) -> None:
    rs = await _select(session, people)
    assert repr(rs[0]) == "Row(id=1, name='ann', age=30)"
    assert repr(rs[2]) == "Row(id=3, name='cid', age=None)"


async def test_unknown_column_attribute_raises_attribute_error(
    session: AsyncSession, people: str
) -> None:
    row = (await _select(session, people)).one()
    assert row is not None
    with pytest.raises(AttributeError, match="nickname") as info:
        _ = row.nickname
    # The message lists the columns there are.
    assert "'id', 'name', 'age'" in str(info.value)
    assert not hasattr(row, "nickname")
    assert getattr(row, "nickname", "fallback") == "fallback"


async def test_unknown_column_key_raises_key_error(session: AsyncSession, people: str) -> None:
    row = (await _select(session, people)).one()
    assert row is not None
    with pytest.raises(KeyError, match="nickname"):
        row["nickname"]
    with pytest.raises(IndexError):
        row[3]


async def test_null_column_is_none(session: AsyncSession, people: str) -> None:
    row = (await session.execute(f"SELECT age FROM {people} WHERE team = 'a' AND id = 3")).one()
    assert row is not None
    assert row.age is None
    assert row == (None,)


async def test_quoted_column_names(session: AsyncSession, table_name: str) -> None:
    await session.execute(f'CREATE TABLE {table_name} (k int PRIMARY KEY, "Mixed Case" text)')
    await session.execute(f"INSERT INTO {table_name} (k, \"Mixed Case\") VALUES (1, 'x')")
    rs = await session.execute(f"SELECT * FROM {table_name}")
    assert rs.column_names == ["k", "Mixed Case"]
    row = rs.one()
    assert row is not None
    assert row["Mixed Case"] == "x"
    assert getattr(row, "Mixed Case") == "x"


# --- lightweight transactions ------------------------------------------------------------------


@pytest.fixture
async def kv(session: AsyncSession, table_name: str) -> str:
    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY, v int, note text)")
    return table_name


async def test_insert_if_not_exists(session: AsyncSession, kv: str) -> None:
    insert = f"INSERT INTO {kv} (k, v, note) VALUES (?, ?, ?) IF NOT EXISTS"

    first = await session.execute(insert, [1, 10, "first"])
    assert first.was_applied is True
    assert first.column_names[0] == "[applied]"

    second = await session.execute(insert, [1, 20, "second"])
    assert second.was_applied is False
    # The row that prevented the insert comes back with the result.
    existing = second.one()
    assert existing is not None
    assert existing["[applied]"] is False
    assert (existing.k, existing.v, existing.note) == (1, 10, "first")

    rows = (await session.execute(f"SELECT k, v, note FROM {kv}")).all()
    assert rows == [(1, 10, "first")]


async def test_conditional_update(session: AsyncSession, kv: str) -> None:
    await session.execute(f"INSERT INTO {kv} (k, v) VALUES (1, 10)")
    update = await session.prepare(f"UPDATE {kv} SET v = ? WHERE k = ? IF v = ?")

    applied = await session.execute(update, [11, 1, 10])
    assert applied.was_applied is True

    refused = await session.execute(update, [12, 1, 10])
    assert refused.was_applied is False
    current = refused.one()
    assert current is not None
    assert current.v == 11

    row = (await session.execute(f"SELECT v FROM {kv} WHERE k = 1")).one()
    assert row == (11,)


async def test_update_if_exists_on_a_missing_row(session: AsyncSession, kv: str) -> None:
    rs = await session.execute(f"UPDATE {kv} SET v = ? WHERE k = ? IF EXISTS", [1, 404])
    assert rs.was_applied is False
    assert (await session.execute(f"SELECT * FROM {kv}")).all() == []


async def test_delete_if(session: AsyncSession, kv: str) -> None:
    await session.execute(f"INSERT INTO {kv} (k, v) VALUES (1, 10)")
    assert (await session.execute(f"DELETE FROM {kv} WHERE k = 1 IF v = 99")).was_applied is False
    assert (await session.execute(f"DELETE FROM {kv} WHERE k = 1 IF v = 10")).was_applied is True
    assert (await session.execute(f"SELECT * FROM {kv}")).all() == []


async def test_was_applied_outside_a_lightweight_transaction_raises(
    session: AsyncSession, kv: str
) -> None:
    await session.execute(f"INSERT INTO {kv} (k, v) VALUES (1, 10)")
    for rs in (
        await session.execute(f"SELECT k, v FROM {kv}"),
        await session.execute(f"INSERT INTO {kv} (k, v) VALUES (2, 20)"),
    ):
        with pytest.raises(RuntimeError, match="lightweight transaction"):
            _ = rs.was_applied


# --- results larger than one page --------------------------------------------------------------


@pytest.fixture(scope="module")
async def big_partition(session: AsyncSession) -> tuple[str, int]:
    """One partition with more rows than fit in a page; returns (table, row count)."""
    table_name = f"t_big_{uuid.uuid4().hex[:12]}"
    count = PAGE_SIZE + 1234
    await session.execute(
        f"CREATE TABLE {table_name} (p int, c int, v text, PRIMARY KEY (p, c))"
        " WITH CLUSTERING ORDER BY (c ASC)"
    )
    insert = await session.prepare(f"INSERT INTO {table_name} (p, c, v) VALUES (0, ?, ?)")
    chunk = 500
    # Inserted in descending order so that the order read back comes from the server.
    order = list(range(count - 1, -1, -1))
    for start in range(0, count, chunk):
        await asyncio.gather(
            *(session.execute(insert, [c, f"v{c}"]) for c in order[start : start + chunk])
        )
    return table_name, count


async def test_multi_page_result_returns_every_row_in_order(
    session: AsyncSession, big_partition: tuple[str, int]
) -> None:
    table, count = big_partition
    expected = [(c, f"v{c}") for c in range(count)]

    unprepared = await session.execute(f"SELECT c, v FROM {table} WHERE p = 0")
    assert len(unprepared) == count
    assert unprepared.all() == expected

    bound = await session.execute(f"SELECT c, v FROM {table} WHERE p = ?", [0])
    assert bound.all() == expected

    prepared = await session.prepare(f"SELECT c, v FROM {table} WHERE p = ?")
    rs = await session.execute(prepared, [0])
    assert [row async for row in rs] == expected
    assert rs[PAGE_SIZE] == (PAGE_SIZE, f"v{PAGE_SIZE}")


async def test_multi_page_result_with_an_exact_multiple_of_the_page_size(
    session: AsyncSession, big_partition: tuple[str, int]
) -> None:
    table, _ = big_partition
    rs = await session.execute(f"SELECT c FROM {table} WHERE p = 0 AND c < ?", [PAGE_SIZE])
    assert [row.c for row in rs] == list(range(PAGE_SIZE))


async def test_a_result_names_the_node_that_coordinated_it(
    session: AsyncSession, contact_points: list[str]
) -> None:
    rs = await session.execute("SELECT key FROM system.local")
    assert rs.coordinator == contact_points[0]
    page = await session.execute_page("SELECT * FROM system_schema.tables", fetch_size=2)
    assert page.coordinator == contact_points[0]
    assert (await page.fetch_next_page()).coordinator == contact_points[0]

"""Paging: `execute` returns every page; `execute_page` returns one, with a resumable token.

The token is what a REST API hands to its client as a cursor, so it is checked the way it is
used: through a URL, in a new session, and in a new process.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
import urllib.parse

import pytest

from aiocql import (
    AsyncCluster,
    AsyncResultSet,
    AsyncSession,
    BatchStatement,
    ProtocolException,
    QueryExhausted,
    SimpleStatement,
)

PAGE = 100
BIG_TABLE_ROWS = 100_000  # conftest's big_table
KEYSPACE = "aiocql_test"


async def _fill(session: AsyncSession, table: str, count: int, p: int = 1) -> None:
    insert = await session.prepare(f"INSERT INTO {table} (p, c, v) VALUES (?, ?, ?)")
    await session.execute_concurrent(insert, ((p, c, f"v{c}") for c in range(count)))


async def _all_pages(first: AsyncResultSet) -> tuple[list[int], int]:
    """Follows fetch_next_page to the end; returns the clustering keys and the page count."""
    keys = [row.c for row in first]
    pages = 1
    page = first
    while page.has_more_pages:
        page = await page.fetch_next_page()
        keys.extend(row.c for row in page)
        pages += 1
    assert page.paging_state is None
    assert page.paging_token is None
    return keys, pages


@pytest.mark.parametrize("count", [0, 1, PAGE, PAGE * 25 + 7])
async def test_execute_returns_every_row_of_every_page(
    session: AsyncSession, rows_table: str, count: int
) -> None:
    await _fill(session, rows_table, count)
    stmt = SimpleStatement(f"SELECT c FROM {rows_table} WHERE p = ?", fetch_size=PAGE)
    rs = await session.execute(stmt, [1])
    assert [row.c for row in rs] == list(range(count))
    assert len(rs) == count
    assert len(rs.all()) == count
    assert rs.has_more_pages is False
    assert rs.paging_state is None


async def test_execute_returns_100k_rows(session: AsyncSession, big_table: str) -> None:
    rs = await session.execute(f"SELECT p, c, v FROM {big_table}", timeout=60)
    assert len(rs) == BIG_TABLE_ROWS
    assert len({(row.p, row.c) for row in rs}) == BIG_TABLE_ROWS
    assert all(row.v == f"r{row.p}-{row.c}" for row in rs)


@pytest.mark.parametrize(("count", "pages"), [(0, 1), (1, 1), (PAGE, 2), (PAGE * 25 + 7, 26)])
async def test_execute_page_returns_one_page_and_follows_to_the_end(
    session: AsyncSession, rows_table: str, count: int, pages: int
) -> None:
    await _fill(session, rows_table, count)
    first = await session.execute_page(
        f"SELECT c FROM {rows_table} WHERE p = ?", [1], fetch_size=PAGE
    )
    assert len(first) == min(count, PAGE)
    # Exactly one full page: the server cannot know it was the last, so one empty page follows.
    keys, fetched = await _all_pages(first)
    assert keys == list(range(count))
    assert fetched == pages


async def test_100k_rows_page_by_page(session: AsyncSession, big_table: str) -> None:
    page = await session.execute_page(f"SELECT p, c FROM {big_table}", fetch_size=5000)
    seen: set[tuple[int, int]] = set()
    pages = 0
    while True:
        pages += 1
        assert len(page) <= 5000
        seen.update((row.p, row.c) for row in page)
        if not page.has_more_pages:
            break
        page = await session.execute_page(
            f"SELECT p, c FROM {big_table}", fetch_size=5000, paging_state=page.paging_token
        )
    assert len(seen) == BIG_TABLE_ROWS
    assert pages >= BIG_TABLE_ROWS // 5000


async def test_token_survives_a_url_and_a_new_session(
    cluster: AsyncCluster, session: AsyncSession, rows_table: str
) -> None:
    await _fill(session, rows_table, 250)
    query = f"SELECT c FROM {rows_table} WHERE p = ?"
    first = await session.execute_page(query, [1], fetch_size=PAGE)
    token = first.paging_token
    assert token is not None
    url = "https://api.example/items?" + urllib.parse.urlencode({"cursor": token})
    assert urllib.parse.quote(token, safe="") == token, "the token needs no URL escaping"
    cursor = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["cursor"][0]

    other = await cluster.connect(KEYSPACE)
    try:
        second = await other.execute_page(query, [1], fetch_size=PAGE, paging_state=cursor)
    finally:
        await other.close()
    assert [row.c for row in second] == list(range(PAGE, 2 * PAGE))
    # The bytes and the token are the same state.
    again = await session.execute_page(query, [1], fetch_size=PAGE, paging_state=first.paging_state)
    assert [row.c for row in again] == [row.c for row in second]


async def test_token_survives_a_process_restart(
    session: AsyncSession, rows_table: str, contact_points: list[str]
) -> None:
    await _fill(session, rows_table, 250)
    query = f"SELECT c FROM {rows_table} WHERE p = 1"
    first = await session.execute_page(query, fetch_size=PAGE)
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from aiocql import AsyncCluster

        async def main():
            async with AsyncCluster({contact_points!r}) as cluster:
                session = await cluster.connect({KEYSPACE!r})
                page = await session.execute_page({query!r}, fetch_size={PAGE},
                                                  paging_state=sys.argv[1])
                print(",".join(str(row.c) for row in page), page.paging_token or "")

        asyncio.run(main())
        """
    )
    assert first.paging_token is not None
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        first.paging_token,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 0, err.decode()
    keys, next_token = out.decode().split()
    assert [int(k) for k in keys.split(",")] == list(range(PAGE, 2 * PAGE))
    third = await session.execute_page(query, fetch_size=PAGE, paging_state=next_token)
    assert [row.c for row in third] == list(range(2 * PAGE, 250))
    assert not third.has_more_pages


async def test_execute_with_a_paging_state_returns_the_rest(
    session: AsyncSession, rows_table: str
) -> None:
    await _fill(session, rows_table, 250)
    query = f"SELECT c FROM {rows_table} WHERE p = ?"
    first = await session.execute_page(query, [1], fetch_size=PAGE)
    rest = await session.execute(query, [1], paging_state=first.paging_token)
    assert [row.c for row in rest] == list(range(PAGE, 250))


async def test_prepared_and_bound_statements_page_with_their_row_factory(
    session: AsyncSession, rows_table: str
) -> None:
    await _fill(session, rows_table, 250)
    prepared = await session.prepare(f"SELECT c, v FROM {rows_table} WHERE p = ?")
    first = await session.execute_page(prepared, [1], fetch_size=PAGE, row_factory=dict)
    assert first[0] == {"c": 0, "v": "v0"}
    second = await first.fetch_next_page()
    assert second[0] == {"c": PAGE, "v": f"v{PAGE}"}, "the next page keeps the row factory"
    bound = prepared.bind([1])
    keys, pages = await _all_pages(await session.execute_page(bound, fetch_size=120))
    assert keys == list(range(250))
    assert pages == 3


async def test_fetch_next_page_after_the_last_page_raises_query_exhausted(
    session: AsyncSession, rows_table: str
) -> None:
    await _fill(session, rows_table, 3)
    page = await session.execute_page(f"SELECT c FROM {rows_table}", fetch_size=PAGE)
    assert not page.has_more_pages
    with pytest.raises(QueryExhausted, match="last page"):
        page.fetch_next_page()
    full = await session.execute(f"SELECT c FROM {rows_table}")
    with pytest.raises(QueryExhausted):
        full.fetch_next_page()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"paging_state": "not base64!"}, ValueError, "paging_state"),
        ({"paging_state": 42}, TypeError, "paging_state must be bytes"),
        ({"paging_state": b""}, ValueError, "paging_state is empty"),
        ({"fetch_size": 0}, ValueError, "fetch_size must be a positive"),
        ({"fetch_size": -5}, ValueError, "fetch_size must be a positive"),
    ],
)
async def test_bad_paging_arguments_are_refused_before_any_io(
    session: AsyncSession, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        session.execute_page("SELECT * FROM system.local", **kwargs)  # type: ignore[arg-type]


async def test_execute_page_refuses_a_batch(session: AsyncSession) -> None:
    with pytest.raises(TypeError, match="execute_batch"):
        session.execute_page(BatchStatement())
    with pytest.raises(TypeError, match="no pages"):
        session.execute(BatchStatement(), paging_state=b"x")


async def test_a_forged_paging_state_is_refused_by_the_server(
    session: AsyncSession, rows_table: str
) -> None:
    await _fill(session, rows_table, 10)
    with pytest.raises(ProtocolException, match="paging state"):
        await session.execute_page(
            f"SELECT c FROM {rows_table}", fetch_size=PAGE, paging_state=b"\x00\x01garbage"
        )

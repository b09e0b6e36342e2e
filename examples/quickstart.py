"""Quickstart: create a keyspace and a table, insert rows, read them back.

Run it with ``make demo`` (starts a local Cassandra node if none is running), or against your
own cluster: ``python examples/quickstart.py [host[:port] ...]``.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import datetime, timezone

from aiocql import AsyncCluster

KEYSPACE = "aiocql_quickstart"


async def main(contact_points: list[str]) -> None:
    async with AsyncCluster(contact_points, connect_timeout=30) as cluster:
        session = await cluster.connect()
        await session.execute(
            f"CREATE KEYSPACE IF NOT EXISTS {KEYSPACE} WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 1}",
            timeout=60,
        )
        await session.set_keyspace(KEYSPACE)
        await session.execute(
            """
            CREATE TABLE IF NOT EXISTS users (
                user_id uuid PRIMARY KEY,
                name text,
                email text,
                tags set<text>,
                created_at timestamp
            )
            """,
            timeout=60,
        )

        insert = await session.prepare(
            "INSERT INTO users (user_id, name, email, tags, created_at) VALUES (?, ?, ?, ?, ?)"
        )
        people = [
            ("Ada Lovelace", "ada@example.com", {"math", "poetry"}),
            ("Alan Turing", "alan@example.com", {"math", "computing"}),
            ("Grace Hopper", "grace@example.com", {"computing", "navy"}),
        ]
        # Ids derived from the e-mail address: running the example again overwrites the rows.
        ids = [uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{email}") for _, email, _ in people]
        now = datetime.now(timezone.utc)
        # The inserts run concurrently; none of them blocks the event loop.
        await asyncio.gather(
            *(
                session.execute(insert, (user_id, name, email, tags, now))
                for user_id, (name, email, tags) in zip(ids, people, strict=True)
            )
        )

        select = await session.prepare("SELECT name, email, tags FROM users WHERE user_id = ?")
        for user_id in ids:
            row = (await session.execute(select, [user_id])).one()
            assert row is not None
            print(f"{row.name:<14} {row['email']:<18} {sorted(row.tags)}")

        count = (await session.execute("SELECT count(*) FROM users")).one()
        assert count is not None
        print(f"{count[0]} users in {KEYSPACE}.users")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or ["127.0.0.1"]))

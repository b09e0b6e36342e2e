"""Logging in with PasswordAuthenticator, and what a refused login or permission looks like.

These tests need a node started with ``--auth`` (``make test`` runs them in a second phase:
``python -m aiocql.testing run --auth``); conftest runs only them on such a node, and only the
others on a node without authentication.
"""

from __future__ import annotations

import uuid

import pytest

import aiocql
from aiocql import AsyncCluster

pytestmark = pytest.mark.auth_profile

SUPERUSER = ("cassandra", "cassandra")  # the node's default superuser


async def test_valid_credentials_log_in(contact_points: list[str]) -> None:
    async with AsyncCluster.create_with_auth(contact_points, *SUPERUSER) as cluster:
        session = await cluster.connect()
        row = (
            await session.execute(
                "SELECT role FROM system_auth.roles WHERE role = ?", ["cassandra"]
            )
        ).one()
        assert row is not None
        assert row.role == "cassandra"


async def test_a_wrong_password_is_authentication_failed_per_host(
    contact_points: list[str],
) -> None:
    secret = "wrong-" + uuid.uuid4().hex
    async with AsyncCluster(
        contact_points, username="cassandra", password=secret, connect_timeout=20
    ) as cluster:
        with pytest.raises(aiocql.NoHostAvailable) as info:
            await cluster.connect()
    exc = info.value
    assert "authentication failed" in str(exc)
    assert "are incorrect" in str(exc)
    assert set(exc.errors) == set(contact_points)
    for reason in exc.errors.values():
        assert isinstance(reason, aiocql.AuthenticationFailed)
        assert "cassandra" in str(reason)
    assert isinstance(exc.__cause__, aiocql.AuthenticationFailed)
    assert secret not in str(exc)
    assert secret not in repr(exc)


async def test_missing_credentials_say_how_to_pass_them(contact_points: list[str]) -> None:
    async with AsyncCluster(contact_points, connect_timeout=20) as cluster:
        with pytest.raises(aiocql.NoHostAvailable) as info:
            await cluster.connect()
    (reason,) = info.value.errors.values()
    assert isinstance(reason, aiocql.AuthenticationFailed)
    assert "pass username= and password=" in str(reason)


async def test_a_role_without_permission_is_unauthorized(contact_points: list[str]) -> None:
    role = f"reader_{uuid.uuid4().hex[:8]}"
    async with AsyncCluster.create_with_auth(contact_points, *SUPERUSER) as admin_cluster:
        admin = await admin_cluster.connect()
        await admin.execute(
            f"CREATE ROLE {role} WITH PASSWORD = 'pw-{role}' AND LOGIN = true", timeout=60
        )
        await admin.execute(
            "CREATE KEYSPACE IF NOT EXISTS aiocql_auth WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 1}",
            timeout=60,
        )
        await admin.execute(
            "CREATE TABLE IF NOT EXISTS aiocql_auth.t (k int PRIMARY KEY)", timeout=60
        )
        try:
            async with AsyncCluster.create_with_auth(contact_points, role, f"pw-{role}") as cluster:
                session = await cluster.connect()
                with pytest.raises(aiocql.Unauthorized) as info:
                    await session.execute("SELECT * FROM aiocql_auth.t")
                assert info.value.code == 0x2100
                assert role in str(info.value)
                # The session goes on serving what the role may read.
                assert (await session.execute("SELECT key FROM system.local")).one() is not None
        finally:
            await admin.execute(f"DROP ROLE {role}", timeout=60)


async def test_a_plain_text_auth_provider_logs_in_and_hides_its_password(
    contact_points: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    from aiocql.auth import PlainTextAuthProvider

    async with AsyncCluster(
        contact_points, auth_provider=PlainTextAuthProvider(*SUPERUSER)
    ) as cluster:
        session = await cluster.connect()
        assert (await session.execute("SELECT key FROM system.local")).one() is not None
    secret = "wrong-" + uuid.uuid4().hex
    provider = PlainTextAuthProvider("cassandra", secret)
    with caplog.at_level("DEBUG"):
        async with AsyncCluster(
            contact_points, auth_provider=provider, connect_timeout=20
        ) as cluster:
            with pytest.raises(aiocql.NoHostAvailable) as info:
                await cluster.connect()
            shown = [repr(cluster), repr(provider), str(info.value), repr(info.value)]
    shown += [repr(e) for e in info.value.errors.values()]
    shown += [record.getMessage() for record in caplog.records]
    assert all(isinstance(e, aiocql.AuthenticationFailed) for e in info.value.errors.values())
    assert not [text for text in shown if secret in text]

"""StreamConfig, create_streaming_statement and ExecutionResult: async-cassandra's and
cassandra-driver's shapes, checked without a server."""

from __future__ import annotations

import dataclasses

import pytest

from aiocql import (
    ConsistencyLevel,
    ExecutionResult,
    SimpleStatement,
    StreamConfig,
    create_streaming_statement,
)


def test_stream_config_defaults_are_async_cassandras() -> None:
    config = StreamConfig()
    assert (config.fetch_size, config.max_pages, config.page_callback) == (1000, None, None)
    assert config.timeout_seconds is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.fetch_size = 10  # type: ignore[misc]


def test_create_streaming_statement_sets_page_size_and_consistency() -> None:
    stmt = create_streaming_statement(
        "SELECT * FROM t", fetch_size=250, consistency_level=ConsistencyLevel.LOCAL_QUORUM
    )
    assert isinstance(stmt, SimpleStatement)
    assert stmt.query_string == "SELECT * FROM t"
    assert stmt.fetch_size == 250
    assert stmt.consistency_level == ConsistencyLevel.LOCAL_QUORUM
    assert create_streaming_statement("SELECT 1").fetch_size == 1000


def test_execution_result_unpacks_like_cassandra_drivers() -> None:
    error = ValueError("bad")
    success, result_or_exc = ExecutionResult(False, error)
    assert success is False
    assert result_or_exc is error
    assert ExecutionResult(True, error)._fields == ("success", "result_or_exc")

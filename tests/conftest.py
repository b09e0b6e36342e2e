"""Shared pytest set-up: which event loop the async tests run on.

``AIOCQL_TEST_LOOP=uvloop`` runs every async test on uvloop, otherwise on asyncio's default
loop; ``make test`` runs the integration suite under both.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping

import pytest


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    choice = os.environ.get("AIOCQL_TEST_LOOP", "asyncio")
    if choice == "uvloop":
        import uvloop

        return {"uvloop": uvloop.new_event_loop}
    if choice != "asyncio":
        raise pytest.UsageError(f"AIOCQL_TEST_LOOP must be asyncio or uvloop, got {choice!r}")
    return {"asyncio": asyncio.new_event_loop}


def pytest_report_header(config: pytest.Config) -> str:
    return f"aiocql event loop: {os.environ.get('AIOCQL_TEST_LOOP', 'asyncio')}"

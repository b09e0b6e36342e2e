"""AsyncCluster validates its settings before any I/O, with messages that name the setting."""

from __future__ import annotations

import math
from typing import Any

import pytest

from aiocql import AsyncCluster, ConfigurationError


def test_defaults() -> None:
    cluster = AsyncCluster()
    assert cluster.contact_points == ["127.0.0.1:9042"]
    assert not cluster.is_closed


@pytest.mark.parametrize(
    ("points", "port", "expected"),
    [
        (["10.0.0.1", "10.0.0.2"], 9042, ["10.0.0.1:9042", "10.0.0.2:9042"]),
        (["10.0.0.1:19042"], 9042, ["10.0.0.1:19042"]),
        (["db.example.com"], 9142, ["db.example.com:9142"]),
        (["::1"], 9042, ["[::1]:9042"]),
        (["[::1]:9043"], 9042, ["[::1]:9043"]),
        (("127.0.0.1" for _ in range(1)), 9042, ["127.0.0.1:9042"]),
    ],
)
def test_contact_points_are_normalised(points: Any, port: int, expected: list[str]) -> None:
    assert AsyncCluster(points, port).contact_points == expected


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"contact_points": "127.0.0.1"}, "contact_points"),
        ({"contact_points": []}, "contact_points"),
        ({"contact_points": [1]}, "contact_points"),
        ({"port": 0}, "port"),
        ({"port": 65536}, "port"),
        ({"port": True}, "port"),
        ({"port": "9042"}, "port"),
        ({"connect_timeout": 0}, "connect_timeout"),
        ({"connect_timeout": -1}, "connect_timeout"),
        ({"connect_timeout": "5"}, "connect_timeout"),
        ({"connect_timeout": math.nan}, "connect_timeout"),
        ({"request_timeout": 0}, "request_timeout"),
        ({"request_timeout": True}, "request_timeout"),
        ({"protocol_version": 3}, "protocol_version"),
        ({"protocol_version": 5}, "protocol_version"),
        ({"prepared_cache_size": -1}, "prepared_cache_size"),
        ({"prepared_cache_size": 1.5}, "prepared_cache_size"),
        ({"compression": "zstd"}, "compression"),
        ({"compression": 1}, "compression"),
        ({"username": "u"}, "username and password"),
        ({"username": 1, "password": "p"}, "username"),
    ],
)
def test_invalid_settings_raise_configuration_error(kwargs: dict[str, Any], names: str) -> None:
    with pytest.raises(ConfigurationError, match=names):
        AsyncCluster(**kwargs)


def test_configuration_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="port"):
        AsyncCluster(port=-5)


def test_an_unknown_option_is_refused_with_the_accepted_names() -> None:
    with pytest.raises(ConfigurationError, match="contact_pionts") as info:
        AsyncCluster(contact_pionts=["127.0.0.1"])
    assert "contact_points" in str(info.value)
    assert "load_balancing_policy" in str(info.value)


@pytest.mark.parametrize(
    ("option", "instead"),
    [
        ("executor_threads", "no executor threads"),
        ("reconnection_policy", "exponential backoff from 50 ms to 10 s"),
        ("ssl_context", r"cannot use a Python ssl.SSLContext; .* as ssl_options="),
    ],
)
def test_options_aiocql_cannot_honour_raise_and_say_what_to_do(option: str, instead: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{option} is not supported: .*{instead}"):
        AsyncCluster(**{option: object()})


@pytest.mark.parametrize(
    "option",
    [
        "idle_heartbeat_interval",
        "idle_heartbeat_timeout",
        "max_schema_agreement_wait",
        "control_connection_timeout",
    ],
)
def test_cassandra_driver_timing_options_are_validated(option: str) -> None:
    AsyncCluster(**{option: 30})
    AsyncCluster(**{option: 0.5})
    for bad in (-1, "30", math.inf, True):
        with pytest.raises(ConfigurationError, match=option):
            AsyncCluster(**{option: bad})


@pytest.mark.parametrize("compression", [None, "lz4", "snappy", True, False])
def test_supported_compression(compression: str | bool | None) -> None:
    AsyncCluster(compression=compression)


def test_create_with_auth_keeps_other_settings() -> None:
    cluster = AsyncCluster.create_with_auth(["10.1.1.1"], "user", "secret", port=9999)
    assert cluster.contact_points == ["10.1.1.1:9999"]


async def test_constructor_does_no_io_and_shutdown_without_connect_is_fine() -> None:
    # An unroutable address: a constructor that connected would fail or hang here.
    cluster = AsyncCluster(["192.0.2.1"], connect_timeout=0.1)
    await cluster.shutdown()
    await cluster.shutdown()
    assert cluster.is_closed

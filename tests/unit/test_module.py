"""What the installed package promises: version, exports, typing marker."""

from __future__ import annotations

import re
from pathlib import Path

import aiocql

ROOT = Path(__file__).resolve().parents[2]


def test_version_matches_cargo_toml() -> None:
    cargo = (ROOT / "Cargo.toml").read_text()
    match = re.search(r'^version = "([^"]+)"', cargo, re.MULTILINE)
    assert match is not None
    assert aiocql.__version__ == match.group(1)


def test_all_names_exist() -> None:
    for name in aiocql.__all__:
        assert hasattr(aiocql, name), name


def test_async_cassandra_names() -> None:
    assert aiocql.AsyncCassandraSession is aiocql.AsyncSession


def test_package_is_typed() -> None:
    package = Path(aiocql.__file__).parent
    assert (package / "py.typed").exists()
    assert (package / "_native.pyi").exists()

"""python -m aiocql.testing: argument parsing, and the verbs that need no JVM."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiocql.testing import Profile
from aiocql.testing.cli import main, parser, profile_from_args


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIOCQL_CACHE", str(tmp_path))
    for name in ("AIOCQL_CASSANDRA_HEAP", "AIOCQL_CASSANDRA_VERSION"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("argv", "profile"),
    [
        (["status"], Profile()),
        (["start", "--nodes", "3", "--auth"], Profile(3, auth=True)),
        (["env", "--mtls"], Profile(mtls=True)),
        (["wait", "--nodes", "5", "--tls"], Profile(5, tls=True)),
        (["status", "--topology", "a:r1,b:r1"], Profile(2, topology="a:r1,b:r1")),
    ],
)
def test_shape_flags_select_the_profile(argv: list[str], profile: Profile) -> None:
    assert profile_from_args(parser().parse_args(argv)) == profile


@pytest.mark.parametrize(
    "profile",
    [Profile(), Profile(3, auth=True), Profile(1, mtls=True), Profile(2, topology="a:r,b:r")],
)
def test_cli_flags_select_the_same_profile_again(profile: Profile) -> None:
    args = parser().parse_args(["status", *profile.cli_flags()])
    assert profile_from_args(args) == profile


def test_node_ids_and_remainders() -> None:
    args = parser().parse_args(["kill", "--nodes", "3", "2", "3"])
    assert args.ids == [2, 3]
    args = parser().parse_args(["nodetool", "--nodes", "3", "1", "status", "-r"])
    assert (args.node, args.args) == (1, ["status", "-r"])
    args = parser().parse_args(["run", "--auth", "--", "make", "-k", "x"])
    assert args.command == ["--", "make", "-k", "x"]
    assert parser().parse_args(["stop", "--grace", "5"]).grace == 5.0


@pytest.mark.parametrize("nodes", ["0", "255", "x"])
def test_bad_node_counts_are_usage_errors(nodes: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        parser().parse_args(["start", "--nodes", nodes])
    assert info.value.code == 2
    assert "1..254" in capsys.readouterr().err


def test_env_prints_the_profiles_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["env", "--auth", "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"export AIOCQL_CACHE={tmp_path}" in lines
    assert "export AIOCQL_TEST_CONTACT_POINTS=127.1.0.1:9042" in lines
    assert "export AIOCQL_TEST_PROFILE=single-auth" in lines


def test_run_without_a_command_fails_before_starting_anything(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert main(["run", "--"]) == 1
    assert "run needs a command" in caplog.text
    assert not (tmp_path / "clusters").exists()


def test_a_node_the_profile_lacks_is_an_error(caplog: pytest.LogCaptureFixture) -> None:
    assert main(["logs", "--nodes", "3", "4"]) == 1
    assert "no node 4 in profile 'three'" in caplog.text


def test_status_of_a_stopped_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--nodes", "2", "--topology", "dc1:r1,dc2:r1"]) == 0
    out = capsys.readouterr().out
    address = Profile(2, topology="dc1:r1,dc2:r1").address(2)
    assert f"node2 {address}:9042 dc2/r1: stopped, CQL down" in out


def test_wipe_all_of_an_empty_cache(tmp_path: Path) -> None:
    assert main(["wipe", "--all", "-q"]) == 0

"""aiocql.testing profiles: names, addresses, topology, and the AIOCQL_TEST_* round trip."""

from __future__ import annotations

import itertools

import pytest

from aiocql.testing import MAX_NODES, ClusterError, Placement, Profile, Topology

FLAGS = [
    {},
    {"auth": True},
    {"tls": True},
    {"auth": True, "tls": True},
    {"mtls": True},
    {"auth": True, "mtls": True},
]


@pytest.mark.parametrize(
    ("profile", "name"),
    [
        (Profile(), "single"),
        (Profile(2), "two"),
        (Profile(3, auth=True), "three-auth"),
        (Profile(1, tls=True), "single-tls"),
        (Profile(1, auth=True, mtls=True), "single-auth-mtls"),
        (Profile(5), "n5"),
        (Profile(12, mtls=True), "n12-mtls"),
    ],
)
def test_names(profile: Profile, name: str) -> None:
    assert profile.name == name


def test_mtls_implies_tls() -> None:
    profile = Profile(mtls=True)
    assert profile.tls
    assert profile == Profile(tls=True, mtls=True)


def test_the_single_profile_stays_where_readme_and_examples_look() -> None:
    assert Profile().contact_points() == ["127.0.0.1:9042"]
    assert Profile.from_env({}).contact_points() == ["127.0.0.1:9042"]


def test_five_nodes_get_five_consecutive_addresses() -> None:
    assert Profile(5).addresses() == [f"127.0.5.{n}" for n in range(1, 6)]
    assert Profile(5, auth=True).contact_points()[-1] == "127.1.5.5:9042"


def test_no_two_profiles_share_an_address() -> None:
    # A plain node started by hand must never block another profile (e.g. the auth phase).
    profiles = [Profile(n, **flags) for n, flags in itertools.product((1, 2, 3, 5, 20), FLAGS)]
    seen: dict[str, str] = {}
    for profile in profiles:
        for address in profile.addresses():
            assert address not in seen, f"{profile.name} and {seen[address]} share {address}"
            seen[address] = profile.name


def test_node_count_limits() -> None:
    assert Profile(MAX_NODES).address(MAX_NODES) == "127.0.254.254"
    for bad in (0, MAX_NODES + 1, -1):
        with pytest.raises(ClusterError, match="nodes must be"):
            Profile(bad)
    with pytest.raises(ClusterError, match="no node 4"):
        Profile(3).address(4)


def test_default_topology_is_datacenter1_rack1() -> None:
    profile = Profile(3)
    assert profile.topology.is_default
    assert {profile.placement(n) for n in profile.node_ids} == {Placement("datacenter1", "rack1")}
    assert profile.topology.datacenters() == {"datacenter1": [1, 2, 3]}


def test_topology_places_each_node() -> None:
    profile = Profile(3, topology="dc1:r1, dc1:r2,dc2:r1")
    assert profile.placement(2) == Placement("dc1", "r2")
    assert profile.topology.datacenters() == {"dc1": [1, 2], "dc2": [3]}
    assert profile.name.startswith("three-2dc-")
    assert profile.addresses() != Profile(3).addresses()  # its own addresses


def test_different_topologies_are_different_profiles() -> None:
    a = Profile(2, topology="dc1:r1,dc2:r1")
    b = Profile(2, topology="dc1:r1,dc2:r2")
    assert a.name != b.name != Profile(2).name


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("dc1:r1,dc2", "not DC:RACK"),
        ("dc 1:r1", "datacenter name"),
        ("dc1:r=1", "rack name"),
    ],
)
def test_bad_topologies_are_refused(spec: str, message: str) -> None:
    with pytest.raises(ClusterError, match=message):
        Topology.parse(spec)


def test_topology_must_place_every_node() -> None:
    with pytest.raises(ClusterError, match="places 2 nodes, not 3"):
        Profile(3, topology="dc1:r1,dc1:r2")


@pytest.mark.parametrize(
    "profile",
    [
        Profile(),
        Profile(3, auth=True),
        Profile(1, mtls=True),
        Profile(5, tls=True, topology="a:r1,a:r2,b:r1,b:r2,c:r1"),
        Profile(2, version="5.0.8", heap="512M"),
    ],
)
def test_env_round_trip(profile: Profile) -> None:
    env = profile.to_env()
    assert Profile.from_env(env) == profile
    assert env["AIOCQL_TEST_PROFILE"] == profile.name
    assert env["AIOCQL_TEST_CONTACT_POINTS"].split(",") == profile.contact_points()


def test_env_carries_the_credentials_of_auth_profiles() -> None:
    env = Profile(auth=True).to_env()
    assert (env["AIOCQL_TEST_USERNAME"], env["AIOCQL_TEST_PASSWORD"]) == ("cassandra", "cassandra")
    assert "AIOCQL_TEST_USERNAME" not in Profile().to_env()


def test_env_topology_alone_sets_the_node_count() -> None:
    assert Profile.from_env({"AIOCQL_TEST_TOPOLOGY": "a:r,b:r"}).nodes == 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AIOCQL_TEST_NODES": "three"}, "not a number"),
        ({"AIOCQL_TEST_NODES": "3", "AIOCQL_TEST_PROFILE": "single"}, "describe profile 'three'"),
    ],
)
def test_inconsistent_env_is_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ClusterError, match=message):
        Profile.from_env(env)


def test_a_topology_of_its_own_never_shares_the_default_profiles_addresses() -> None:
    two_dcs = Profile(3, topology="dc1:rack1,dc1:rack2,dc2:rack1")
    addresses = two_dcs.addresses()
    assert not set(addresses) & set(Profile(3).addresses())
    size = int(addresses[0].split(".")[2])
    assert 128 <= size <= 254
    assert [a.rsplit(".", 1)[1] for a in addresses] == ["1", "2", "3"]
    assert Profile(3, topology="dc1:rack1,dc1:rack2,dc2:rack1").addresses() == addresses

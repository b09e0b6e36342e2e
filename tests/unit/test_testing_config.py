"""aiocql.testing node configuration: cassandra.yaml, rackdc properties and tokens."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from aiocql.testing import Placement, Profile
from aiocql.testing.config import cassandra_yaml, initial_token, rackdc_properties, write_config
from aiocql.testing.jvm import server_command
from aiocql.testing.layout import ClusterLayout
from aiocql.testing.tls import ensure_server


def _yaml(profile: Profile, node: int, tmp_path: Path) -> dict[str, str]:
    layout = ClusterLayout(tmp_path, profile.name)
    text = cassandra_yaml(profile, node, layout.node(node), layout.shared_tls)
    return dict(re.findall(r"^[ -]*([a-z_]+):[ ]*(.*?)[ ]*(?:#.*)?$", text, re.MULTILINE))


def test_yaml_puts_each_node_on_its_address_with_every_node_a_seed(tmp_path: Path) -> None:
    profile = Profile(3)
    conf = _yaml(profile, 2, tmp_path)
    assert conf["listen_address"] == conf["rpc_address"] == "127.0.3.2"
    assert conf["native_transport_port"] == "9042"
    assert conf["seeds"] == '"127.0.3.1:7000,127.0.3.2:7000,127.0.3.3:7000"'
    assert conf["endpoint_snitch"] == "GossipingPropertyFileSnitch"
    assert conf["data_file_directories"] == f'[ "{tmp_path}/clusters/three/node2/data" ]'
    assert "authenticator" not in conf
    assert "client_encryption_options" not in conf


def test_yaml_gives_replicas_of_multi_node_profiles_more_time(tmp_path: Path) -> None:
    several = _yaml(Profile(3), 1, tmp_path)
    assert several["write_request_timeout"] == several["read_request_timeout"] == "8000ms"
    assert several["counter_write_request_timeout"] == "8000ms"
    assert "write_request_timeout" not in _yaml(Profile(), 1, tmp_path)


def test_yaml_of_auth_profiles_enables_password_authentication(tmp_path: Path) -> None:
    conf = _yaml(Profile(auth=True), 1, tmp_path)
    assert conf["listen_address"] == "127.1.0.1"
    assert conf["authenticator"] == "PasswordAuthenticator"
    assert conf["authorizer"] == "CassandraAuthorizer"


def test_yaml_of_tls_profiles_serves_the_nodes_pem_with_the_pem_factory(tmp_path: Path) -> None:
    conf = _yaml(Profile(3, tls=True), 2, tmp_path)
    assert conf["class_name"] == "org.apache.cassandra.security.PEMBasedSslContextFactory"
    assert conf["keystore"] == f"{tmp_path}/clusters/three-tls/node2/conf/server.pem"
    assert conf["optional"] == "false"
    assert conf["require_client_auth"] == "false"
    assert "truststore" not in conf
    assert "keystore_password" not in conf  # the keys are not encrypted
    mutual = _yaml(Profile(mtls=True), 1, tmp_path)
    assert mutual["require_client_auth"] == "true"
    assert mutual["truststore"] == f"{tmp_path}/tls/ca.crt"


def test_write_config_of_a_tls_profile_serves_the_valid_certificate(tmp_path: Path) -> None:
    profile = Profile(tls=True)
    layout = ClusterLayout(tmp_path, profile.name)
    ensure_server(tmp_path, layout.server_tls, profile.addresses())
    node = layout.node(1)
    node.make_dirs()
    (node.conf / "server.pem").write_bytes((layout.server_tls / "expired-server.pem").read_bytes())
    write_config(profile, 1, node, layout.server_tls, layout.shared_tls)
    served = (node.conf / "server.pem").read_bytes()
    assert served == (layout.server_tls / "server.pem").read_bytes()


def test_rackdc_properties() -> None:
    assert rackdc_properties(Placement("dc2", "rack3")) == "dc=dc2\nrack=rack3\n"


def test_write_config_writes_each_nodes_placement(tmp_path: Path) -> None:
    profile = Profile(3, topology="dc1:r1,dc1:r2,dc2:r1")
    layout = ClusterLayout(tmp_path, profile.name)
    for node in profile.node_ids:
        write_config(profile, node, layout.node(node), layout.server_tls, layout.shared_tls)
    conf = layout.node(3).conf
    assert (conf / "cassandra-rackdc.properties").read_text() == "dc=dc2\nrack=r1\n"
    assert f"listen_address: {profile.address(3)}\n" in (conf / "cassandra.yaml").read_text()
    assert "<configuration" in (conf / "logback.xml").read_text()
    assert (layout.node(3).dir / "data").is_dir()


def test_single_node_token_is_zero() -> None:
    assert initial_token(Profile(), 1) == 0


def test_tokens_of_one_datacenter_are_ccms_balanced_tokens() -> None:
    tokens = [initial_token(Profile(3), n) for n in (1, 2, 3)]
    assert tokens == [-(2**63), -3074457345618258603, 3074457345618258602]


@pytest.mark.parametrize("spec", ["a:r,a:r,b:r,b:r,b:r", "a:r,b:r,a:r,c:r,b:r"])
def test_tokens_are_unique_and_balanced_per_datacenter(spec: str) -> None:
    profile = Profile(5, topology=spec)
    tokens = {n: initial_token(profile, n) for n in profile.node_ids}
    assert len(set(tokens.values())) == 5
    for members in profile.topology.datacenters().values():
        ring = sorted(tokens[n] for n in members)
        gaps = {b - a for a, b in itertools.pairwise(ring)}
        assert max(gaps, default=0) - min(gaps, default=0) <= 1


def test_only_a_lone_node_skips_flushing_schema_changes(tmp_path: Path) -> None:
    # A killed node of a cluster must remember its tables, or it drops their writes on replay.
    flags = {"-Dcassandra.test.flush_local_schema_changes=false", "-Dcassandra.unsafesystem=true"}

    def command(profile: Profile) -> list[str]:
        node = ClusterLayout(tmp_path, profile.name).node(1)
        return server_command(profile, node, tmp_path, jmx_port=7100, heap="1G", cds_archive=None)

    assert flags <= set(command(Profile()))
    assert not flags & set(command(Profile(3)))
    assert not flags & set(command(Profile(2, topology="dc1:r1,dc2:r1")))

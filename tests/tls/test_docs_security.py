"""The Python examples of docs/security.md run, as written, against the TLS nodes: each
```python block is a complete program, given the node and the PEM files through the
environment variables it reads. Blocks that present a client certificate run against the
``--mtls`` profile, the others against the ``--tls`` profile."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from aiocql.testing import CassandraCluster

from .conftest import profile_check

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
EXAMPLES = BLOCK.findall((ROOT / "docs/security.md").read_text())
# This file runs once on each profile (`make test-tls`), with the blocks of that profile.
MUTUAL = os.environ.get("AIOCQL_TEST_MTLS") == "1"
RUN_HERE = [code for code in EXAMPLES if ("CASSANDRA_CLIENT_CERT" in code) == MUTUAL]


def test_security_md_has_examples_for_both_profiles() -> None:
    mutual = ["CASSANDRA_CLIENT_CERT" in code for code in EXAMPLES]
    assert any(mutual)
    assert not all(mutual)


@pytest.mark.parametrize("code", RUN_HERE)
def test_the_example_runs(
    code: str, test_cluster: CassandraCluster, tls_files: dict[str, Path]
) -> None:
    profile_check(test_cluster, mtls=MUTUAL)
    number = EXAMPLES.index(code)
    env = {
        **os.environ,
        "PYTHONWARNINGS": "error",
        "CASSANDRA_HOST": test_cluster.address(1),
        "CASSANDRA_CA": str(tls_files["ca"]),
        "CASSANDRA_CLIENT_CERT": str(tls_files["cert"]),
        "CASSANDRA_CLIENT_KEY": str(tls_files["key"]),
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"docs/security.md#{number + 1} failed:\n{done.stderr}"

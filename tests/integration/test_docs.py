"""The Python examples of the documents listed here run, as written, against the test node.

Each ```python block is a complete program, run in its own interpreter: what a user copies
works. (docs that hold fragments, not programs, are not listed yet.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNABLE_DOCS = ["docs/configuration.md", "docs/cluster.md"]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def examples() -> list[tuple[str, str]]:
    found = []
    for name in RUNNABLE_DOCS:
        text = (ROOT / name).read_text()
        for number, match in enumerate(BLOCK.finditer(text), start=1):
            found.append((f"{name}#{number}", match.group(1)))
    return found


def test_every_listed_document_has_examples() -> None:
    names = {name.split("#")[0] for name, _ in examples()}
    assert names == set(RUNNABLE_DOCS)


@pytest.mark.parametrize(("name", "code"), examples(), ids=[n for n, _ in examples()])
def test_the_example_runs(name: str, code: str, contact_points: list[str]) -> None:
    # The examples use 127.0.0.1, the address of the test node that `make test` starts.
    assert contact_points[0].startswith("127.0.0.1:"), contact_points
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "error"},
        check=False,
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"

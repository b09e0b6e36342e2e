"""tools/check_layers.py, the `make lint` check that the Rust core depends downward only.

Each test builds a small src/ tree and checks that the checker accepts it or names the broken
rule; the last one runs it on the project itself.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]

PYPROJECT = """
[[tool.importlinter.contracts]]
type = "layers"
layers = ["aiocql.cluster", "(aiocql._native)", "aiocql.errors | aiocql.types"]
"""


@pytest.fixture(scope="module")
def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_layers", REPO / "tools/check_layers.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_layers"] = module
    spec.loader.exec_module(module)
    return module


def tree(root: Path, files: dict[str, str]) -> Path:
    """A repository with `files` under src/ (path -> Rust source) and a layers contract."""
    (root / "pyproject.toml").write_text(PYPROJECT)
    for name, text in files.items():
        path = root / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (root / "src" / "lib.rs").write_text("mod errors;\n")
    return root


def test_downward_uses_pass(checker: ModuleType, tmp_path: Path) -> None:
    repo = tree(
        tmp_path,
        {
            "errors/mod.rs": 'const M: &str = "aiocql.errors";\n',
            "interop.rs": "use crate::errors::DriverError;\n",
            "session.rs": "use crate::{errors, interop::args};\n",
        },
    )
    assert checker.check(repo) == []


def test_an_upward_use_is_reported(checker: ModuleType, tmp_path: Path) -> None:
    repo = tree(tmp_path, {"errors.rs": "use crate::session::Session;\n", "session.rs": ""})
    problems = checker.check(repo)
    assert problems == [
        "src/errors uses crate::session, a higher layer: layers depend downward only"
    ]


def test_a_cycle_between_files_of_one_folder_is_reported(
    checker: ModuleType, tmp_path: Path
) -> None:
    repo = tree(
        tmp_path,
        {
            "results/mod.rs": "mod a;\nmod b;\n",
            "results/a.rs": "use super::b::Thing;\n",
            "results/b.rs": "use super::{a::Other, Shared};\n",
        },
    )
    assert checker.check(repo) == ["src/results: files import each other: a <-> b"]


def test_a_module_outside_the_layers_is_reported(checker: ModuleType, tmp_path: Path) -> None:
    repo = tree(tmp_path, {"helpers.rs": ""})
    assert checker.check(repo) == ["src/helpers: not in any layer of tools/check_layers.py LAYERS"]


def test_panicking_borrows_are_reported_but_not_in_tests(
    checker: ModuleType, tmp_path: Path
) -> None:
    repo = tree(
        tmp_path,
        {
            "bridge.rs": """\
                fn f(x: &Bound<'_, Thing>) {
                    let ok = x.try_borrow_mut();
                    let bad = x.borrow();
                }
                #[cfg(test)]
                mod tests { fn g(x: &RefCell<u8>) { x.borrow_mut(); } }
                """,
        },
    )
    problems = checker.check(repo)
    assert len(problems) == 1
    assert "bridge.rs:3: .borrow() panics" in problems[0]


def test_the_core_may_import_only_modules_below_native(checker: ModuleType, tmp_path: Path) -> None:
    repo = tree(
        tmp_path,
        {
            "interop.rs": """\
                #[pyclass(module = "aiocql._native")]
                struct C;
                const A: &str = "aiocql.types";
                const B: &str = "aiocql.cluster";
                """,
        },
    )
    problems = checker.check(repo)
    assert len(problems) == 1
    assert "interop.rs:4: the core imports aiocql.cluster" in problems[0]


def test_the_project_itself_passes(checker: ModuleType) -> None:
    assert checker.check(REPO) == []

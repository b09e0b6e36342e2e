#!/usr/bin/env python3
"""Checks that aiocql's Rust core depends downward only (docs/architecture.md is the map).

Rules, each reported with the file and the reason (exit status 1 if any is broken):

1. A top-level module of src/ uses (``crate::x``) only modules of its own layer or lower ones, as
   listed in LAYERS, lowest first; a module missing from LAYERS is an error.
2. No two modules import each other, directly or through others: neither the top-level modules,
   nor the files of one module folder (a folder's ``mod.rs`` is its interface and is left out).
3. No PyO3 ``borrow()``/``borrow_mut()``: they panic when the object is already borrowed, so
   code reachable from Python uses ``try_borrow``/``try_borrow_mut`` and raises instead.
4. Every ``aiocql.*`` module the core imports at run time sits below ``aiocql._native`` in the
   Python package's layers contract (``[tool.importlinter]`` in pyproject.toml), so that the
   Python layers and the Rust core's imports read in one direction together.

``#[cfg(test)]`` code (from that line to the end of its file) and comments are not checked.

Usage: python tools/check_layers.py [--graph] [REPO]  (--graph also prints who uses whom)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

# The top-level modules of src/, lowest layer first; modules in one tuple share a layer.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors",),
    ("interop",),
    ("bridge", "codec", "policies"),
    ("statement", "config"),
    ("results", "metadata"),
    ("execution",),
    ("session",),
    ("cluster",),
)

_CRATE_PATH = re.compile(r"\bcrate::(\w+)")
_CRATE_GROUP = re.compile(r"\bcrate::\{([^}]*)\}")
_SUPER_PATH = re.compile(r"\bsuper::(\w+)")
_SUPER_GROUP = re.compile(r"\bsuper::\{([^}]*)\}")
_GROUP_HEAD = re.compile(r"(?:^|,)\s*(\w+)")
_BORROW = re.compile(r"\.(borrow|borrow_mut)\(")
_PYTHON_MODULE = re.compile(r'"(aiocql(?:\.\w+)+)"')


def checked_code(path: Path) -> list[tuple[int, str]]:
    """The file's lines before ``#[cfg(test)]``, without comments, numbered from 1."""
    lines: list[tuple[int, str]] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.strip().startswith("#[cfg(test)]"):
            break
        lines.append((number, re.sub(r"//.*", "", line)))
    return lines


def _names(text: str, path: re.Pattern[str], group: re.Pattern[str]) -> set[str]:
    found = set(path.findall(text))
    for members in group.findall(text):
        found.update(_GROUP_HEAD.findall(members))
    return found


def module_graph(src: Path) -> dict[str, set[str]]:
    """Top-level module -> the top-level modules it uses."""
    modules = {p.stem for p in src.iterdir() if p.suffix == ".rs" or p.is_dir()} - {"lib", "main"}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module in modules:
        folder = src / module
        files = sorted(folder.rglob("*.rs")) if folder.is_dir() else [src / f"{module}.rs"]
        for file in files:
            text = "\n".join(line for _, line in checked_code(file))
            used = _names(text, _CRATE_PATH, _CRATE_GROUP)
            if file.parent == src:  # `super::` of a top-level file is the crate root
                used |= _names(text, _SUPER_PATH, _SUPER_GROUP)
            graph[module] |= (used & modules) - {module}
    return graph


def file_graphs(src: Path) -> dict[str, dict[str, set[str]]]:
    """For each module folder: file -> the sibling files it uses (``mod.rs`` left out)."""
    graphs: dict[str, dict[str, set[str]]] = {}
    for folder in sorted(p for p in src.rglob("*") if p.is_dir()):
        siblings = {p.stem for p in folder.iterdir() if p.suffix == ".rs" or p.is_dir()} - {"mod"}
        graph: dict[str, set[str]] = {}
        for name in siblings:
            file = folder / f"{name}.rs"
            if not file.is_file():
                continue
            text = "\n".join(line for _, line in checked_code(file))
            used = _names(text, _SUPER_PATH, _SUPER_GROUP)
            graph[name] = (used & siblings) - {name}
        graphs[folder.relative_to(src).as_posix()] = graph
    return graphs


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected groups of two or more nodes (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer_violations(graph: Mapping[str, set[str]]) -> list[str]:
    level = {module: n for n, layer in enumerate(LAYERS) for module in layer}
    problems = [
        f"src/{module}: not in any layer of tools/check_layers.py LAYERS"
        for module in sorted(graph)
        if module not in level
    ]
    for module in sorted(graph):
        for target in sorted(graph[module]):
            if module in level and target in level and level[target] > level[module]:
                problems.append(
                    f"src/{module} uses crate::{target}, a higher layer: "
                    "layers depend downward only"
                )
    return problems


def borrow_violations(src: Path) -> list[str]:
    return [
        f"{file.as_posix()}:{number}: .{match.group(1)}() panics if the object is already "
        f"borrowed; use try_{match.group(1)}() and raise"
        for file in sorted(src.rglob("*.rs"))
        for number, line in checked_code(file)
        for match in _BORROW.finditer(line)
    ]


def python_layers(pyproject: Path) -> list[list[str]]:
    """The layers contract of pyproject.toml, highest first, each layer's modules."""
    config = tomllib.loads(pyproject.read_text())
    contracts = config.get("tool", {}).get("importlinter", {}).get("contracts", [])
    for contract in contracts:
        if contract.get("type") == "layers":
            return [
                [m.strip(" ()") for m in re.split(r"[|:]", layer)] for layer in contract["layers"]
            ]
    return []


def python_import_violations(src: Path, pyproject: Path) -> list[str]:
    layers = python_layers(pyproject)
    native = next((n for n, layer in enumerate(layers) if "aiocql._native" in layer), None)
    if native is None:
        return [f"{pyproject}: no layers contract lists aiocql._native"]
    below = {module for layer in layers[native + 1 :] for module in layer}
    problems = []
    for file in sorted(src.rglob("*.rs")):
        for number, line in checked_code(file):
            if "#[pyclass(" in line:  # the module a class reports, not an import
                continue
            for module in _PYTHON_MODULE.findall(line):
                if not any(module == m or module.startswith(m + ".") for m in below):
                    problems.append(
                        f"{file.as_posix()}:{number}: the core imports {module}, which is not "
                        "below aiocql._native in pyproject's layers contract"
                    )
    return problems


def check(repo: Path) -> list[str]:
    src = repo / "src"
    graph = module_graph(src)
    problems = layer_violations(graph)
    problems += [f"src: modules import each other: {' <-> '.join(c)}" for c in cycles(graph)]
    for folder, files in file_graphs(src).items():
        problems += [
            f"src/{folder}: files import each other: {' <-> '.join(c)}" for c in cycles(files)
        ]
    problems += borrow_violations(src)
    problems += python_import_violations(src, repo / "pyproject.toml")
    return problems


def main(argv: list[str]) -> int:
    show_graph = "--graph" in argv
    paths = [a for a in argv[1:] if a != "--graph"]
    repo = Path(paths[0]) if paths else Path(__file__).resolve().parents[1]
    graph = module_graph(repo / "src")
    if show_graph:
        for module in sorted(graph):
            print(f"{module} -> {', '.join(sorted(graph[module])) or '(nothing)'}")
    problems = check(repo)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"check_layers: {len(graph)} modules, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

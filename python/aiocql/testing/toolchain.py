"""The host tools the launcher needs, and small file helpers shared by its modules.

The cache root, JDK 17 and Maven discovery, an inter-process file lock and atomic writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from .errors import ClusterError

__all__ = [
    "JAVA_MAJOR",
    "cache_root",
    "file_lock",
    "jdk_tool",
    "read_int",
    "require_java",
    "require_mvn",
    "write_atomic",
]

# Cassandra 5.0 runs on JDK 11 and 17; the JVM options in jvm.py are those of jvm17-server.options.
JAVA_MAJOR = 17


def cache_root() -> Path:
    """``$AIOCQL_CACHE`` or ``~/.cache/aiocql``, as an absolute path.

    Example: ``cache_root() / "clusters"`` holds one directory per profile.
    """
    env = os.environ.get("AIOCQL_CACHE")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "aiocql"
    return root.resolve()  # -Dcassandra.config=file://... needs an absolute path


def _java_from_env() -> Path:
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if not java.is_file():
            raise ClusterError(f"JAVA_HOME={home} has no bin/java; point it at a JDK {JAVA_MAJOR}")
        return java
    found = shutil.which("java")
    if found is None:
        raise ClusterError(
            f"no `java` on PATH: install a JDK {JAVA_MAJOR} (Debian/Ubuntu: "
            f"apt-get install openjdk-{JAVA_MAJOR}-jdk-headless) or set JAVA_HOME"
        )
    return Path(found)


def _java_major(java: Path) -> int:
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterError(f"cannot run {java}: {exc}") from exc
    text = out.stderr + out.stdout
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if match is None:
        raise ClusterError(f"cannot parse `{java} -version` output:\n{text}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major  # "1.8.0_x" style


@functools.cache
def require_java() -> Path:
    """The ``java`` of a JDK 17: ``$JAVA_HOME/bin/java``, else ``java`` on PATH.

    Raises ClusterError if there is none or it is another Java version (the message names the
    JDKs found under /usr/lib/jvm). Example: ``subprocess.run([require_java(), "-version"])``.
    """
    java = _java_from_env()
    major = _java_major(java)
    if major != JAVA_MAJOR:
        found = sorted(str(p) for p in Path("/usr/lib/jvm").glob(f"*{JAVA_MAJOR}*") if p.is_dir())
        hint = f" (found: {', '.join(found)})" if found else ""
        raise ClusterError(
            f"{java} is Java {major}; Cassandra 5.0 test nodes need JDK {JAVA_MAJOR} "
            f"(5.0 supports only 11 and 17; 18+ fails on System.setSecurityManager). "
            f"Set JAVA_HOME to a JDK {JAVA_MAJOR}{hint}."
        )
    return java


def jdk_tool(name: str) -> Path | None:
    """A tool of the JDK that :func:`require_java` found (``keytool``, ``javac``), else PATH's.

    Returns None when there is neither. Example: ``jdk_tool("javac") is not None`` tells a
    full JDK from a JRE.
    """
    sibling = require_java().resolve().parent / name
    if sibling.is_file():
        return sibling
    found = shutil.which(name)
    return Path(found) if found else None


def require_mvn() -> str:
    """Path of ``mvn`` (Maven 3) on PATH; ClusterError with the install hint otherwise."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ClusterError(
            "no `mvn` on PATH: the Cassandra jars are resolved from Maven Central with Maven 3 "
            "(Debian/Ubuntu: apt-get install maven)"
        )
    return mvn


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive inter-process lock on ``path`` (created if missing) for the block.

    Parallel ``make`` jobs use it so that they do not fetch or start the same thing twice.
    Example: ``with file_lock(cache / ".lock"): ...``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or the new file, never half.

    Example: ``write_atomic(node_dir / "pid", "1234\\n")``.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def read_int(path: Path) -> int | None:
    """The integer a small file holds (a pid, a port), or None if missing or not a number."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None

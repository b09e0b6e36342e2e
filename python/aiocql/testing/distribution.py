"""The Cassandra server itself: its jars from Maven Central, and the AppCDS class archive.

``cassandra/pom.xml`` (package data) resolves ``cassandra-all`` and its runtime jars into
``<cache>/cassandra-<version>/lib``; its ``<cassandra.version>`` is the one place to bump.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from .errors import ClusterError
from .toolchain import file_lock, require_java, require_mvn, write_atomic

__all__ = [
    "LOGBACK_SERVER",
    "LOGBACK_TOOLS",
    "POM",
    "cassandra_version",
    "cds_archive",
    "fetch",
    "lib_dir",
    "publish_cds",
]

log = logging.getLogger("aiocql.testing")

DATA_DIR = Path(__file__).resolve().parent / "cassandra"
POM = DATA_DIR / "pom.xml"
LOGBACK_SERVER = DATA_DIR / "logback.xml"
LOGBACK_TOOLS = DATA_DIR / "logback-tools.xml"
_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def cassandra_version() -> str:
    """``$AIOCQL_CASSANDRA_VERSION``, else ``<cassandra.version>`` of the packaged pom.xml.

    Example: ``cassandra_version()`` -> ``'5.0.9'``. ClusterError if the pom has none.
    """
    env = os.environ.get("AIOCQL_CASSANDRA_VERSION")
    if env:
        return env
    node = ET.parse(POM).getroot().find("m:properties/m:cassandra.version", _POM_NS)
    if node is None or not node.text:
        raise ClusterError(f"no <cassandra.version> in {POM}")
    return node.text.strip()


def lib_dir(cache: Path, version: str) -> Path:
    """``<cache>/cassandra-<version>/lib``, where :func:`fetch` puts the jars."""
    return cache / f"cassandra-{version}" / "lib"


def _stamp(version: str) -> str:
    # The pom's content without comments or layout: editing what Maven resolves re-fetches,
    # editing a comment does not.
    pom = ET.canonicalize(from_file=POM, with_comments=False, strip_text=True)
    return f"{version} {hashlib.sha256(pom.encode()).hexdigest()}\n"


def _run_maven(version: str, partial: Path, scratch: Path) -> None:
    cmd = [
        require_mvn(), "-B", "-q", "-f", str(POM), "generate-resources",
        f"-Dcassandra.version={version}",
        f"-Dcassandra.lib.dir={partial}",
        f"-Daiocql.build.dir={scratch}",
    ]  # fmt: skip
    try:
        out = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise ClusterError(f"cannot run Maven: {exc}") from exc
    # Debian's Maven 3.8 prints stray ANSI resets even with -B; show only real messages.
    for line in _ANSI.sub("", out.stdout + out.stderr).splitlines():
        if line.strip():
            print(line, file=sys.stderr)
    if out.returncode != 0:
        raise ClusterError(
            f"Maven failed (exit {out.returncode}); fix the error above and re-run `fetch`"
        )
    if not (partial / f"cassandra-all-{version}.jar").is_file():
        raise ClusterError(f"Maven succeeded but {partial} has no cassandra-all-{version}.jar")


def fetch(cache: Path, version: str) -> Path:
    """Resolve cassandra-all and its runtime jars into ``<cache>/cassandra-<version>/lib``.

    Instant when the completion marker matches the version and the pom; otherwise Maven runs
    into a scratch directory that is renamed into place, so an interrupted download is redone
    next time. Returns the lib dir. Raises ClusterError without mvn or JDK 17, or if Maven
    fails. Example: ``fetch(cache_root(), cassandra_version())``.
    """
    base = cache / f"cassandra-{version}"
    lib, marker = base / "lib", base / ".complete"
    stamp = _stamp(version)

    def done() -> bool:
        return lib.is_dir() and marker.is_file() and marker.read_text() == stamp

    if done():
        return lib
    with file_lock(base / ".lock"):
        if done():  # another process finished while we waited for the lock
            return lib
        require_java()  # Maven runs on any JDK, but fail early with the clearer message
        partial, scratch = base / "lib.partial", base / "maven"
        marker.unlink(missing_ok=True)
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
        log.info("fetching Cassandra %s jars with Maven into %s (first time: ~70 MB)", version, lib)
        started = time.monotonic()
        _run_maven(version, partial, scratch)
        shutil.rmtree(lib, ignore_errors=True)
        for stale in base.glob("cds-*.jsa"):  # class-data archives of the old jar set
            stale.unlink()
        partial.rename(lib)
        shutil.rmtree(scratch, ignore_errors=True)
        write_atomic(marker, stamp)  # only now: an interrupted run leaves no marker
        jars = len(list(lib.glob("*.jar")))
        log.info("fetched %d jars in %.1f s", jars, time.monotonic() - started)
    return lib


def cds_archive(cache: Path, version: str, heap: str) -> Path | None:
    """Where the AppCDS archive for this JDK, jar set and heap lives; None if disabled.

    ``AIOCQL_CASSANDRA_CDS=0`` disables it. The archive need not exist yet: the first node
    started without one dumps it at its first graceful exit (see :func:`publish_cds`).
    """
    if os.environ.get("AIOCQL_CASSANDRA_CDS", "1").lower() in ("0", "false", "no"):
        return None
    java = require_java().resolve()
    release = java.parent.parent / "release"  # JAVA_VERSION etc.; changes with JDK updates
    base = lib_dir(cache, version).parent
    marker = base / ".complete"
    key = "\n".join(
        [
            str(java),
            release.read_text() if release.is_file() else "",
            marker.read_text() if marker.is_file() else "",
            heap,  # the heap size decides the compressed-oops mode the archive assumes
        ]
    )
    return base / f"cds-{hashlib.sha256(key.encode()).hexdigest()[:16]}.jsa"


def publish_cds(partial: Path, archive: Path | None, complete: bool) -> None:
    """Move a node's at-exit class-data dump to ``archive``, unless the JVM was killed
    mid-way (``complete`` False), the archive exists already or is disabled (None)."""
    if not partial.is_file():
        return
    if complete and archive is not None and not archive.exists() and partial.stat().st_size:
        partial.replace(archive)
        log.info("saved class-data archive %s for faster starts", archive.name)
    else:
        partial.unlink(missing_ok=True)

"""The java command lines: a node's server JVM, and nodetool against a node.

The options are those ``bin/cassandra`` and ``bin/nodetool`` of Apache Cassandra 5.0 would
pass on JDK 17, plus system properties that make a test node start and stop faster.
"""

from __future__ import annotations

import os
from pathlib import Path

from .distribution import LOGBACK_TOOLS
from .layout import NodeLayout
from .process import DAEMON_CLASS, storagedir_arg
from .profile import Profile
from .toolchain import jdk_tool, require_java

__all__ = ["nodetool_command", "server_command"]

# conf/jvm17-clients.options (what bin/nodetool adds): JPMS opens for the client tools.
_JPMS_CLIENT = (
    "-Djdk.attach.allowAttachSelf=true",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports", "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
    "--add-exports", "java.rmi/sun.rmi.registry=ALL-UNNAMED",
    "--add-exports", "java.rmi/sun.rmi.server=ALL-UNNAMED",
    "--add-exports", "java.sql/java.sql=ALL-UNNAMED",
    "--add-exports", "java.base/java.lang.ref=ALL-UNNAMED",
    "--add-exports", "jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang.module=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.loader=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.reflect=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.math=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.module=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.util.jar=ALL-UNNAMED",
    "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens", "java.base/java.io=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens", "java.base/java.util=ALL-UNNAMED",
    "--add-opens", "java.base/java.nio=ALL-UNNAMED",
)  # fmt: skip

# conf/jvm-server.options + conf/jvm17-server.options of apache/cassandra 5.0. -XX:+AlwaysPreTouch
# and -XX:+UseNUMA are left out: they only slow a test node's start.
_SERVER_OPTS = (
    "-ea", "-da:net.openhft...", "-XX:+UseThreadPriorities", "-XX:+HeapDumpOnOutOfMemoryError",
    "-Xss256k", "-XX:+UseTLAB", "-XX:+ResizeTLAB", "-XX:+PerfDisableSharedMem",
    "-Djava.net.preferIPv4Stack=true", "-Dchronicle.analytics.disable=true",
    # G1
    "-XX:+UseG1GC", "-XX:+ParallelRefProcEnabled", "-XX:MaxTenuringThreshold=1",
    "-XX:G1HeapRegionSize=16m", "-XX:G1RSetUpdatingPauseTimePercent=5",
    "-XX:MaxGCPauseMillis=300", "-XX:InitiatingHeapOccupancyPercent=70",
    # JPMS (server list = client list + com.sun.jmx.remote.security)
    *_JPMS_CLIENT,
    "--add-exports", "java.management/com.sun.jmx.remote.security=ALL-UNNAMED",
    # netty
    "-Dio.netty.tryReflectionSetAccessible=true", "-Dio.netty.allocator.useCacheForAllThreads=true",
    "-Dio.netty.allocator.maxOrder=11",
    "-XX:+ExitOnOutOfMemoryError",
)  # fmt: skip

# bin/cassandra.in.sh adds these only on a full JDK (javac present), CASSANDRA-19001.
_JDK_ONLY_OPTS = (
    "--add-exports", "jdk.attach/sun.tools.attach=ALL-UNNAMED",
    "--add-exports", "jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-opens", "jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
)  # fmt: skip

# Test speed-ups (config/CassandraRelevantProperties.java); docs/testing.md gives the reasons.
_FAST_START_PROPS = (
    "-Dcassandra.skip_wait_for_gossip_to_settle=0",  # no >=5 s gossip settle wait
    "-Dcassandra.ring_delay_ms=1000",  # bounds the shadow round (default 30 s)
    "-Dcassandra.skip_sync=true",  # no fsync
    # A graceful stop still announces the shutdown to peers, but waits 0.5 s for it instead
    # of 2 s, and skips the ~2 s messaging quiesce.
    "-Dcassandra.shutdown_announce_in_ms=500",
    "-Dcassandra.test.messagingService.nonGracefulShutdown=true",
)


def _schema_opts(profile: Profile) -> list[str]:
    # Unflushed system and schema tables make starts and DDL faster, but the schema is loaded
    # before the commit log is replayed: a killed node forgets recent tables, skips their
    # writes on replay, and fails reads with INCOMPATIBLE_SCHEMA. Only a lone node skips the
    # flushes (SchemaKeyspace flushes only without unsafesystem).
    if profile.nodes > 1:
        return []
    return [
        "-Dcassandra.unsafesystem=true",  # no blocking flush of system tables
        "-Dcassandra.test.flush_local_schema_changes=false",  # DDL doesn't flush schema tables
    ]


def _auth_opts(profile: Profile) -> list[str]:
    # The default role is created after this delay, and retried with the SAME delay while a
    # system_auth replica is down; with 0 a restarted node whose peers are down spins in that
    # loop logging ~1M warnings a second. So 0 only where there are no peers.
    opts = [f"-Dcassandra.superuser_setup_delay_ms={0 if profile.nodes == 1 else 500}"]
    if profile.auth and profile.nodes > 1:
        # system_auth on every node, so that logins survive one dead node.
        opts.append(f"-Dcassandra.system_auth.default_rf={profile.nodes}")
    return opts


def _cds_opts(archive: Path | None, node: NodeLayout) -> list[str]:
    # AppCDS maps the classes a previous node loaded instead of parsing ~70 MB of jars again.
    # AllowArchivingWithJavaAgent because of the jamm agent.
    if archive is None:
        return []
    opts = ["-XX:+UnlockDiagnosticVMOptions", "-XX:+AllowArchivingWithJavaAgent"]
    if archive.is_file():
        return [*opts, f"-XX:SharedArchiveFile={archive}"]
    return [*opts, f"-XX:ArchiveClassesAtExit={node.cds_partial}"]


def _node_opts(node: NodeLayout, jmx_port: int) -> list[str]:
    conf, logs = node.conf, node.logs
    return [
        f"-XX:HeapDumpPath={logs}",
        f"-XX:ErrorFile={logs}/hs_err_%p.log",
        f"-Dcassandra.jmx.local.port={jmx_port}",  # JMX on 127.0.0.1, for nodetool
        f"-Dlogback.configurationFile={conf / 'logback.xml'}",
        f"-Dcassandra.logdir={logs}",
        storagedir_arg(node.dir),  # also how process.py recognises the JVM
        "-Dcassandra-foreground=yes",  # else the daemon closes stdout/stderr
        f"-Dcassandra.config={(conf / 'cassandra.yaml').as_uri()}",
        f"-Dcassandra-rackdc.properties={(conf / 'cassandra-rackdc.properties').as_uri()}",
        f"-Dcassandra.triggers_dir={node.dir / 'triggers'}",
        f"-Djava.io.tmpdir={node.tmp}",
    ]


def server_command(
    profile: Profile,
    node: NodeLayout,
    lib: Path,
    *,
    jmx_port: int,
    heap: str,
    cds_archive: Path | None,
) -> list[str]:
    """The command line of a node's CassandraDaemon JVM.

    ``AIOCQL_CASSANDRA_JVM_OPTS`` (split on whitespace) is appended, e.g. for a debugger.
    Raises ClusterError without a JDK 17. Example:
    ``server_command(profile, layout.node(1), lib, jmx_port=7100, heap="1G", cds_archive=None)``.
    """
    opts = [f"-Xms{heap}", f"-Xmx{heap}", *_SERVER_OPTS]
    if jdk_tool("javac") is not None:
        opts += _JDK_ONLY_OPTS
    jamm = sorted(lib.glob("jamm-*.jar"))
    if jamm:  # conf/cassandra-env.sh; optional (ObjectSizes falls back to Unsafe)
        opts.append(f"-javaagent:{jamm[0]}")
    opts += _node_opts(node, jmx_port)
    opts += _FAST_START_PROPS
    opts += _schema_opts(profile)
    opts += _auth_opts(profile)
    opts += _cds_opts(cds_archive, node)
    opts += os.environ.get("AIOCQL_CASSANDRA_JVM_OPTS", "").split()
    # No conf dir on the classpath (bin/cassandra puts one there): CDS refuses classpaths with
    # non-empty directories, and the conf files are passed explicitly above.
    return [str(require_java()), *opts, "-cp", f"{lib}/*", DAEMON_CLASS]


def nodetool_command(lib: Path, jmx_port: int, *args: str) -> list[str]:
    """The command line running ``nodetool ARGS`` over JMX at ``127.0.0.1:jmx_port``.

    Example: ``subprocess.run(nodetool_command(lib, 7100, "status"))``.
    """
    return [
        str(require_java()), "-Xmx128m", *_JPMS_CLIENT,
        f"-Dlogback.configurationFile={LOGBACK_TOOLS}",
        "-cp", f"{lib}/*", "org.apache.cassandra.tools.NodeTool",
        "-h", "127.0.0.1", "-p", str(jmx_port), *args,
    ]  # fmt: skip

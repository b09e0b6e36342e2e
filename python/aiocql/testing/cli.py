"""``python -m aiocql.testing``: the command line of the test-node launcher.

Verbs: fetch, start, stop, kill, wait, status, wipe, env, logs, nodetool, run; shape flags on
every verb (``--nodes``, ``--auth``, ``--tls``, ``--mtls``, ``--topology``) pick the profile.
Run ``python -m aiocql.testing --help`` for the details.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from types import FrameType

from .cluster import DEFAULT_TIMEOUT, CassandraCluster, wipe_all
from .errors import ClusterError
from .layout import clusters_root
from .logs import TAIL_LINES
from .node import STOP_GRACE
from .profile import CQL_PORT, MAX_NODES, Profile
from .registry import recorded_profile

__all__ = ["main", "parser", "profile_from_args"]

log = logging.getLogger("aiocql.testing")

Command = Callable[[argparse.Namespace], int]


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def profile_from_args(args: argparse.Namespace) -> Profile:
    """The profile the shape flags of parsed arguments select.

    ``--topology`` alone sets the node count. Raises ClusterError for a bad combination.
    Example: ``profile_from_args(parser().parse_args(["status", "--nodes", "3"])).name``.
    """
    nodes = args.nodes
    if nodes is None:
        nodes = len(args.topology.split(",")) if args.topology else 1
    return Profile(nodes, args.auth, args.tls, args.mtls, topology=args.topology)


def _cluster(args: argparse.Namespace) -> CassandraCluster:
    return CassandraCluster(profile_from_args(args), timeout=args.timeout)


def _cmd_fetch(args: argparse.Namespace) -> int:
    began = time.monotonic()
    lib = _cluster(args).fetch()
    print(f"{lib} ({len(list(lib.glob('*.jar')))} jars, {time.monotonic() - began:.1f} s)")
    return 0


def _cmd_start(args: argparse.Namespace) -> int:
    _cluster(args).start(*args.ids)
    return 0


def _cmd_stop(args: argparse.Namespace) -> int:
    _cluster(args).stop(*args.ids, grace=args.grace)
    return 0


def _cmd_kill(args: argparse.Namespace) -> int:
    _cluster(args).kill(*args.ids)
    return 0


def _cmd_wait(args: argparse.Namespace) -> int:
    cluster = _cluster(args)
    cluster.wait(*args.ids)
    for node in cluster.select(args.ids):
        print(f"{node.name} up on {node.address}:{CQL_PORT}")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    cluster = _cluster(args)
    jars = "fetched" if (cluster.lib_dir.parent / ".complete").is_file() else "not fetched"
    print(
        f"profile {cluster.name}: Cassandra {cluster.profile.version} ({jars}), "
        f"{cluster.layout.dir}"
    )
    for node in cluster.nodes:
        pid, up = node.pid(), node.is_up()
        if pid is not None:
            owner = f"running, pid {pid}, jmx 127.0.0.1:{node.jmx_port}"
        else:
            owner = "served by a process not started by this profile" if up else "stopped"
        where = f"{node.placement.dc}/{node.placement.rack}"
        cql = "CQL up" if up else "CQL down"
        print(f"  {node.name} {node.address}:{CQL_PORT} {where}: {owner}, {cql}")
    root = clusters_root(cluster.cache)
    others = {p.parent.parent for p in root.glob("*/node*/pid")} if root.is_dir() else set()
    for other in sorted(others - {cluster.layout.dir}):
        profile = recorded_profile(other)
        flags = profile.cli_flags() if profile is not None else ["..."]
        print(f"  (profile {other.name} has pid files too: see `{' '.join(['status', *flags])}`)")
    return 0


def _cmd_wipe(args: argparse.Namespace) -> int:
    if args.all:
        wipe_all()
    else:
        _cluster(args).wipe()
    return 0


def _cmd_logs(args: argparse.Namespace) -> int:
    print(_cluster(args).log_tail(args.node, args.lines), end="")
    return 0


def _cmd_nodetool(args: argparse.Namespace) -> int:
    cluster = _cluster(args)
    node = cluster.node(args.node)
    cluster.fetch()
    rest = args.args[1:] if args.args[:1] == ["--"] else args.args
    return _exit_code(subprocess.run(node.nodetool_command(*rest), check=False).returncode)


def _cmd_env(args: argparse.Namespace) -> int:
    for key, value in _cluster(args).env().items():
        print(f"export {key}={value}")
    return 0


class _Terminated(Exception):
    """SIGTERM or SIGHUP arrived; unwinds `run` so that it stops the nodes it started."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated(signum)


def _wait_child(proc: subprocess.Popen[bytes]) -> int:
    try:
        return _exit_code(proc.wait())
    except KeyboardInterrupt:
        # The terminal sent SIGINT to the child too; let it shut down on its own first.
        try:
            proc.wait(timeout=15)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            proc.kill()
            proc.wait()
        return 130
    except _Terminated as exc:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 128 + exc.signum


def _start_and_run(cluster: CassandraCluster, command: list[str]) -> int:
    try:
        cluster.start()
        proc = subprocess.Popen(command, env={**os.environ, **cluster.env()})
    except ClusterError as exc:
        log.error("error: %s", exc)
        return 1
    except OSError as exc:
        log.error("cannot run %s: %s", command[0], exc)
        return 127
    return _wait_child(proc)


def _cmd_run(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else list(args.command)
    if not command:
        raise ClusterError("run needs a command: python -m aiocql.testing run [FLAGS] -- CMD ...")
    if shutil.which(command[0]) is None:  # fail before spending seconds on a node start
        raise ClusterError(f"command not found: {command[0]}")
    cluster = _cluster(args)
    previous = {s: signal.signal(s, _raise_terminated) for s in (signal.SIGTERM, signal.SIGHUP)}
    rc = 1
    try:
        rc = _start_and_run(cluster, command)
    except KeyboardInterrupt:
        rc = 130
    except _Terminated as exc:
        rc = 128 + exc.signum
    finally:
        # Stop only what this run started, and let no second Ctrl-C abort that.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        try:
            if cluster.launched:
                cluster.stop(*cluster.launched)
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return rc


def _node_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_NODES:
        raise argparse.ArgumentTypeError(f"must be a number of nodes, 1..{MAX_NODES}")
    return value


def _shape_flags() -> argparse.ArgumentParser:
    shape = argparse.ArgumentParser(add_help=False)
    group = shape.add_argument_group("cluster shape (selects the profile)")
    group.add_argument(
        "--nodes",
        type=_node_count,
        default=None,
        help=f"1..{MAX_NODES} nodes (default 1, or as many as --topology places)",
    )
    group.add_argument("--auth", action="store_true", help="PasswordAuthenticator (cassandra/...)")
    group.add_argument("--tls", action="store_true", help="client TLS on 9042 (test CA)")
    group.add_argument("--mtls", action="store_true", help="client TLS with client certificates")
    group.add_argument(
        "--topology",
        metavar="DC:RACK,...",
        default=None,
        help="datacenter and rack of each node (default: all datacenter1:rack1)",
    )
    group.add_argument(
        "--timeout",
        type=float,
        default=None,
        help=f"start-up timeout per node, s (default {DEFAULT_TIMEOUT:.0f})",
    )
    group.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    return shape


def _verbs() -> list[tuple[str, str, Command, Callable[[argparse.ArgumentParser], None]]]:
    def ids(p: argparse.ArgumentParser) -> None:
        p.add_argument("ids", nargs="*", type=int, help="node ids (default: all of the profile)")

    def stop(p: argparse.ArgumentParser) -> None:
        ids(p)
        p.add_argument("--grace", type=float, default=STOP_GRACE, help="seconds before SIGKILL")

    def wipe(p: argparse.ArgumentParser) -> None:
        p.add_argument("--all", action="store_true", help="every profile (jars are kept)")

    def logs(p: argparse.ArgumentParser) -> None:
        p.add_argument("node", type=int)
        p.add_argument("-n", "--lines", type=int, default=TAIL_LINES)

    def nodetool(p: argparse.ArgumentParser) -> None:
        p.add_argument("node", type=int)
        p.add_argument("args", nargs=argparse.REMAINDER)

    def run(p: argparse.ArgumentParser) -> None:
        p.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")

    def none(p: argparse.ArgumentParser) -> None:
        pass

    return [
        ("fetch", "resolve the Cassandra jars with Maven (cached)", _cmd_fetch, none),
        ("start", "start nodes and wait until they serve CQL", _cmd_start, ids),
        ("stop", "stop nodes: SIGTERM, SIGKILL after --grace seconds", _cmd_stop, stop),
        ("kill", "SIGKILL nodes (crash simulation)", _cmd_kill, ids),
        ("wait", "wait until nodes serve CQL", _cmd_wait, ids),
        ("status", "show the nodes of the profile", _cmd_status, none),
        ("wipe", "SIGKILL the profile's nodes and delete their data", _cmd_wipe, wipe),
        ("logs", "print the tail of a node's system.log and stdout.log", _cmd_logs, logs),
        (
            "nodetool",
            "run nodetool against a node, e.g. `nodetool 1 status`",
            _cmd_nodetool,
            nodetool,
        ),
        ("env", "print shell exports describing the cluster to tests", _cmd_env, none),
        (
            "run",
            "ensure the cluster is up, run a command, stop what this run started",
            _cmd_run,
            run,
        ),
    ]


def parser() -> argparse.ArgumentParser:
    """The argument parser of the CLI (every verb sets ``func`` to its command).

    Example: ``parser().parse_args(["start", "--nodes", "3", "2"]).ids == [2]``.
    """
    top = argparse.ArgumentParser(
        prog="python -m aiocql.testing",
        description="Throw-away Apache Cassandra 5.0 test nodes for aiocql "
        "(cache: $AIOCQL_CACHE or ~/.cache/aiocql).",
    )
    sub = top.add_subparsers(dest="verb", required=True, metavar="VERB")
    shape = _shape_flags()
    for name, help_text, func, add_arguments in _verbs():
        verb = sub.add_parser(name, parents=[shape], help=help_text, description=help_text)
        add_arguments(verb)
        verb.set_defaults(func=func)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``); returns the exit code.

    Errors are printed, not raised: a ClusterError exits 1, Ctrl-C 130, and ``run`` exits
    with its command's code. Example: ``main(["status", "--auth"])``.
    """
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="aiocql.testing: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args))
    except ClusterError as exc:
        log.error("error: %s", exc)
        return 1
    except KeyboardInterrupt:
        return 130

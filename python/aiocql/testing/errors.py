"""The one exception type of :mod:`aiocql.testing`."""

from __future__ import annotations

__all__ = ["ClusterError"]


class ClusterError(RuntimeError):
    """A test-cluster operation failed; the message says why and what to do.

    Example::

        try:
            cluster.start()
        except ClusterError as exc:
            print(exc)  # e.g. "no `mvn` on PATH: ..."
    """

"""Tests of datacenter awareness: they run on the launcher's two-datacenter profile
(``make test-cluster``); the node-control fixtures come from ``aiocql.testing.plugin``."""

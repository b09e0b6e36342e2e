"""The exception hierarchy users catch: cassandra-driver's names, one base class."""

from __future__ import annotations

import pickle

import pytest

import aiocql
from aiocql import errors


def test_every_error_is_exported_from_both_modules() -> None:
    for name in errors.__all__:
        assert getattr(aiocql, name) is getattr(errors, name), name


def test_every_error_derives_from_driver_exception() -> None:
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, errors.DriverException), name


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (errors.Unavailable, errors.RequestExecutionException),
        (errors.ReadTimeout, errors.Timeout),
        (errors.WriteTimeout, errors.Timeout),
        (errors.Timeout, errors.RequestExecutionException),
        (errors.SyntaxException, errors.RequestValidationException),
        (errors.InvalidRequest, errors.RequestValidationException),
        (errors.AlreadyExists, errors.ConfigurationException),
        (errors.OperationTimedOut, TimeoutError),
        (errors.SchemaAgreementTimeout, errors.OperationTimedOut),
        (errors.ConnectionClosed, errors.ConnectionException),
        (errors.ConfigurationError, ValueError),
        (errors.ParameterTypeError, TypeError),
        (errors.ParameterValueError, ValueError),
        (errors.ParameterTypeError, errors.ParameterError),
    ],
)
def test_hierarchy(child: type, parent: type) -> None:
    assert issubclass(child, parent)


def test_message_and_fields() -> None:
    exc = errors.WriteTimeout(
        "Operation timed out", consistency="QUORUM", write_type="SIMPLE", code=0x1100
    )
    assert str(exc) == (
        "Error from server: code=1100 [Coordinator node timed out waiting for replica nodes' "
        'responses] message="Operation timed out"'
    )
    assert exc.message == "Operation timed out"
    assert str(errors.InvalidRequest("no code")) == "no code"  # made by hand, without a code
    assert exc.write_type == "SIMPLE"
    assert exc.code == 0x1100
    assert "write_type='SIMPLE'" in repr(exc)


@pytest.mark.parametrize(
    "exc",
    [
        errors.Unavailable("x", consistency="ONE", required_replicas=3, alive_replicas=1),
        errors.NoHostAvailable("none", {"10.0.0.1:9042": "refused"}),
        errors.OperationTimedOut("slow"),
        errors.ParameterTypeError("bad", parameter="#0", column="k", cql_type="int"),
    ],
)
def test_errors_pickle_with_their_fields(exc: errors.DriverException) -> None:
    clone = pickle.loads(pickle.dumps(exc))
    assert type(clone) is type(exc)
    assert vars(clone) == vars(exc)


def test_no_host_available_keeps_per_host_errors() -> None:
    exc = errors.NoHostAvailable("Unable to connect", {"h:1": "timeout"})
    assert exc.errors == {"h:1": "timeout"}
    assert errors.NoHostAvailable("x").errors == {}

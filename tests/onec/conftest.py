"""Sandbox 1C servers for the connector's integration tests (real subprocesses on loopback)."""

from __future__ import annotations

import pytest
from onec_sandbox import FAST_RETRY, LOOPBACK, Sandbox

from b24app.onec.odata import ODataClient
from b24app.onec.profiles import load_profile


@pytest.fixture(scope="session")
def sandbox():
    box = Sandbox("--counterparties", "300")
    yield box
    box.stop()


@pytest.fixture
def fresh(sandbox):
    """The small sandbox with fresh data and every fault off."""
    sandbox.control("reset")
    return sandbox


@pytest.fixture
def ut_client(fresh):
    return ODataClient(fresh.base("ut"), egress=LOOPBACK, retry=FAST_RETRY, timeout=(2.0, 10.0))


@pytest.fixture
def fast_retry():
    return FAST_RETRY


@pytest.fixture(scope="session")
def sandbox_profile():
    """The shipped ut11 profile, unchanged: the sandbox's УТ 11 base follows release 11.5 as it does."""
    return load_profile("ut11")

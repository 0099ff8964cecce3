"""Sandbox 1C servers for the connector's integration tests (real subprocesses on loopback)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

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


@pytest.fixture(scope="session")
def party_sandbox():
    """УТ 11, БП 3.0 and УНФ 3.0 bases with 60 counterparties and their details (seed_parties.py), for the
    counterparty reader's and writer's tests: started once for both."""
    box = Sandbox("--counterparties", "60", "--bases", "ut:ut11,bp:bp30,unf:unf")
    yield box
    box.stop()


@pytest.fixture
def party_client(party_sandbox) -> Callable[[str, str], ODataClient]:
    """A client of one of the party sandbox's bases, by base and profile name ("bp", "bp30")."""
    def client(base: str, profile: str) -> ODataClient:
        return ODataClient(party_sandbox.base(base, profile=profile), egress=LOOPBACK, retry=FAST_RETRY,
                           timeout=(2.0, 10.0))
    return client


@pytest.fixture
def fresh_party_client(party_sandbox, party_client) -> Iterator[Callable[[str, str], ODataClient]]:
    """`party_client` for a test that writes: the shared sandbox fresh before, and left as seeded for the tests that
    only read."""
    party_sandbox.control("reset")
    yield party_client
    party_sandbox.control("reset")

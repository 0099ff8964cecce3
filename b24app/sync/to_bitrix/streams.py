"""One entry point for the 1C → Bitrix24 streams, so the job layer names a stream and nothing else."""

from __future__ import annotations

from collections.abc import Callable

from b24app.sync.to_bitrix.debt import pull_debt
from b24app.sync.to_bitrix.payments import pull_payments
from b24app.sync.to_bitrix.pull_deps import PullDeps
from b24app.sync.to_bitrix.shipments import pull_shipments

PULLS: dict[str, Callable[[PullDeps], int]] = {
    "payments": pull_payments,
    "shipments": pull_shipments,
    "debt": pull_debt,
}


def stream_pull(stream: str) -> Callable[[PullDeps], int]:
    """The pull of `stream` (payments, shipments, debt); ValueError for a stream that does not exist."""
    run = PULLS.get(stream)
    if run is None:
        raise ValueError(f"unknown stream {stream!r}")
    return run


def pull_base(deps: PullDeps, stream: str) -> int:
    """Run `stream` for the base of `deps`; returns items sent."""
    return stream_pull(stream)(deps)

"""One entry point for the 1C → Bitrix24 streams, so the job layer names a stream and nothing else."""

from __future__ import annotations

from b24app.runtime import Runtime


def pull_base(ctx: Runtime, member_id: str, base_id: int, stream: str) -> int:
    """Run `stream` (payments, shipments, debt) for one base; returns items sent."""
    if stream == "payments":
        from b24app.sync.to_bitrix.payments import pull_payments as run
    elif stream == "shipments":
        from b24app.sync.to_bitrix.shipments import pull_shipments as run
    elif stream == "debt":
        from b24app.sync.to_bitrix.debt import pull_debt as run
    else:
        raise ValueError(f"unknown stream {stream!r}")
    return run(ctx, member_id, base_id)


def pull(ctx: Runtime, member_id: str, stream: str) -> int:
    """Run `stream` for every enabled base of the portal; returns items sent."""
    return sum(pull_base(ctx, member_id, base.id, stream) for base in ctx.bases.list(member_id) if base.enabled)

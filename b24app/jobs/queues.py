"""Names of the app's RQ queues: `<prefix>-<name>`, so several deployments can share one Redis."""

from __future__ import annotations


def queue_name(prefix: str, name: str) -> str:
    return f"{prefix}-{name}"

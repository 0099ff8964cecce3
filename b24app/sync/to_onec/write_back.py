"""The deals' 1C numbers, links and comments written back to Bitrix24 in shared batch calls.

A job that sends many deals to 1C collects what each deal needs written (`crm.deal.update`,
`crm.timeline.comment.add`) and sends it together at the end: up to 50 commands count as one request against the
portal's limit (settings/how-to-call-rest-api/batch.md), where one call per deal would spend the limit on
write-backs alone. What a deal's write-back confirms (the durable marks "told", "pushed") is recorded only after
the portal confirmed that deal's commands, so a failure leaves the deal to be sent again and told once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from b24app.bitrix.batch import BATCH_LIMIT
from b24app.bitrix.client import BitrixClient
from b24app.bitrix.errors import BitrixError


class OwnWriteLog(Protocol):
    """Where owed update events are counted (store/own_writes.py)."""

    def expect(self, member_id: str, kind: str, entity_ids: list[str]) -> None: ...

    def forget(self, member_id: str, kind: str, entity_ids: list[str]) -> None: ...


@dataclass
class _Pending:
    deal_id: str
    commands: dict[str, tuple[str, dict]]
    # Runs after the portal answered: the names of this deal's commands it confirmed.
    on_done: Callable[[set[str]], None]


@dataclass
class WriteBacks:
    """Write-backs of one job, sent by `flush` (or at once when `deferred` is False)."""

    client: BitrixClient
    member_id: str
    own_writes: OwnWriteLog | None = None
    deferred: bool = True
    _pending: list[_Pending] = field(default_factory=list)

    def add(self, deal_id: str, commands: dict[str, tuple[str, dict]],
            on_done: Callable[[set[str]], None]) -> None:
        """Queue a deal's commands (names local to the deal: "fields", "comment")."""
        self._pending.append(_Pending(str(deal_id), commands, on_done))
        if not self.deferred:
            failed = self.flush()
            if failed:
                raise next(iter(failed.values()))

    def flush(self) -> dict[str, BitrixError]:
        """Send every queued command; returns the deals whose commands the portal refused (the first error).
        An error of a batch call itself raises, after the deals of the calls already made were settled."""
        pending, self._pending = self._pending, []
        failed: dict[str, BitrixError] = {}
        group: list[_Pending] = []
        size = 0
        for item in pending:
            if group and size + len(item.commands) > BATCH_LIMIT:
                self._send(group, failed)
                group, size = [], 0
            group.append(item)
            size += len(item.commands)
        if group:
            self._send(group, failed)
        return failed

    def _send(self, group: list[_Pending], failed: dict[str, BitrixError]) -> None:
        commands = {f"{n}_{name}": command for n, item in enumerate(group) for name, command in item.commands.items()}
        if not commands:
            for item in group:
                item.on_done(set())
            return
        # Counted before sending: the portal may deliver a write's event before its answer reaches us.
        updating = [item.deal_id for item in group if "fields" in item.commands]
        if self.own_writes is not None:
            self.own_writes.expect(self.member_id, "deal", updating)
        try:
            answer = self.client.batch(commands)
        except Exception:
            if self.own_writes is not None:
                self.own_writes.forget(self.member_id, "deal", updating)
            raise
        refused: list[str] = []
        for n, item in enumerate(group):
            done = {name for name in item.commands if f"{n}_{name}" in answer.results}
            errors = [answer.errors[f"{n}_{name}"] for name in item.commands if f"{n}_{name}" in answer.errors]
            if "fields" in item.commands and "fields" not in done:
                refused.append(item.deal_id)
            if errors:
                failed[item.deal_id] = errors[0]
            item.on_done(done)
        if refused and self.own_writes is not None:
            self.own_writes.forget(self.member_id, "deal", refused)

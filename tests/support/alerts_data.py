"""Helpers for the alert tests: a real SMTP server on loopback (aiosmtpd), the sandbox portal's received
notifications, and incidents seeded the way the exchange records them (journal rows, portal status, outbox rows),
written directly through the stores: the point of these tests is what the alerts make of them, not the flows."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from sqlalchemy import update

from b24app.config import SmtpSettings
from b24app.runtime import Runtime
from b24app.store.journal import JournalEntry
from b24app.store.models import OneCBaseRow
from b24app.web import create_app
from tests.support.processes import get_json, post_json

SENDER = "b24-1c@example.ru"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SmtpSink:
    """An SMTP server on loopback that keeps every message it accepted."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802 - aiosmtpd's handler hook
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def start(self) -> SmtpSink:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def take(self) -> list[EmailMessage]:
        """The messages received since the last take."""
        with self.lock:
            got, self.messages[:] = list(self.messages), []
        return got

    def settings(self) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=self.port, sender=SENDER, starttls=False)


def smtp_nowhere() -> SmtpSettings:
    """A mail server that is down: nothing listens on the port."""
    return SmtpSettings(host="127.0.0.1", port=free_port(), sender=SENDER, starttls=False)


def body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def register_with_im(settings, sandbox_url: str) -> None:  # noqa: ANN001 - Settings
    """The app registered in the sandbox portal with the scopes of manifest/app.toml (im for notifications)."""
    from b24app.manifest import load_manifest

    post_json(sandbox_url + "/_sandbox/apps", {
        "client_id": settings.client_id, "client_secret": settings.client_secret,
        "install_url": settings.public_url + "/install", "handler_url": settings.public_url + "/settings",
        "scopes": list(load_manifest().scopes), "title": "b24-1c"})


def notifications(sandbox_url: str, user_id: int | None = None) -> list[dict]:
    query = f"?user_id={user_id}" if user_id is not None else ""
    return get_json(f"{sandbox_url}/_sandbox/notifications{query}")["notifications"]


def member_of(sandbox_url: str) -> str:
    return get_json(sandbox_url + "/_sandbox/state")["member_id"]


def add_base(ctx: Runtime, member: str, name: str, created: datetime | None = None) -> int:
    record = ctx.bases.save(member, name=name, url=f"https://1c.example.ru/{name}/", login="Администратор",
                            password="secret", profile="ut11")
    if created is not None:
        with ctx.db.transaction() as s:
            s.execute(update(OneCBaseRow).where(OneCBaseRow.id == record.id).values(created_at=created))
    return record.id


def journal(ctx: Runtime, member: str, kind: str, status: str, at: datetime, *, base_id: int | None = None,
            error: str | None = None, direction: str = "1c_to_b24") -> None:
    ctx.journal.record(member, JournalEntry(kind=kind, direction=direction, status=status, base_id=base_id,
                                            error=error, started_at=at, duration_ms=120))


def dead_letter(ctx: Runtime, member: str, deal: str, reason: str) -> int:
    """A deal item the outbox gave up on (what a permanent error leaves)."""
    accepted = ctx.outbox.accept(member, "deal", deal, f"test:deal:{deal}", {"event": "ONCRMDEALUPDATE"})
    item = ctx.outbox.claim(accepted.id)
    ctx.outbox.settle(item, reason, None, counts=True)
    return accepted.id


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def set_alerts(ctx: Runtime, member: str, **changes) -> None:
    settings, version = ctx.portal_settings.load(member)
    ctx.portal_settings.save(member, replace(settings, alerts=replace(settings.alerts, **changes)), version)


def running_smtp():
    """Generator for a module fixture: a started SmtpSink, stopped after."""
    sink = SmtpSink(free_port()).start()
    try:
        yield sink
    finally:
        sink.stop()


def install_alerting(ctx: Runtime, app_server, settings, sandbox_url: str, sink: SmtpSink) -> str:  # noqa: ANN001
    """The app installed in the sandbox portal with the manifest's scopes (im included), e-mail through `sink`;
    returns the portal's member_id."""
    sink.take()
    register_with_im(settings, sandbox_url)
    app_server.serve(create_app(context=ctx))
    post_json(f"{sandbox_url}/_sandbox/apps/{settings.client_id}/install", {"finish": True, "lang": "ru"})
    ctx.settings = replace(ctx.settings, smtp=sink.settings())
    return member_of(sandbox_url)

"""The two ways an alert reaches a person: e-mail through the deployment's SMTP server, and a Bitrix24 system
notification (`im.notify.system.add`, api-reference/chats/notifications/im-notify-system-add.md: USER_ID and
MESSAGE required, MESSAGE_OUT for the portal's own e-mail copy, TAG unique within the app — a notification with a
tag already used replaces the older one; scope `im`, app context only).

A channel sends a batch of deliveries and says, per delivery, whether it went; it never raises for one delivery's
failure, so a channel that is down holds up neither the other channel nor the rest of the evaluation.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from b24app.config import SmtpSettings
from b24app.store.incidents import Delivery

log = logging.getLogger(__name__)

SMTP_TIMEOUT = 15.0

# (delivery id, None when sent or the error in one line)
Outcome = dict[int, str | None]


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:500]


class EmailChannel:
    """E-mail via smtplib: one connection for the batch; STARTTLS and login when the deployment asks for them."""

    name = "email"

    def __init__(self, smtp: SmtpSettings, *, timeout: float = SMTP_TIMEOUT) -> None:
        self._smtp = smtp
        self._timeout = timeout

    @property
    def configured(self) -> bool:
        return self._smtp.configured

    def send(self, deliveries: list[Delivery]) -> Outcome:
        if not deliveries:
            return {}
        if not self.configured:
            return {d.id: "e-mail is not configured (B24APP_SMTP_HOST / B24APP_SMTP_FROM)" for d in deliveries}
        try:
            server = smtplib.SMTP(self._smtp.host, self._smtp.port, timeout=self._timeout)
        except (OSError, smtplib.SMTPException) as exc:
            error = _one_line(exc)
            log.warning("alert e-mail: cannot reach %s:%s (%s)", self._smtp.host, self._smtp.port, error)
            return {d.id: error for d in deliveries}
        outcome: Outcome = {}
        try:
            server.ehlo()
            if self._smtp.starttls:
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if self._smtp.user:
                server.login(self._smtp.user, self._smtp.password)
            for delivery in deliveries:
                try:
                    server.send_message(self._message(delivery))
                    outcome[delivery.id] = None
                except smtplib.SMTPServerDisconnected as exc:
                    outcome[delivery.id] = _one_line(exc)
                    break  # the rest of the batch waits for the next evaluation
                except (OSError, smtplib.SMTPException) as exc:
                    outcome[delivery.id] = _one_line(exc)
        except (OSError, smtplib.SMTPException) as exc:
            # STARTTLS or login failed: nothing of the batch went.
            error = _one_line(exc)
            log.warning("alert e-mail: %s refused the session (%s)", self._smtp.host, error)
            return {d.id: error for d in deliveries}
        finally:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException):
                server.close()
        for delivery in deliveries:
            outcome.setdefault(delivery.id, "not tried: the SMTP connection was lost")
        return outcome

    def _message(self, delivery: Delivery) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._smtp.sender
        message["To"] = delivery.recipient
        message["Subject"] = delivery.subject
        message.add_header("Date", formatdate(localtime=False))  # RFC 5322 header, not a 1C name
        message["Message-ID"] = make_msgid(domain=self._smtp.sender.rpartition("@")[2] or None)
        message.set_content(delivery.body)
        return message


# call(method, params) -> result: the portal client's call, passed in by the job layer (ops does not import bitrix).
PortalCall = Callable[[str, dict], object]


class PortalNotifyChannel:
    """Bitrix24 system notifications through the app's own portal client."""

    name = "b24"

    def __init__(self, call: Callable[[], PortalCall]) -> None:
        # The client is built lazily: a portal whose token is gone fails here, per delivery, not for the e-mails.
        self._call = call

    def send(self, deliveries: list[Delivery]) -> Outcome:
        if not deliveries:
            return {}
        try:
            call = self._call()
        except Exception as exc:  # noqa: BLE001 - no client (token refused, portal gone): retried next time
            error = _one_line(exc)
            return {d.id: error for d in deliveries}
        outcome: Outcome = {}
        for delivery in deliveries:
            try:
                call("im.notify.system.add", {
                    "USER_ID": int(delivery.recipient),
                    "MESSAGE": f"{delivery.subject}\n{delivery.body}",
                    "MESSAGE_OUT": f"{delivery.subject}\n\n{delivery.body}",
                    # Unique per notice and user: a retried delivery replaces its own earlier copy, never another.
                    "TAG": f"b24_1c_alert_{delivery.notice}_{delivery.recipient}",
                })
                outcome[delivery.id] = None
            except Exception as exc:  # noqa: BLE001 - any refusal is this delivery's, retried next time
                outcome[delivery.id] = _one_line(exc)
        return outcome

"""A portal's alert settings: who is told (e-mail addresses, Bitrix24 users), about which incidents, and the
thresholds. One section (`alerts`) of the portal settings document (`core/portal_settings.py`); the alerts page
(`web/alerts_page.py`) edits it and the scheduled evaluation (`jobs/alerts.py`) reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any

# The incident types, in the order pages list them.
INCIDENT_KINDS: tuple[str, ...] = (
    "reauth",          # the portal's token refresh was refused: the app must be opened to authorise it again
    "base_down",       # a 1C base unreachable or refusing the password longer than `base_down_minutes`
    "schema_drift",    # a 1C base no longer publishes what its profile needs
    "mapping_broken",  # a mapped deal/company field no longer exists in the portal
    "dead_letters",    # the exchange set something aside (outbox dead letters, failed pulls)
    "stream_stale",    # no successful run of a stream for longer than its schedule allows
)

MIN_BASE_DOWN_MINUTES, MAX_BASE_DOWN_MINUTES = 1, 24 * 60
MIN_PER_HOUR, MAX_PER_HOUR = 2, 100
MAX_EMAILS, MAX_USERS = 20, 20
# Deliberately plain: one "@", no spaces, a dot in the domain. SMTP servers judge the rest.
EMAIL = re.compile(r"[^@\s,;<>\"']{1,64}@[^@\s,;<>\"']{1,190}\.[^@\s,;<>\"'.]{2,63}")


@dataclass(frozen=True)
class AlertSettings:
    emails: tuple[str, ...] = ()
    user_ids: tuple[int, ...] = ()  # Bitrix24 users told by im.notify.system.add
    # Incident types switched off; everything else is on (a new type is on for portals that saved settings before).
    disabled: tuple[str, ...] = ()
    base_down_minutes: int = 10
    # At most this many notices per hour; over it the rest are folded into one digest (the last slot is its).
    max_per_hour: int = 6

    def enabled(self, kind: str) -> bool:
        return kind not in self.disabled

    @property
    def has_recipients(self) -> bool:
        return bool(self.emails or self.user_ids)

    @classmethod
    def from_json(cls, data: Any) -> AlertSettings:
        """Tolerant, like the rest of the settings document: unknown keys dropped, bad values defaulted."""
        if not isinstance(data, dict):
            return cls()
        base = cls()
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        out: dict[str, Any] = {}
        if isinstance(data.get("emails"), list | tuple):
            out["emails"] = tuple(str(e).strip() for e in data["emails"] if EMAIL.fullmatch(str(e).strip()))
        if isinstance(data.get("user_ids"), list | tuple):
            out["user_ids"] = tuple(int(u) for u in data["user_ids"] if str(u).isdigit() and int(u) > 0)
        if isinstance(data.get("disabled"), list | tuple):
            out["disabled"] = tuple(str(k) for k in data["disabled"] if k in INCIDENT_KINDS)
        for name, low, high in (("base_down_minutes", MIN_BASE_DOWN_MINUTES, MAX_BASE_DOWN_MINUTES),
                                ("max_per_hour", MIN_PER_HOUR, MAX_PER_HOUR)):
            value = data.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
                out[name] = value
        return replace(base, **out)


def check_alerts(data: Any) -> None:
    """Raise ValueError naming the first bad key of an `alerts` section from outside (a settings file)."""
    if data is None:
        return
    if not isinstance(data, dict):
        raise ValueError("alerts: not an object")
    emails = data.get("emails", [])
    if not isinstance(emails, list | tuple) or len(emails) > MAX_EMAILS or \
            not all(isinstance(e, str) and EMAIL.fullmatch(e) for e in emails):
        raise ValueError("alerts.emails: a list of e-mail addresses")
    users = data.get("user_ids", [])
    if not isinstance(users, list | tuple) or len(users) > MAX_USERS or \
            not all(isinstance(u, int) and not isinstance(u, bool) and u > 0 for u in users):
        raise ValueError("alerts.user_ids: a list of Bitrix24 user ids")
    disabled = data.get("disabled", [])
    if not isinstance(disabled, list | tuple) or not all(k in INCIDENT_KINDS for k in disabled):
        raise ValueError(f"alerts.disabled: incident types among {', '.join(INCIDENT_KINDS)}")
    for name, low, high in (("base_down_minutes", MIN_BASE_DOWN_MINUTES, MAX_BASE_DOWN_MINUTES),
                            ("max_per_hour", MIN_PER_HOUR, MAX_PER_HOUR)):
        value = data.get(name, low)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"alerts.{name}: a whole number from {low} to {high}")

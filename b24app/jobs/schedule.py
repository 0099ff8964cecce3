"""The periodic work of the app, as one table read by the scheduler process (RQ's CronScheduler)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from b24app.jobs.alerts import evaluate_alerts
from b24app.jobs.retention import prune_old_rows
from b24app.jobs.sync import collect_offline_events, sweep_outbox, sync_tick
from b24app.jobs.tokens import refresh_expiring_tokens


@dataclass(frozen=True)
class ScheduledJob:
    func: Callable
    queue: str
    interval: int  # seconds
    timeout: int

    @property
    def name(self) -> str:
        """Stable across restarts: a hash of the definition, so a restarted scheduler never doubles a job."""
        spec = f"{self.func.__module__}.{self.func.__qualname__}|{self.queue}|{self.interval}|{self.timeout}"
        return f"{self.func.__name__}-{hashlib.sha1(spec.encode()).hexdigest()[:10]}"


SCHEDULE: tuple[ScheduledJob, ...] = (
    # Access tokens live an hour (settings/oauth/index.md); checking every 5 minutes with a 10-minute lead
    # refreshes each token once, well before expiry.
    ScheduledJob(refresh_expiring_tokens, queue="tokens", interval=300, timeout=120),
    # The 1C -> Bitrix24 streams run at per-portal frequencies (PortalSettings.schedules); this tick only
    # enqueues the ones due, so the shortest useful interval is one minute.
    ScheduledJob(sync_tick, queue="default", interval=60, timeout=120),
    # Items whose job was lost (Redis flushed, worker killed) come back once their lease runs out.
    ScheduledJob(sweep_outbox, queue="default", interval=60, timeout=300),
    # Events our handler missed wait in the portal as offline events (api-reference/events/offline-events.md);
    # one event.offline.get per portal a minute is under 1 % of the ordinary rate limit. A web that starts asks
    # for a collection at once besides (jobs/startup.py).
    ScheduledJob(collect_offline_events, queue="default", interval=60, timeout=600),
    # Journal retention (B24APP_JOURNAL_DAYS): once a day, in chunks, so old rows go without a long table lock.
    ScheduledJob(prune_old_rows, queue="default", interval=86400, timeout=3600),
    # Alerts (jobs/alerts.py): incidents opened and resolved from the journal, told by e-mail and Bitrix24; a
    # minute keeps "base down for 10 minutes" within a minute of its threshold.
    ScheduledJob(evaluate_alerts, queue="default", interval=60, timeout=300),
)

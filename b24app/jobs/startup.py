"""What a web process does when it starts: ask for the offline events the portal kept while it was away.

While our web is down, the portal cannot deliver events online; those bound as offline events wait in the portal
(api-reference/events/offline-events.md) until collected. The scheduled collection runs every minute; a web
that comes back after an outage or a deploy asks for one collection at once, so the missed changes reach 1C in
seconds. Several web workers starting together ask once (a short Redis NX window).
"""

from __future__ import annotations

import logging

from b24app.jobs.sync import collect_offline_events
from b24app.runtime import Runtime

log = logging.getLogger(__name__)

ASK_WINDOW_SECONDS = 15


def on_web_start(rt: Runtime) -> bool:
    """Enqueue one offline-event collection now; False when another web worker just did (or Redis is away: the
    scheduled collection then covers it)."""
    try:
        if not rt.redis.set(rt.keys.offline_collect_soon(), "1", nx=True, ex=ASK_WINDOW_SECONDS):
            return False
        rt.queue("default").enqueue(collect_offline_events, job_timeout=600,
                                    description="collect offline events (web started)")
        return True
    except Exception:  # noqa: BLE001 - starting the web must not depend on Redis; the schedule covers it
        log.warning("could not ask for an offline-event collection at web start", exc_info=True)
        return False

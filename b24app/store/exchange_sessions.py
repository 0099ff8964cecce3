"""Sessions of 1C's exchange with a website (issue 16), in Redis.

`mode=checkauth` proves the node's credentials once and answers a cookie name and value; 1C sends that cookie on
every later call of the exchange (1C-Bitrix protocol, "A. Начало сеанса"). The session lives in Redis under a
digest of the cookie (the cookie itself is never stored), with a TTL renewed on every call, and remembers the
node, the credentials' generation (a regenerated password ends it), the `sessid` answered with it, and the
exchange `init` started. Failed logins are counted per node in a window, so guessing a password is slow.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass

from redis import Redis

COOKIE_NAME = "B24CMLSESSID"
SESSION_SECONDS = 4 * 3600  # a large catalog's import may take a while between two calls
FAIL_WINDOW_SECONDS = 900
MAX_FAILURES = 10


@dataclass
class ExchangeSession:
    node_id: int
    generation: int
    sessid: str
    type: str = ""
    run_id: str = ""
    version: str = ""


class ExchangeSessions:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, *parts: object) -> str:
        return ":".join([self._prefix, "cml", *(str(p) for p in parts)])

    def _session_key(self, cookie: str) -> str:
        return self._key("session", hashlib.sha256(cookie.encode("utf-8")).hexdigest())

    def open(self, node_id: int, generation: int) -> tuple[str, ExchangeSession]:
        """A new session: the cookie value to hand to 1C and the session."""
        cookie = secrets.token_urlsafe(32)
        session = ExchangeSession(node_id=node_id, generation=generation, sessid=secrets.token_hex(16))
        self.save(cookie, session)
        return cookie, session

    def load(self, cookie: str | None) -> ExchangeSession | None:
        if not cookie or len(cookie) > 200:
            return None
        key = self._session_key(cookie)
        raw = self._redis.get(key)
        if raw is None:
            return None
        self._redis.expire(key, SESSION_SECONDS)
        return ExchangeSession(**json.loads(raw))

    def save(self, cookie: str, session: ExchangeSession) -> None:
        self._redis.set(self._session_key(cookie), json.dumps(asdict(session)), ex=SESSION_SECONDS)

    # -- failed logins ----------------------------------------------------------------------------------------

    def locked(self, node_id: int) -> int:
        """Seconds until the node takes logins again (0: it does now)."""
        key = self._key("auth-fail", node_id)
        count = int(self._redis.get(key) or 0)
        if count < MAX_FAILURES:
            return 0
        return max(1, int(self._redis.ttl(key)))

    def failed(self, node_id: int) -> int:
        """Count a failed login; returns the failures in the window."""
        key = self._key("auth-fail", node_id)
        pipe = self._redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, FAIL_WINDOW_SECONDS, nx=True)
        count, _ = pipe.execute()
        return int(count)

    def succeeded(self, node_id: int) -> None:
        self._redis.delete(self._key("auth-fail", node_id))

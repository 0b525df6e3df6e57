"""Live rate limits (chat, reactions, notes, typing), shared by every server process.

A limit is a token bucket: ``burst`` actions at once, then ``per_second`` more each
second. It is kept as GCRA (the "generic cell rate algorithm"), which is the same
bucket stored as one number per user — the moment the bucket would be full again —
so one atomic step on a shared store decides it:

- with ``FORUM_MESSAGE_QUEUE`` set (several processes), in Redis through the
  ``limits`` package's Redis storage, with a Lua script, so N processes give a user
  the limit once, not N times;
- otherwise in this process's memory (a dict).

``limits`` itself offers fixed, moving and sliding windows, none of which is a
bucket: a window of 10 per 10 s would make someone who sent ten at once wait ten
seconds, where the room has always let them go on at one a second. So the bucket
is ours and the storages (connection, key prefix, expiry of idle users) are theirs.

If Redis cannot be reached, chat goes on: the process logs it once, counts in its own
memory (each process then limits on its own, as before this module) and tries Redis
again every ``RETRY_SECONDS``, logging once when it is back.

Callers only ``take(user_id)``; a refusal is the ``rate_limited`` ActionError with
``retry_after`` (protocol.md).
"""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Protocol, cast

from flask import Flask, current_app, has_app_context
from flask_babel import ngettext
from limits.storage import RedisStorage

from ..errors import ActionError

log = logging.getLogger(__name__)

# Redis keys: f"{PREFIX}:{limit name}:{user id}".
PREFIX = "forum:limits"
# How long a Redis step may take before this process counts on its own instead.
REDIS_TIMEOUT = 0.5
# How often a process that fell back to memory tries Redis again.
RETRY_SECONDS = 10.0

Clock = Callable[[], float]


class Store(Protocol):
    """Where the buckets are kept."""

    def take(self, key: str, burst: int, interval: float, now: float) -> float:
        """Take one token from ``key``'s bucket: 0 if taken, else how many seconds
        until one would be there (nothing is taken then)."""
        ...

    def forget(self, name: str) -> None:
        """Drop every bucket of the limit called ``name``."""
        ...


def _gcra(tat: float | None, burst: int, interval: float, now: float) -> tuple[float, float]:
    """(seconds to wait, the bucket's new full-again moment). ``tat`` is when the
    bucket would be full again (None: full now); a token is there while that is at
    most ``burst - 1`` intervals ahead."""
    tat = now if tat is None or tat < now else tat
    wait = tat - now - (burst - 1) * interval
    if wait > 0:
        return wait, tat
    return 0.0, tat + interval


class MemoryStore:
    """This process's buckets: a dict of each bucket's full-again moment. A plain
    dict, not ``limits``'s memory storage, whose expiry bookkeeping cost a chat
    message more than the rest of its checks; idle users (whose buckets are full
    again) are forgotten once the dict grows past ``PRUNE_AT``."""

    PRUNE_AT = 10_000

    def __init__(self) -> None:
        self._tats: dict[str, float] = {}
        self._lock = threading.Lock()

    def take(self, key: str, burst: int, interval: float, now: float) -> float:
        with self._lock:
            wait, new = _gcra(self._tats.get(key), burst, interval, now)
            if wait == 0:
                self._tats[key] = new
                if len(self._tats) > self.PRUNE_AT:
                    self._tats = {k: t for k, t in self._tats.items() if t > now}
            return wait

    def forget(self, name: str) -> None:
        with self._lock:
            for key in [k for k in self._tats if k.startswith(f"{name}:")]:
                del self._tats[key]


# KEYS[1]: the bucket; ARGV: now, interval (seconds a token takes), burst.
# Returns the wait as a string (Redis turns Lua numbers into integers).
_GCRA_LUA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now - (burst - 1) * interval
if wait > 0 then return tostring(wait) end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.6f', tat), 'PX',
           math.ceil((tat - now) * 1000) + 1000)
return '0'
"""


class RedisStore:
    """Buckets in Redis, shared by every process using the same URL and prefix.

    The moment is each process's own clock (``time.time`` unless a test gives
    another), so the servers' clocks should agree (NTP); a skew of a few
    milliseconds moves a refusal by as much."""

    def __init__(self, url: str, prefix: str = PREFIX) -> None:
        self._storage = RedisStorage(
            url,
            key_prefix=prefix,
            wrap_exceptions=True,
            socket_timeout=REDIS_TIMEOUT,
            socket_connect_timeout=REDIS_TIMEOUT,
        )
        # limits' storage types its client loosely; it is a redis.Redis.
        self._redis = cast(Any, self._storage.get_connection())
        self._script = self._redis.register_script(_GCRA_LUA)
        self._fallback = MemoryStore()
        self._down_since: float | None = None  # monotonic; None while Redis answers
        self._lock = threading.Lock()

    def take(self, key: str, burst: int, interval: float, now: float) -> float:
        if self._down_since is not None and not self._retry_due():
            return self._fallback.take(key, burst, interval, now)
        try:
            wait = float(
                self._script(
                    keys=[self._storage.prefixed_key(key)], args=[repr(now), repr(interval), burst]
                )
            )
        except Exception as exc:  # any failure of Redis must not stop chat
            self._went_down(exc)
            return self._fallback.take(key, burst, interval, now)
        self._came_back()
        return wait

    def forget(self, name: str) -> None:
        self._fallback.forget(name)
        try:
            keys = list(
                self._redis.scan_iter(match=self._storage.prefixed_key(f"{name}:*"), count=1000)
            )
            if keys:
                self._redis.delete(*keys)
        except Exception as exc:
            self._went_down(exc)

    def _retry_due(self) -> bool:
        with self._lock:
            if self._down_since is None or time.monotonic() - self._down_since >= RETRY_SECONDS:
                if self._down_since is not None:
                    self._down_since = time.monotonic()  # one try per period
                return True
            return False

    def _went_down(self, exc: BaseException) -> None:
        with self._lock:
            first = self._down_since is None
            self._down_since = time.monotonic()
        if first:
            log.warning(
                "rate limits: Redis unreachable (%s); counting in this process until it is back",
                type(exc).__name__,
            )

    def _came_back(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            self._down_since = None
        log.warning("rate limits: Redis reachable again; limits are shared again")


# The store of a process without an app (or before init_app): memory.
_default: Store = MemoryStore()
# Every store made, so ``forget`` reaches them all (tests build many apps).
_stores: weakref.WeakSet = weakref.WeakSet([_default])
_KEY = "forum.people.throttle"


def init_app(app: Flask) -> None:
    """The app's store: Redis when ``FORUM_MESSAGE_QUEUE`` is set, else memory."""
    queue = app.config.get("FORUM_MESSAGE_QUEUE")
    store: Store = RedisStore(queue) if queue else MemoryStore()
    _stores.add(store)
    app.extensions[_KEY] = store


def _store() -> Store:
    if has_app_context():
        return current_app.extensions.get(_KEY, _default)
    return _default


class Limiter:
    """One limit (``name``): ``burst`` actions at once, then ``per_second``.

    ``store`` fixes where its buckets are (else the app's, see ``init_app``);
    ``clock`` is where it reads the time, in seconds (tests pass a fake one)."""

    def __init__(
        self,
        name: str,
        burst: int = 10,
        per_second: float = 1.0,
        *,
        store: Store | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.name, self.burst, self.rate = name, burst, per_second
        self.store = store
        self.clock = clock
        if store is not None:
            _stores.add(store)

    def take(self, user_id: int | str) -> None:
        """Count one action of the user's (or of an address, for pages read without
        signing in), or refuse it with ``rate_limited``."""
        store = self.store if self.store is not None else _store()
        wait = store.take(f"{self.name}:{user_id}", self.burst, 1 / self.rate, self.clock())
        if wait > 0:
            retry = max(1, math.ceil(wait - 1e-9))
            raise ActionError(
                "rate_limited",
                ngettext(
                    "You are sending too fast. Please wait %(num)s second.",
                    "You are sending too fast. Please wait %(num)s seconds.",
                    retry,
                ),
                extra={"retry_after": retry},
            )

    def forget(self) -> None:
        """Start afresh (after a scripted replay such as the demo's; between tests)."""
        for store in list(_stores):
            store.forget(self.name)

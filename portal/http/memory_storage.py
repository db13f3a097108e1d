"""In-process rate-limit storage (`portal-memory://`), the default when no Redis is configured.

limits' own `memory://` storage expires entries from a 10 ms threading.Timer and starts a new
thread whenever the last one has finished, which on a busy API means a thread start every few
requests. In bench/api_auth.py that was about two thirds of the front door's cost (server CPU per
API request 2.0 ms against 1.5 ms with this storage; health route 1.4 ms). This one expires entries
when it touches them instead. Like `memory://` it holds one process's counts
only; a budget shared by several processes needs PORTAL_REDIS_URL.

Windows are keyed by partner, key pair and failing address, so keys keep coming: every SWEEP_EVERY
writes, the windows with nothing left in them are dropped (Redis expires its keys itself).

`spend_all` is the in-process twin of portal.http.ratelimit's Redis script: several moving windows
spent together or not at all, under one lock.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from limits.storage import MovingWindowSupport, Storage


SWEEP_EVERY = 4096


class InProcessStorage(Storage, MovingWindowSupport):
    STORAGE_SCHEME = ["portal-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}  # moving windows: hit times, oldest first
        self._expiries: dict[str, float] = {}  # each moving window's length, for the sweep
        self._counters: dict[str, tuple[int, float]] = {}  # fixed windows: (count, expires at)
        self._writes = 0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def _window(self, key: str, expiry: float, now: float) -> deque[float]:
        hits = self._windows.setdefault(key, deque())
        self._expiries[key] = expiry
        while hits and hits[0] < now - expiry:
            hits.popleft()
        return hits

    def _written(self, now: float) -> None:
        """Count a write; every SWEEP_EVERY writes drop the windows and counters that hold nothing any more."""
        self._writes += 1
        if self._writes % SWEEP_EVERY:
            return
        for key in [key for key, hits in self._windows.items() if not hits or hits[-1] < now - self._expiries[key]]:
            del self._windows[key], self._expiries[key]
        for key in [key for key, (_, expires_at) in self._counters.items() if expires_at <= now]:
            del self._counters[key]

    def held(self) -> int:
        """How many windows and counters are held."""
        with self._lock:
            return len(self._windows) + len(self._counters)

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        with self._lock:
            hits = self._window(key, expiry, now)
            if len(hits) + amount > limit:
                return False
            hits.extend([now] * amount)
            self._written(now)
            return True

    def spend_all(self, guard: tuple[str, int, int] | None, budgets: list[tuple[str, int, int]]
                  ) -> tuple[bool, float | None, list[tuple[float, int]]]:
        """One unit from every (key, limit, expiry) budget, or none when one is full or the guard's window
        is full (the guard is only read). → (spent, the guard's blocking entry, each budget's window)."""
        now = time.time()
        with self._lock:
            if guard is not None:
                key, limit, expiry = guard
                hits = self._window(key, expiry, now)
                if len(hits) >= limit:
                    return False, hits[-limit], [self._stats(k, e, now) for k, _, e in budgets]
            windows = [self._window(key, expiry, now) for key, _, expiry in budgets]
            spent = all(len(hits) < limit for hits, (_, limit, _) in zip(windows, budgets))
            if spent:
                for hits in windows:
                    hits.append(now)
                self._written(now)
            return spent, None, [self._stats(key, expiry, now) for key, _, expiry in budgets]

    def _stats(self, key: str, expiry: float, now: float) -> tuple[float, int]:
        hits = self._window(key, expiry, now)
        return (hits[0], len(hits)) if hits else (now, 0)

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        with self._lock:
            hits = self._window(key, expiry, now)
            return (hits[0], len(hits)) if hits else (now, 0)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            count, expires_at = self._counters.get(key, (0, now + expiry))
            if expires_at <= now:
                count, expires_at = 0, now + expiry
            self._counters[key] = (count + amount, expires_at)
            self._written(now)
            return count + amount

    def get(self, key: str) -> int:
        with self._lock:
            count, expires_at = self._counters.get(key, (0, 0.0))
            return count if expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        with self._lock:
            return self._counters.get(key, (0, time.time()))[1]

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            cleared = len(self._windows) + len(self._counters)
            self._windows.clear()
            self._expiries.clear()
            self._counters.clear()
            return cleared

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)
            self._expiries.pop(key, None)
            self._counters.pop(key, None)

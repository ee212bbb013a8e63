"""A sliding-window rate limit kept in memory (one intake process)."""
import threading
import time
from collections import defaultdict, deque


class RateLimit:
    """At most ``count`` events per ``seconds`` for each key."""

    def __init__(self, count, seconds, clock=time.monotonic):
        self.count, self.seconds, self.clock = count, seconds, clock
        self._events = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key):
        """Record an event for ``key`` and return True, or return False when over the limit."""
        now = self.clock()
        with self._lock:
            events = self._events[key]
            while events and events[0] <= now - self.seconds:
                events.popleft()
            if len(events) >= self.count:
                return False
            events.append(now)
            return True

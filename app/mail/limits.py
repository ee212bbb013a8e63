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
        self._swept = clock()

    def allow(self, key):
        """Record an event for ``key`` and return True, or return False when over the limit."""
        now = self.clock()
        with self._lock:
            if now - self._swept >= self.seconds:
                self._forget_older_than_a_window(now)
            events = self._events[key]
            while events and events[0] <= now - self.seconds:
                events.popleft()
            if len(events) >= self.count:
                return False
            events.append(now)
            return True

    def _forget_older_than_a_window(self, now):
        # Once a window: keys seen once (forged senders, say) would otherwise stay for ever.
        self._events = defaultdict(deque, {key: events for key, events in self._events.items()
                                           if events and events[-1] > now - self.seconds})
        self._swept = now

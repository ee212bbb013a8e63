"""A circuit breaker: after a failure, fail fast for a cool-down, then let one trial call through."""

import threading
import time


class CircuitBreaker:
    """Guards calls to a remote service so that an unreachable one costs one failure, not one per call."""

    def __init__(self, cooldown: float, clock=time.monotonic):
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        self._trial_running = False

    def allow(self) -> bool:
        """Whether a call may go ahead now; a True after the cool-down is the single trial call."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._trial_running or self._clock() - self._opened_at < self.cooldown:
                return False
            self._trial_running = True
            return True

    def succeeded(self) -> None:
        """Record a successful call: the breaker closes."""
        with self._lock:
            self._opened_at = None
            self._trial_running = False

    def failed(self) -> None:
        """Record a failed call: the breaker opens (again) for a full cool-down."""
        with self._lock:
            self._opened_at = self._clock()
            self._trial_running = False

"""The circuit breaker on its own, with a clock the test turns."""

from speech.breaker import CircuitBreaker


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def test_closed_breaker_allows_every_call():
    breaker = CircuitBreaker(cooldown=30, clock=Clock())

    assert all(breaker.allow() for _ in range(3))


def test_failure_opens_it_for_the_cool_down_then_one_trial_goes_through():
    clock = Clock()
    breaker = CircuitBreaker(cooldown=30, clock=clock)
    breaker.failed()

    clock.now += 29
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # others wait for its outcome


def test_successful_trial_closes_it():
    clock = Clock()
    breaker = CircuitBreaker(cooldown=30, clock=clock)
    breaker.failed()
    clock.now += 30
    breaker.allow()

    breaker.succeeded()

    assert breaker.allow() and breaker.allow()


def test_failed_trial_opens_it_for_another_full_cool_down():
    clock = Clock()
    breaker = CircuitBreaker(cooldown=30, clock=clock)
    breaker.failed()
    clock.now += 30
    breaker.allow()

    breaker.failed()

    clock.now += 29
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()

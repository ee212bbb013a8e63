"""The intake's in-memory rate limit forgets senders whose window has passed."""
from app.mail.limits import RateLimit


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_flood_of_one_time_senders_does_not_stay_in_memory():
    """Forged senders, each seen once, are forgotten an hour later; the counts still hold."""
    clock = Clock()
    limit = RateLimit(2, 3600, clock=clock)
    for n in range(10_000):
        assert limit.allow(f"forged{n}@example.jp")
    assert limit.allow("real@example.jp") and limit.allow("real@example.jp")
    assert not limit.allow("real@example.jp")
    clock.now = 3601
    assert limit.allow("someone@example.jp")
    assert len(limit._events) <= 2  # what is kept is the memory under test
    assert limit.allow("real@example.jp")

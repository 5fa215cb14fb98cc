"""Rate limiting and backoff with an injected clock: nothing here sleeps."""

from __future__ import annotations

import random

import pytest

from leadex_mail.campaign.ratelimit import Rate, Throttle, parse_rates
from leadex_mail.campaign.runner import backoff_delay
from leadex_mail.errors import ConfigError


class FakeClock:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def send_times(limiter: Throttle, clock: FakeClock, n: int) -> list[float]:
    """When each of ``n`` messages would go out."""
    out = []
    for _ in range(n):
        limiter.acquire()
        out.append(clock.t)
    return out


def test_parse_rates() -> None:
    assert parse_rates("600/min") == (Rate(600, 60.0),)
    assert parse_rates("5000/h") == (Rate(5000, 3600.0),)
    assert parse_rates("600/min, 20000/hour") == (Rate(600, 60.0), Rate(20000, 3600.0))
    assert parse_rates(None) == () and parse_rates("") == ()
    for bad in ("fast", "10/day", "0/min", "-3/h"):
        with pytest.raises(ConfigError) as err:
            parse_rates(bad)
        assert "N/min" in (err.value.hint or "")


def test_per_minute_limit_spreads_messages_evenly() -> None:
    clock = FakeClock()
    limiter = Throttle(parse_rates("30/min"), clock=clock, sleep=clock.sleep)
    times = send_times(limiter, clock, 61)
    # One token of burst, then one message every 2 s: 61 messages take 120 s.
    assert times[-1] - times[0] == pytest.approx(120.0)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(g == pytest.approx(2.0) for g in gaps)
    # Never more than 30 in any 60 s window (plus the one-token burst).
    for i, start in enumerate(times):
        assert sum(1 for t in times[i:] if t < start + 60) <= 31


def test_fast_rate_allows_a_one_second_burst() -> None:
    clock = FakeClock()
    limiter = Throttle(parse_rates("600/min"), clock=clock, sleep=clock.sleep)
    times = send_times(limiter, clock, 30)
    assert times[9] == times[0]  # capacity: 10 tokens (one second's worth)
    assert times[10] > times[0]
    assert times[-1] - times[0] == pytest.approx(2.0)  # 20 more at 10/s


def test_hour_and_minute_limits_together_the_stricter_wins() -> None:
    clock = FakeClock()
    limiter = Throttle(parse_rates("60/min,360/h"), clock=clock, sleep=clock.sleep)
    times = send_times(limiter, clock, 11)
    assert times[-1] - times[0] == pytest.approx(100.0)  # 360/h = one per 10 s


def test_restart_is_seeded_from_recent_sends() -> None:
    """A restarted process does not get a fresh burst when the window's quota is used up."""
    clock = FakeClock()
    fresh = Throttle(parse_rates("120/min"), clock=clock, sleep=clock.sleep)
    fresh.seed(lambda window: 0)
    assert send_times(fresh, clock, 2)[1] == clock.t and not clock.sleeps  # 2-token burst, no wait

    clock2 = FakeClock()
    restarted = Throttle(parse_rates("120/min"), clock=clock2, sleep=clock2.sleep)
    restarted.seed(lambda window: 125)  # already 125 sent in the last minute (over the limit)
    first = send_times(restarted, clock2, 1)[0]
    assert first - 1000.0 == pytest.approx(3.0)  # 5 over + this one, at 2/s


def test_limiter_without_rates_never_waits() -> None:
    clock = FakeClock()
    limiter = Throttle((), clock=clock, sleep=clock.sleep)
    send_times(limiter, clock, 1000)
    assert clock.sleeps == [] and limiter.describe() == "unlimited"


def test_backoff_is_exponential_with_bounded_jitter() -> None:
    rng = random.Random(7)
    for attempt in range(1, 6):
        full = 60.0 * 2 ** (attempt - 1)
        delays = [backoff_delay(attempt, 60.0, rng) for _ in range(200)]
        assert all(full / 2 <= d <= full for d in delays)
        assert max(delays) - min(delays) > full / 4  # jitter really spreads them

"""The suite refuses to empty a database or a Redis that is not plainly a test one."""
from datetime import UTC, date, datetime, timedelta

import pytest

from .conftest import REDIS_TEST_MARK, claim_test_redis, flush_test_redis, refuse_unless_test_database
from .test_services_redis import redis_url  # noqa: F401  (fixture)

# The Redis checks flush the tests' Redis database: in the same process as the other tests that do.
pytestmark = pytest.mark.xdist_group("redis")


def test_the_tests_that_share_redis_run_in_one_process(request):
    """`make test` runs the suite in several processes; a group (these Redis tests, the browser tests)
    must stay in one. pytest-xdist's grouping silently stops working under pytest 9, so this checks it."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run with `pytest -n N --dist loadgroup`")
    assert request.node.nodeid.endswith("@redis")


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://postgres@127.0.0.1:5432/training",
    "postgresql+psycopg://app:secret@db.example.org/peer_recovery",
    "postgresql+psycopg://postgres@127.0.0.1:5432/",
])
def test_a_postgresql_database_not_named_test_is_never_dropped(url):
    with pytest.raises(pytest.exit.Exception, match="refusing to drop"):
        refuse_unless_test_database(url)


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test_ops",
    "sqlite:////tmp/pytest-of-root/db0/test.db",
])
def test_test_databases_are_accepted(url):
    refuse_unless_test_database(url)


def test_a_redis_holding_data_without_the_suites_mark_is_never_flushed(redis_url):  # noqa: F811
    connection = flush_test_redis(redis_url)
    try:
        connection.delete(REDIS_TEST_MARK)
        connection.set("LIMITS:LIMITER/127.0.0.1/login", "3")
        with pytest.raises(pytest.fail.Exception, match="refusing to flush"):
            claim_test_redis(redis_url)
        assert connection.get("LIMITS:LIMITER/127.0.0.1/login") == b"3"
    finally:
        connection.flushdb()
        connection.set(REDIS_TEST_MARK, "1")


def test_an_empty_redis_is_marked_as_the_suites_then_flushed_freely(redis_url):  # noqa: F811
    connection = flush_test_redis(redis_url)
    connection.flushdb()
    claim_test_redis(redis_url)
    assert connection.exists(REDIS_TEST_MARK)
    connection.set("rq:queues", "x")
    assert flush_test_redis(redis_url).dbsize() == 1  # only the mark is left


def test_a_run_that_starts_near_midnight_runs_on_a_clock_set_back_within_one_day(monkeypatch):
    import time_machine

    from .conftest import keep_the_run_within_one_day

    monkeypatch.delenv("TEST_CLOCK_BACK_HOURS", raising=False)
    with time_machine.travel(datetime(2026, 3, 1, 23, 15, tzinfo=UTC), tick=False):
        traveller = keep_the_run_within_one_day()
        try:
            assert traveller is not None
            assert abs(datetime.now(UTC) - datetime(2026, 3, 1, 20, 15, tzinfo=UTC)) < timedelta(minutes=1)
            assert date.today() == date(2026, 3, 1)
        finally:
            traveller.stop()
    with time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), tick=False):
        assert keep_the_run_within_one_day() is None
        assert datetime.now(UTC) == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

"""Load and faults at a small size (``make loadtest`` is the full one): two gunicorn servers sharing
PostgreSQL and Redis, one killed with SIGKILL mid-run, then every connection to PostgreSQL ended.

The shared PostgreSQL server is never restarted here: connections to the load test's own
throwaway database are ended instead (pg_terminate_backend), as a restart would end them.
"""
import os

import pytest

from .conftest import IN_CI, claim_test_redis

# Its app servers keep their rate limits in the suite's Redis: beside the tests that flush it, not during them.
pytestmark = [pytest.mark.loadtest, pytest.mark.xdist_group("redis")]


def test_people_keep_being_served_through_a_killed_server_and_a_lost_database(tmp_path):
    from bench.loadtest import SharedPostgres, run_load
    from training.config import database_url

    url, redis_url = os.environ.get("TEST_DATABASE_URL"), os.environ.get("REDIS_URL")
    if not (url and redis_url):
        if IN_CI:
            pytest.fail("TEST_DATABASE_URL and REDIS_URL must be set in CI: the load test needs both.")
        pytest.skip("Load test skipped: set TEST_DATABASE_URL and REDIS_URL to run it.")
    claim_test_redis(redis_url)  # the app servers' rate limits land there: the suite may flush them later
    server = database_url(url).rsplit("/", 1)[0] + "/postgres"
    report = run_load(users=12, seconds=18, postgres=SharedPostgres(server), redis_url=redis_url, kill=True,
                      database_fault="terminate")
    report.print()
    assert report.problems() == []
    assert report.killed_at is not None and report.served_after_kill > 0
    assert report.stored > 0 and not report.lost and not report.doubled
    statuses = {action: set(s) for action, s in report.by_action.items()}
    assert 302 in statuses["log hours"] and 302 in statuses["submit quiz"] and 302 in statuses["approve"]

"""What needs Redis: rate limits shared by several app servers, and RQ background jobs.

These run when REDIS_URL is set; in CI a missing Redis is a failure, elsewhere a skip.
"""
import os

import pytest

from training import create_app
from training.extensions import db

from .conftest import IN_CI, claim_test_redis, flush_test_redis


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL")
    if not url:
        if IN_CI:
            pytest.fail("REDIS_URL must be set in CI: rate limits and background jobs are tested on Redis.")
        pytest.skip("Redis tests skipped: set REDIS_URL to run them.")
    from redis import Redis

    Redis.from_url(url).ping()
    claim_test_redis(url)
    return url


def test_rate_limits_are_shared_between_app_servers(redis_url, database_url):
    """Two app instances, like two gunicorn servers, count sign-in attempts together."""
    flush_test_redis(redis_url)
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": redis_url, "LOGIN_RATE_LIMIT": "4 per minute", "WTF_CSRF_ENABLED": False}
    statuses = []
    for server in (create_app(settings), create_app(settings)):
        client = server.test_client()
        for _ in range(3):
            statuses.append(client.post("/login", data={"email": "x@example.org", "password": "wrong"}).status_code)
        with server.app_context():
            db.engine.dispose()
    assert statuses[:4] == [200] * 4 and statuses[4:] == [429, 429]


@pytest.mark.config(RQ_ENABLED=True)
def test_bulk_issue_goes_to_an_rq_worker(app, redis_url, people, credentials):
    from rq import Queue, SimpleWorker

    from training.certificates.jobs import start_bulk_issue
    from training.certificates.models import BulkIssueJob
    from training.credentials.models import Credential

    app.config["REDIS_URL"] = redis_url
    connection = flush_test_redis(redis_url)
    credential = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    job = start_bulk_issue(people["admin"], credential, [people["trainee"]])
    queue = Queue("certificates", connection=connection)
    assert queue.count == 1 and db.session.get(BulkIssueJob, job.id).status == "queued"
    SimpleWorker([queue], connection=connection).work(burst=True)
    db.session.expire_all()
    finished = db.session.get(BulkIssueJob, job.id)
    assert finished.status == "finished" and finished.done == 1
    assert finished.failures[0]["user"] == "trainee@example.org"  # not eligible: reported, not issued

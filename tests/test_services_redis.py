"""What needs Redis: rate limits shared by several app servers, and RQ background jobs.

These run when REDIS_URL is set; in CI a missing Redis is a failure, elsewhere a skip.
"""
import os
import uuid

import pytest

from training import create_app
from training.extensions import db

from .conftest import IN_CI, claim_test_redis, flush_test_redis

# They flush the Redis database they are given: one test process at a time.
pytestmark = pytest.mark.xdist_group("redis")


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
    # A prefix of this run's own: no other process's counts can share the servers' budget.
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
                "LOGIN_RATE_LIMIT": "4 per minute", "WTF_CSRF_ENABLED": False}
    statuses = []
    for server in (create_app(settings), create_app(settings)):
        client = server.test_client()
        for _ in range(3):
            statuses.append(client.post("/login", data={"email": "x@example.org", "password": "wrong"}).status_code)
        with server.app_context():
            db.engine.dispose()
    assert statuses[:4] == [200] * 4 and statuses[4:] == [429, 429]


def _bulk_issue(app, redis_url, actor, trainees, chunk_size=None):
    """A bulk issue of the shipped credential on RQ (chunks of ``chunk_size``), in an emptied Redis:
    (the job, the Redis connection)."""
    from training.certificates.jobs import start_bulk_issue
    from training.credentials.models import Credential
    from training.jobs import services

    app.config["REDIS_URL"] = redis_url
    connection = flush_test_redis(redis_url)
    credential = db.session.scalar(db.select(Credential).where(Credential.slug == "peer-recovery-specialist"))
    original, services.JobKind.chunk_size = services.JobKind.chunk_size, chunk_size or services.JobKind.chunk_size
    try:
        return start_bulk_issue(actor, credential, trainees), connection
    finally:
        services.JobKind.chunk_size = original


def _issue_without_the_check(monkeypatch):
    """From now on the workers issue to trainees who are not eligible yet (the people fixture's are not)."""
    from training.certificates import services as certificates

    original_issue = certificates.issue
    monkeypatch.setattr(certificates, "issue",
                        lambda *args, **kwargs: original_issue(*args, **{**kwargs, "check": False}))


@pytest.mark.config(RQ_ENABLED=True)
def test_bulk_issue_is_shared_by_rq_workers_and_failed_items_can_be_retried(app, redis_url, people, credentials,
                                                                             login_as, monkeypatch):
    """Chunks of one job go to the ``jobs`` queue; whichever worker takes them, each trainee is done once."""
    from rq import Queue, SimpleWorker

    from training.certificates.models import Certificate
    from training.jobs import services
    from training.jobs.models import Job

    trainees = [people["trainee"], people["other_trainee"]]
    job, connection = _bulk_issue(app, redis_url, people["admin"], trainees, chunk_size=1)
    queue = Queue("jobs", connection=connection)
    assert queue.count == 2 and db.session.get(Job, job.id).status == "queued"
    page = login_as(people["admin"]).get(f"/jobs/{job.id}").text
    assert "Waiting for a worker" in page
    # Two workers: the first takes one chunk, the second whatever is left.
    SimpleWorker([queue], connection=connection).work(burst=True, max_jobs=1)
    SimpleWorker([queue], connection=connection).work(burst=True)
    db.session.expire_all()
    finished = db.session.get(Job, job.id)
    assert (finished.status, finished.done, finished.failed) == ("finished", 2, 2)  # not eligible: reported
    assert [item.label for item in services.failures(finished)] == [t.email for t in trainees]

    services.retry(finished)  # still not eligible, but this time issued without the check
    assert queue.count == 1  # the failed items, in one chunk
    _issue_without_the_check(monkeypatch)
    SimpleWorker([queue], connection=connection).work(burst=True)
    db.session.expire_all()
    assert (finished.status, finished.done, finished.failed) == ("finished", 2, 0)
    assert db.session.scalar(db.select(db.func.count()).select_from(Certificate)) == 2


@pytest.mark.config(RQ_ENABLED=True)
def test_a_chunk_left_by_a_worker_that_stopped_is_put_back_and_done_by_another(app, redis_url, people,
                                                                              credentials):
    """A worker killed mid-chunk leaves it started; once its time is up, the next worker to tidy the
    queues puts it back, and the job finishes without anyone retrying it."""
    from datetime import UTC, datetime, timedelta

    import time_machine
    from rq import Queue, SimpleWorker
    from rq.registry import FailedJobRegistry

    from training.jobs import services
    from training.jobs.models import Job

    job, connection = _bulk_issue(app, redis_url, people["admin"], [people["trainee"], people["other_trainee"]],
                                  chunk_size=1)
    job_id = job.id
    queue = Queue("jobs", connection=connection)
    # A worker takes the first chunk and is killed before it does anything more.
    stopped = SimpleWorker([queue], connection=connection)
    stopped.register_birth()
    taken, _ = Queue.dequeue_any([queue], None, connection=connection)
    stopped.prepare_execution(taken)
    stopped.prepare_job_execution(taken)
    assert taken.get_status() == "started" and queue.count == 1

    # Before its time is up, another worker does only the other chunk: the job waits.
    SimpleWorker([queue], connection=connection, maintenance_interval=60).work(burst=True)
    db.session.expire_all()
    assert db.session.get(Job, job_id).status == "running"

    later = datetime.now(UTC) + timedelta(seconds=services.CHUNK_TIMEOUT + 120)
    with time_machine.travel(later, tick=True):
        SimpleWorker([queue], connection=connection, maintenance_interval=60).work(burst=True)
    db.session.expire_all()
    finished = db.session.get(Job, job_id)
    assert (finished.status, finished.done) == ("finished", 2)
    assert FailedJobRegistry(queue=queue).count == 0


@pytest.mark.config(RQ_ENABLED=True)
def test_a_chunk_of_certificates_tells_its_holders_from_one_background_job(app, redis_url, people, credentials,
                                                                           make_user, monkeypatch):
    """Each holder of a bulk issue is told, by one notification job per chunk instead of one per certificate."""
    from rq import Queue, SimpleWorker

    from training.notifications.models import Notification

    holders = [people["trainee"], people["other_trainee"], make_user("third@example.org")]
    _, connection = _bulk_issue(app, redis_url, people["admin"], holders)
    jobs, mail = Queue("jobs", connection=connection), Queue("mail", connection=connection)
    _issue_without_the_check(monkeypatch)
    SimpleWorker([jobs], connection=connection).work(burst=True)
    assert mail.count == 1
    SimpleWorker([mail], connection=connection).work(burst=True)
    told = db.session.scalars(db.select(Notification.user_id).where(Notification.kind == "certificate_issued"))
    assert sorted(told) == sorted(h.id for h in holders)

"""Issuing in bulk without blocking requests: RQ workers with Redis, a thread without."""
import threading

from flask import current_app

from training.certificates.models import BulkIssueJob
from training.db_types import utcnow
from training.extensions import db


def start_bulk_issue(actor, credential, users):
    job = BulkIssueJob(credential_id=credential.id, started_by_id=getattr(actor, "id", None),
                       user_ids=[u.id for u in users], total=len(users))
    db.session.add(job)
    db.session.commit()
    if current_app.config.get("RQ_ENABLED"):
        from redis import Redis
        from rq import Queue

        Queue("certificates", connection=Redis.from_url(current_app.config["REDIS_URL"])).enqueue(
            "training.certificates.jobs.run_bulk_issue_job", job.id, job_timeout=3600)
    else:
        app = current_app._get_current_object()
        thread = threading.Thread(target=_run_in_app, args=(app, job.id), daemon=True)
        thread.start()
        if app.testing:
            thread.join()
    return job


def _run_in_app(app, job_id):
    with app.app_context():
        run_bulk_issue(job_id)


def run_bulk_issue_job(job_id):
    """Entry point for an RQ worker (``rq worker certificates``): builds the app from the environment."""
    from flask import has_app_context

    if has_app_context():  # a worker running inside an app, as the tests do
        return run_bulk_issue(job_id)
    from training import create_app

    _run_in_app(create_app(), job_id)


def run_bulk_issue(job_id, progress=None):
    """Issue to each trainee of the job, committing progress as it goes; safe to re-run."""
    from training.auth.models import User
    from training.certificates.services import CertificateError, issue

    job = db.session.get(BulkIssueJob, job_id)
    job.status = "running"
    db.session.commit()
    actor = db.session.get(User, job.started_by_id) if job.started_by_id else None
    failures = list(job.failures or [])
    for index, user_id in enumerate(job.user_ids[job.done:], start=job.done):
        user = db.session.get(User, user_id)
        try:
            _, created = issue(user, job.credential, actor=actor)
            job.issued += int(created)
        except CertificateError as error:
            db.session.rollback()
            failures.append({"user": user.email, "reason": error.message})
        job = db.session.get(BulkIssueJob, job_id)
        job.done, job.failures = index + 1, failures
        db.session.commit()
        if progress:
            progress(1)
    job.status, job.finished_at = "finished", utcnow()
    db.session.commit()
    return job

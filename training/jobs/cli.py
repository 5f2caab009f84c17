"""``flask --app app jobs ...``: run workers, follow jobs, retry what failed."""
import time

import click
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from training.cli_language import Group, option
from training.extensions import db

jobs_cli = Group("jobs", help=_l("Background jobs: workers, progress and retries."))


@jobs_cli.command("worker", help=_l("Take work from the RQ queues (needs REDIS_URL); run one per core."))
@option("--queue", "queues", multiple=True, help=_l("Queues to take work from, most urgent first "
                                                        "(default: mail, then jobs)."))
@option("--burst", is_flag=True, help=_l("Stop when the queues are empty."))
@option("--nice", default=10, show_default=True,
        help=_l("Lower CPU priority than the app servers', so pages stay quick while a job runs."))
def worker(queues, burst, nice):
    import os

    from redis import Redis
    from rq import Queue, SimpleWorker

    import training.jobs
    from training.jobs import QUEUES

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException(_("Set REDIS_URL: workers take their work from Redis."))
    # One app for the worker's life: each job runs in a fresh context of it, so the parsed
    # certificate designs, fonts and keys stay warm from one job to the next.
    training.jobs._worker_app = current_app._get_current_object()
    if nice:
        os.nice(nice)
    connection = Redis.from_url(url)
    db.engine.dispose()  # no connection opened by the command is shared with the work
    # Every minute a worker tidies the queues: a chunk left by a worker that stopped goes back in the queue
    # once its time is up (see ``CHUNK_TIMEOUT``).
    SimpleWorker([Queue(name, connection=connection) for name in (queues or QUEUES)], connection=connection,
                 maintenance_interval=60).work(burst=burst, logging_level="INFO", with_scheduler=False)


def _line(job):
    from training.jobs.services import title

    state = {"queued": _("waiting"), "running": _("running"), "finished": _("finished")}[job.status]
    return _("#%(id)s %(title)s: %(done)s/%(total)s processed, %(failed)s failed, %(state)s", id=job.id,
             title=title(job), done=job.done, total=job.total, failed=job.failed, state=state)


def _job_or_fail(job_id):
    from training.jobs.models import Job

    job = db.session.get(Job, job_id)
    if job is None:
        raise click.ClickException(_("No job #%(id)s.", id=job_id))
    return job


@jobs_cli.command("list", help=_l("The latest jobs, newest first."))
@option("--limit", default=20, show_default=True)
def list_jobs(limit):
    from training.jobs.models import Job

    for job in db.session.scalars(select(Job).order_by(Job.id.desc()).limit(limit)):
        click.echo(_line(job))


@jobs_cli.command("show", help=_l("A job's progress and each failed item with its reason."))
@click.argument("job_id", type=int)
@option("--watch", is_flag=True, help=_l("Show a progress bar until the job finishes."))
def show(job_id, watch):
    from training.jobs.services import failures, result_file, summary

    job = _job_or_fail(job_id)
    if watch and job.status != "finished":
        with click.progressbar(length=job.total or 1, label=_("Job #%(id)s", id=job.id)) as bar:
            shown = 0
            while job.status != "finished":
                time.sleep(1)
                db.session.expire_all()
                bar.update(job.done - shown)
                shown = job.done
            bar.update(job.done - shown)
    click.echo(_line(job))
    said = summary(job)
    if said:
        click.echo(said)
    path = result_file(job)
    if path:
        click.echo(_("File: %(path)s (%(size)s bytes)", path=path, size=job.result_size))
    for item in failures(job, limit=None):
        click.echo(_("failed: %(item)s: %(error)s", item=item.label, error=item.error))


@jobs_cli.command("retry", help=_l("Queue a job's failed items again (and any a stopped worker left)."))
@click.argument("job_id", type=int)
def retry(job_id):
    from training.errors import ServiceError
    from training.jobs.services import retry as retry_job

    try:
        count = retry_job(_job_or_fail(job_id))
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(ngettext("%(num)d item of job #%(id)s queued again.", "%(num)d items of job #%(id)s queued again.",
                        count, id=job_id))


@jobs_cli.command("clean", help=_l("Remove the files of jobs finished more than JOB_FILES_KEEP_DAYS days ago "
                                   "(for a daily scheduler); the jobs stay listed."))
@option("--days", type=click.IntRange(min=0), default=None,
        help=_l("Keep files this many days instead (default: JOB_FILES_KEEP_DAYS)."))
def clean(days):
    from training.jobs.services import remove_old_files

    days = current_app.config["JOB_FILES_KEEP_DAYS"] if days is None else days
    removed, freed = remove_old_files(days)
    click.echo(ngettext("%(num)d file removed (%(size)s bytes) from jobs finished more than %(days)d days ago.",
                        "%(num)d files removed (%(size)s bytes) from jobs finished more than %(days)d days ago.",
                        removed, size=freed, days=days))

"""Jobs with progress: created by a person or a command, done by workers in chunks.

A job is a row with counters and one row per item (a trainee to issue to, a certificate to
put in a zip). Its items are split into chunks, each an RQ job on the ``jobs`` queue, so two
workers share one job; without workers one thread does every chunk. Each item is committed
on its own: progress shows as it goes, a worker killed mid-chunk loses at most the item it
was on, and failed items keep their reason until someone retries them. Every kind of job
is safe to run twice on the same item (issuing is idempotent, a zip entry is skipped when
present), so a retry or a chunk run twice never doubles anything.
"""
import logging
import secrets
import zipfile
from contextlib import contextmanager
from datetime import timedelta
from importlib import import_module
from pathlib import Path

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update

from training.db_types import utcnow
from training.errors import ServiceError
from training.extensions import db
from training.i18n import current_language, in_every_language
from training.jobs import in_thread, redis_queue, uses_workers
from training.jobs.models import Job, JobItem

log = logging.getLogger("training.jobs")

# Each kind of job, by the class that does it (imported when needed: features depend on jobs, not the reverse).
KINDS = {
    "bulk_issue": "training.certificates.jobs.BulkIssue",
    "certificates_zip": "training.certificates.jobs.CertificatesZip",
    "supervision_reports": "training.supervision.jobs.VerificationReports",
    "reminders": "training.jobs.kinds.Reminders",
}


# A chunk is a few seconds' work; one still running after this long is stopped and run again.
CHUNK_TIMEOUT = 600
CHUNK_RETRIES = 3


class JobItemFailed(ServiceError):
    """An item that cannot be done, with the reason shown in the job's list of failures."""


class JobKind:
    """What a kind of job does with each item; subclasses name themselves in ``KINDS``."""

    chunk_size = 25  # items per RQ job: small enough to spread over workers, large enough to keep overhead low
    # The roles that start this kind of job: whoever started it must still hold one to see who its items
    # are about, to retry them and to download its file.
    roles = ()

    def title(self, job):
        raise NotImplementedError

    def process(self, job, key):
        """Do one item; raise ``JobItemFailed`` (or ``ServiceError``) to record it as failed with a reason.

        The reason is stored in every language (see ``reasons``): give ``JobItemFailed`` a lazy message."""
        raise NotImplementedError

    def run_chunk(self, job, items, step):
        """Do a chunk of items, calling ``step(item, error)`` after each; kinds that write one file override it."""
        for item in items:
            step(item, self._attempt(job, item))

    def _attempt(self, job, item):
        try:
            self.process(job, item.key)
            return None
        except Exception as exc:
            return self._failure(job, item, exc)

    def _failure(self, job, item, exc):
        db.session.rollback()
        if isinstance(exc, ServiceError):
            return reasons(exc)
        log.exception("Job %s item %s failed", job.id, item.key)
        return in_every_language(lambda: _("An unexpected error stopped this item; it is in the server log. "
                                           "Retry it once the cause is fixed."))

    def finish(self, job):
        """After the last item: a summary, a file closed. Runs once per run to the end (again after a retry)."""

    def links(self, job):
        """(label, url) pairs shown on the job's page: where to go next, a file to download."""
        return []

    def download_refusal(self, job, user):
        """Why ``user``, who started the job, may no longer download its file; None when they may."""
        return None

    def start_again(self, job):
        """(label, url) of a button to the page where a job like this one is started, for when its file is gone."""
        return None

    def role_lost(self, user):
        return bool(self.roles) and not user.has_role(*self.roles)

    def out_of_sight(self, job, user, keys):
        """Of ``keys`` (the job's items), those about people ``user`` may no longer see: their page
        does not name them, they are not retried, and a file holding them is not theirs to download.
        Every one, once ``user`` no longer holds the role the job was started with."""
        return set(keys) if self.role_lost(user) else set()

    def hidden_note(self, user, count):
        """What the job's page says of ``count`` failed items it does not show ``user``."""
        from training.auth.models import ROLES

        if self.role_lost(user):
            return ngettext("%(num)d item is hidden and is not retried: you no longer have the role this job was "
                            "started with (%(roles)s).",
                            "%(num)d items are hidden and are not retried: you no longer have the role this job "
                            "was started with (%(roles)s).",
                            count, roles=", ".join(str(ROLES[role]) for role in self.roles))
        return ngettext("%(num)d item about someone you no longer have access to is hidden and is not retried.",
                        "%(num)d items about people you no longer have access to are hidden and are not retried.",
                        count)

    def summary(self, job, user=None):
        """The job's report, as ``user`` may read it now (everything, for the command line)."""
        return job.summary


def reasons(error):
    """Why an item failed, ``{language: text}``, for whoever reads the job later in whatever language.

    An error that can say itself again (a ``words()`` method) or whose message is lazy is said in
    every language; any other is kept in the language it was raised in."""
    words = getattr(error, "words", None)
    if callable(words):
        return in_every_language(words)
    if not isinstance(error.message, str):  # a lazy string, translated when it is read
        return in_every_language(lambda: error.message)
    return {current_language(): error.message}


def add_to_summary(job, render):
    """Add a sentence to the job's summary, in every language; ``render`` says it in the current one."""
    lines = in_every_language(render)
    stored = db.session.scalar(select(Job.summaries).where(Job.id == job.id).with_for_update()) or {}
    db.session.execute(update(Job).where(Job.id == job.id).values(summaries={
        language: " ".join(part for part in (stored.get(language, ""), line) if part)
        for language, line in lines.items()}))


def add_to_params(job, name, values):
    """Add ``values`` to the list ``job.params[name]``, each once (a chunk run twice adds nothing): what
    the work learnt of its items, for the page to report to each reader as they may read it now."""
    params = db.session.scalar(select(Job.params).where(Job.id == job.id).with_for_update()) or {}
    listed = list(params.get(name, []))
    listed += [value for value in values if value not in listed]
    db.session.execute(update(Job).where(Job.id == job.id).values(params={**params, name: listed}))


def job_files_dir():
    """Where jobs write their files: a folder that app servers and workers share (``JOB_FILES_DIR``)."""
    folder = Path(current_app.config.get("JOB_FILES_DIR") or Path(current_app.instance_path) / "job-files")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class ZipOfPdfs(JobKind):
    """Each item adds one PDF (named by the item's label) to a zip file on disk, never held in memory.

    One chunk, as one worker writes the one file. A retry appends what failed before; an entry
    already in the file is not written again.
    """

    chunk_size = None
    prefix = "documents"

    def pdf(self, job, key):
        raise NotImplementedError

    def path(self, job):
        """The job's file, named once with a random part: a database emptied and refilled, or another
        database sharing the folder, may reuse the job's number, never its file."""
        if not job.result_path:
            job.result_path = f"{self.prefix}-{job.id}-{secrets.token_hex(6)}.zip"
            db.session.commit()
        return job_files_dir() / job.result_path

    def run_chunk(self, job, items, step):
        with zipfile.ZipFile(self.path(job), "a", zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
            present = set(archive.namelist())
            for item in items:
                error = None
                if item.label not in present:
                    try:
                        archive.writestr(item.label, self.pdf(job, item.key))
                    except Exception as exc:
                        error = self._failure(job, item, exc)
                step(item, error)

    def finish(self, job):
        path = self.path(job)
        if not path.exists():  # every item failed, or there were none: an empty zip is still a zip
            zipfile.ZipFile(path, "w").close()
        job.result_size = path.stat().st_size

    def links(self, job):
        if result_file(job) is not None:
            return [(_("Download the zip file"), url_for("jobs.download", job_id=job.id))]
        return []

    def download_refusal(self, job, user):
        """Rights are checked at every download, not only when the job was started: the file holds
        other people's records, and whoever started it may since have lost the role it needed."""
        from training.auth.models import ROLES

        if self.role_lost(user):
            return _("You no longer have the role this file was made for (%(roles)s), so it is no longer yours "
                     "to download.", roles=", ".join(str(ROLES[role]) for role in self.roles))
        return None


def kind_of(job):
    module, name = KINDS[job.kind].rsplit(".", 1)
    return getattr(import_module(module), name)()


def create(kind, started_by, items, params=None):
    """Record a job of ``kind`` over ``items`` ((key, label) pairs), commit it and hand it to the workers."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job(kind=kind, params=params or {}, started_by_id=getattr(started_by, "id", None), total=len(items))
    db.session.add(job)
    db.session.flush()
    if items:
        db.session.execute(JobItem.__table__.insert(), [
            {"job_id": job.id, "key": str(key), "label": str(label)[:200], "status": "pending", "errors": {},
             "attempts": 0} for key, label in items])
    db.session.commit()
    dispatch(job)
    return job


@contextmanager
def loaded_across_commits():
    """Objects read in the block stay loaded when an item of the work commits, instead of being read
    again after every commit: for work that commits item by item, where what the items share (a
    job, the person who started it, a credential) cannot change under it. What an item checks
    must still be queried. At the end, everything is marked for reading again, as after a commit."""
    session = db.session()
    before, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = before
        session.expire_all()


def dispatch(job):
    """Hand the job's pending items to the workers, in chunks (or to a thread when there are none)."""
    ids = list(db.session.scalars(select(JobItem.id).where(JobItem.job_id == job.id, JobItem.status == "pending")
                                  .order_by(JobItem.id)))
    size = kind_of(job).chunk_size or max(len(ids), 1)
    chunks = [ids[i:i + size] for i in range(0, len(ids), size)] or [[]]
    app = current_app._get_current_object()
    if uses_workers(app):
        from rq import Retry

        queue = redis_queue("jobs", app)
        for chunk in chunks:
            # A chunk whose worker stopped (killed, out of memory, the machine restarted) is put back in
            # the queue by the next worker to tidy the queues; the items it had done are skipped.
            queue.enqueue("training.jobs.run", "training.jobs.services.run_chunk", job.id, chunk,
                          job_timeout=CHUNK_TIMEOUT, retry=Retry(max=CHUNK_RETRIES),
                          description=f"job {job.id}: {len(chunk)} item(s)")
    else:
        in_thread(app, "training.jobs.services.run_chunks", job.id, chunks)


def run_chunks(job_id, chunks):
    for chunk in chunks:
        run_chunk(job_id, chunk)


def run_chunk(job_id, item_ids):
    """Do these items of the job, committing each; the last chunk to end finishes the job."""
    db.session.execute(update(Job).where(Job.id == job_id, Job.status == "queued")
                       .values(status="running", started_at=utcnow()))
    db.session.commit()
    job = db.session.get(Job, job_id)
    kind = kind_of(job)
    items = list(db.session.scalars(select(JobItem).where(JobItem.id.in_(item_ids), JobItem.status == "pending")
                                    .order_by(JobItem.id))) if item_ids else []

    def step(item, error):
        item.status, item.errors, item.attempts = ("failed" if error else "done"), error or {}, item.attempts + 1
        item.finished_at = utcnow()
        db.session.execute(update(Job).where(Job.id == job_id).values(
            done=Job.done + 1, failed=Job.failed + (1 if error else 0)))
        db.session.commit()

    kind.run_chunk(job, items, step)
    _finish_when_complete(job_id)


def _finish_when_complete(job_id):
    pending = db.session.scalar(select(func.count()).select_from(JobItem).where(
        JobItem.job_id == job_id, JobItem.status == "pending"))
    if pending:
        return
    # Only one of the workers that end together gets to finish the job.
    finished = db.session.execute(update(Job).where(Job.id == job_id, Job.status != "finished")
                                  .values(status="finished", finished_at=utcnow())).rowcount
    db.session.commit()
    if finished:
        job = db.session.get(Job, job_id)
        try:
            kind_of(job).finish(job)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("Job %s could not finish", job_id)


def retry(job, viewer=None):
    """Put the failed items back in the queue (and any left pending by a worker that stopped); when
    ``viewer`` asks, only those about people they may still see (see ``JobKind.out_of_sight``)."""
    if file_removed(job):
        raise ServiceError(_("This job's file has been removed, so retrying would make a file without the "
                             "items already done. Start the job again instead."))
    if file_expired(job):  # a retry would make it downloadable again, for its days over again
        raise ServiceError(expiry_note())
    if not may_retry(job, viewer):
        raise ServiceError(_("You no longer have the role this job was started with, so it is no longer yours to "
                             "retry."))
    hidden = hidden_failures(job, viewer)
    again = update(JobItem).where(JobItem.job_id == job.id, JobItem.status == "failed")
    if hidden:
        again = again.where(JobItem.key.not_in(hidden))
    failed = db.session.execute(again.values(status="pending", errors={})).rowcount
    pending = db.session.scalar(select(func.count()).select_from(JobItem).where(
        JobItem.job_id == job.id, JobItem.status == "pending"))
    if not pending and hidden:
        raise ServiceError(" ".join([_("Nothing to retry."), hidden_note(job, viewer, len(hidden))]))
    if not pending and job.total:
        raise ServiceError(_("Nothing to retry: every item of this job is done."))
    # The summary keeps what the items already done said; the items retried add their own.
    db.session.execute(update(Job).where(Job.id == job.id).values(
        status="queued", done=Job.done - failed, failed=Job.failed - failed, finished_at=None))
    db.session.commit()
    db.session.refresh(job)
    dispatch(job)
    return pending


STALLED_AFTER = timedelta(minutes=5)


def stalled(job, now=None):
    """Whether an unfinished job has made no progress for a while: started (or queued) and no item
    finished for ``STALLED_AFTER``, as when the worker running it stopped."""
    if job.status == "finished":
        return False
    last = db.session.scalar(select(func.max(JobItem.finished_at)).where(JobItem.job_id == job.id))
    since = max(filter(None, (last, job.started_at, job.created_at)))
    return (now or utcnow()) - since > STALLED_AFTER


def may_retry(job, viewer):
    """Whether ``viewer`` (None: the command line) may queue the job's items again: not once they no
    longer hold the role it was started with, whose items are all about people they may no longer see."""
    return viewer is None or not kind_of(job).role_lost(viewer)


def hidden_failures(job, viewer):
    """The keys of the job's failed items about people ``viewer`` may no longer see (none for the
    command line, ``viewer`` None): the same rule as for downloading the job's file."""
    if viewer is None or not job.failed:
        return set()
    keys = db.session.scalars(select(JobItem.key).where(JobItem.job_id == job.id, JobItem.status == "failed"))
    return kind_of(job).out_of_sight(job, viewer, list(keys))


def hidden_note(job, viewer, count):
    """What the job's page says of ``count`` failed items it does not show ``viewer``."""
    return kind_of(job).hidden_note(viewer, count)


def failures(job, limit=200, hidden=()):
    """The job's failed items with their reasons, first failed first, but for those ``hidden``
    (keys, see ``hidden_failures``)."""
    query = select(JobItem).where(JobItem.job_id == job.id, JobItem.status == "failed").order_by(JobItem.id)
    if hidden:
        query = query.where(JobItem.key.not_in(hidden))
    return list(db.session.scalars(query.limit(limit) if limit else query))


def summary(job, viewer=None):
    """The job's report as ``viewer`` may read it now: never naming people they may no longer see."""
    return kind_of(job).summary(job, viewer)


def _stored_file(job):
    """The file the job wrote, when it is finished and the file is still on disk, kept or not."""
    if job.status != "finished" or not job.result_path:
        return None
    path = job_files_dir() / Path(job.result_path).name
    return path if path.is_file() else None


def result_file(job):
    """The file the job wrote, while it is kept: finished, on disk, and not past ``file_expired``."""
    return None if file_expired(job) else _stored_file(job)


def keep_days():
    """How many days a finished job's file is kept for download (``JOB_FILES_KEEP_DAYS``)."""
    return current_app.config["JOB_FILES_KEEP_DAYS"]


def file_expired(job, now=None):
    """Whether the job's file has been kept its days (``keep_days``) since the job finished: it is no
    longer served from then, whether or not ``remove_old_files`` has deleted it yet."""
    return (job.status == "finished" and bool(job.result_path) and job.finished_at is not None
            and job.finished_at < (now or utcnow()) - timedelta(days=keep_days()))


def expiry_note():
    """What a job's page and its refused download say of a file past its days."""
    days = keep_days()
    return ngettext("This file was kept for %(num)d day after the job finished and is no longer available. "
                    "Start the job again to make a new one.",
                    "This file was kept for %(num)d days after the job finished and is no longer available. "
                    "Start the job again to make a new one.", days)


def file_removed(job):
    """Whether the job wrote a file that is no longer there (removed by ``remove_old_files``)."""
    return job.status == "finished" and bool(job.result_path) and _stored_file(job) is None


def remove_old_files(days, now=None):
    """Delete the files of jobs finished more than ``days`` days ago. The jobs stay listed with their
    progress and failures; their page says the file was removed. Returns (files removed, bytes freed).

    Only files that a job of this database names are removed: another database may share the folder."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    removed = freed = 0
    for job in db.session.scalars(select(Job).where(Job.status == "finished", Job.finished_at < cutoff,
                                                    Job.result_path.is_not(None))):
        path = _stored_file(job)
        if path is not None:
            freed += path.stat().st_size
            path.unlink()
            removed += 1
    return removed, freed


def title(job):
    return kind_of(job).title(job)


def links(job, downloadable=True):
    """Where the job's page leads; without the download when its file is no longer the reader's to download."""
    found = kind_of(job).links(job)
    if not downloadable:
        download = url_for("jobs.download", job_id=job.id)
        found = [(label, href) for label, href in found if href != download]
    return found


def start_again(job):
    """Where to start a job like this one again (see ``JobKind.start_again``), or None."""
    return kind_of(job).start_again(job)


def download_refusal(job, user):
    """Why ``user`` may no longer download the job's file (see ``JobKind.download_refusal``), or None."""
    return kind_of(job).download_refusal(job, user)


def for_person(user, limit=20):
    """The jobs this person started, newest first."""
    return list(db.session.scalars(select(Job).where(Job.started_by_id == user.id)
                                   .order_by(Job.id.desc()).limit(limit)))

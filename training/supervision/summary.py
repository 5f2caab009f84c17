"""Keep each trainee's ``HourSummary`` in step with their hour entries.

Any commit that adds, changes or removes hour entries rewrites the summaries of the trainees
concerned, from their entries, before the commit ends: entries changed through the ORM are
seen at flush, and bulk statements on the entry table as they run (a bulk change with a WHERE
clause rewrites every summary). Two transactions changing the same trainee's entries take
turns on the summary row, so the second counts the first's entries too.
"""
from sqlalchemy import case, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from training.commit_hooks import KeptInStep
from training.extensions import db
from training.supervision.models import HourEntry, HourSummary

BATCH = 500


def _columns(trainee):
    """The summary's values for ``trainee`` (a column or a bound id), as scalar subqueries."""
    own = HourEntry.trainee_id == trainee
    approved, pending = HourEntry.status == "approved", HourEntry.status == "pending"

    def total(kind):
        return select(func.coalesce(func.sum(HourEntry.minutes), 0)).where(
            own, HourEntry.kind == kind, approved).scalar_subquery()

    return {
        "service_minutes": total("service"),
        "supervision_minutes": total("supervision"),
        "last_supervision": select(func.max(HourEntry.occurred_on)).where(
            own, HourEntry.kind == "supervision", approved).scalar_subquery(),
        "pending_count": select(func.count()).where(own, pending).scalar_subquery(),
        "oldest_pending_at": select(func.min(HourEntry.submitted_at)).where(
            own, pending).scalar_subquery(),
    }


def _insert(session):
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(HourSummary)


def refresh(trainee_ids, session=None):
    """Rewrite the summaries of ``trainee_ids`` from their entries."""
    session = session or db.session
    ids = sorted(set(trainee_ids))
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        # Create the missing rows and lock them all, in id order: a transaction changing the same
        # trainees waits here, and each statement after the wait sees what the other committed.
        rows = _insert(session).values([{"trainee_id": trainee_id} for trainee_id in batch])
        session.execute(rows.on_conflict_do_update(index_elements=["trainee_id"],
                                                   set_={"trainee_id": rows.excluded.trainee_id}))
        session.execute(update(HourSummary).where(HourSummary.trainee_id.in_(batch))
                        .values(_columns(HourSummary.trainee_id))
                        .execution_options(synchronize_session=False))


def rebuild(session=None):
    """Rewrite every summary in two statements: after entries were loaded outside the ORM, or
    changed in bulk. Other transactions' summary changes wait until this one ends."""
    session = session or db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE hour_summary IN EXCLUSIVE MODE"))
    session.execute(delete(HourSummary).execution_options(synchronize_session=False))
    kind, status = HourEntry.kind, HourEntry.status
    service = (kind == "service") & (status == "approved")
    supervision = (kind == "supervision") & (status == "approved")
    pending = status == "pending"
    per_trainee = select(
        HourEntry.trainee_id,
        func.coalesce(func.sum(case((service, HourEntry.minutes))), 0),
        func.coalesce(func.sum(case((supervision, HourEntry.minutes))), 0),
        func.max(case((supervision, HourEntry.occurred_on))),
        func.count(case((pending, 1))),
        func.min(case((pending, HourEntry.submitted_at))),
    ).group_by(HourEntry.trainee_id)
    session.execute(insert(HourSummary).from_select(
        ["trainee_id", "service_minutes", "supervision_minutes", "last_supervision", "pending_count",
         "oldest_pending_at"], per_trainee))


def _affected(session):
    return {instance.trainee_id for instance in (*session.new, *session.dirty, *session.deleted)
            if isinstance(instance, HourEntry)}


# Bulk statements on the entries name their trainees only as INSERTs with ids: any other rewrites every summary.
_hooks = KeptInStep("hour_summary", _affected, {HourEntry.__tablename__: "trainee_id"}, refresh, rebuild)
install = _hooks.install

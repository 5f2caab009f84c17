"""Each trainee's burnout level, stored, so that a caseload of hundreds or a programme of thousands
sorts by risk without assessing every trainee on every view.

A stored level holds for the day it was worked out, under the settings it was worked out with,
until the trainee's hour entries, check-ins, enrolments or profile change. Any commit that changes
them bumps the row's ``revision`` and clears its level before the commit ends: rows changed through
the ORM are seen at flush, bulk statements as they run (one without the trainees' ids clears
every level), and a change to a credential's rules clears every level too.

A level is worked out again when a list needs it and stored only if the row's revision is still
the one read before the work began, so a change committed meanwhile is never covered by an older
answer: the row stays cleared and the next view works it out again.
"""
import hashlib
from datetime import date

from flask import current_app
from sqlalchemy import case, func, inspect, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import lazyload

from training.commit_hooks import KeptInStep
from training.extensions import db
from training.http import page_count
from training.supervision.models import HourEntry, RiskAssessment, WellbeingCheckIn
from training.supervision.risk import LEVELS, assess

BATCH = 500
# What a trainee's signals read besides their entries and check-ins.
PROFILE = ("programme_started_on", "wellbeing_shared")
ENROLMENT = ("credential_id", "started_on", "ended_on", "user_id")
WATCHED_TABLES = {"hour_entry": "trainee_id", "wellbeing_check_in": "user_id", "enrolment": "user_id"}


def settings_key(config=None):
    """A short fingerprint of the burnout settings: levels worked out under others are not used."""
    config = config or current_app.config
    values = sorted((name, repr(value)) for name, value in config.items() if name.startswith("BURNOUT_"))
    return hashlib.sha256(repr(values).encode()).hexdigest()[:16]


def _insert(session):
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(RiskAssessment)


def not_current(today, key):
    """Whether a trainee's stored level (outer-joined: none at all) must be worked out again."""
    return or_(RiskAssessment.level.is_(None), RiskAssessment.assessed_on != today, RiskAssessment.settings != key)


def ranked(who, today=None):
    """(trainee id, full name, level, weight, level without wellbeing) of each active trainee whose
    id ``who`` selects, levels as ``LEVELS`` numbers them. Levels not current are worked out, stored
    and committed first, a batch at a time."""
    from training.auth.models import User

    today = today or date.today()
    key = settings_key()
    query = (select(User.id, User.full_name, RiskAssessment.revision, RiskAssessment.level, RiskAssessment.weight,
                    RiskAssessment.level_without_wellbeing, not_current(today, key).label("stale"))
             .outerjoin(RiskAssessment, RiskAssessment.trainee_id == User.id)
             .where(User.id.in_(who), User.active))
    rows = db.session.execute(query).all()
    stale = {row.id: row.revision or 0 for row in rows if row.stale}
    if not stale:
        return [(row.id, row.full_name, row.level, row.weight, row.level_without_wellbeing) for row in rows]
    worked_out = _work_out(stale, today, key)
    result = []
    for row in rows:
        level, weight, public = worked_out.get(row.id) or (row.level, row.weight, row.level_without_wellbeing)
        result.append((row.id, row.full_name, level, weight, public))
    return result


def bring_up_to_date(who, today=None):
    """Work out and store the levels not current of the active trainees ``who`` selects, and say how
    many: for lists too long to read every level of (a programme of thousands), which then ask only
    what they show, and for the daily ``credentials refresh``."""
    from training.auth.models import User

    today = today or date.today()
    key = settings_key()
    stale = db.session.execute(
        select(User.id, RiskAssessment.revision).outerjoin(RiskAssessment, RiskAssessment.trainee_id == User.id)
        .where(User.id.in_(who), User.active, not_current(today, key))).all()
    if stale:
        _work_out({trainee_id: revision or 0 for trainee_id, revision in stale}, today, key)
    return len(stale)


def at_risk(who, today=None):
    """How many of the active trainees ``who`` selects are at risk, the wellbeing signal left out
    (as administrators see them), and a query of their ids. One statement counts them and those
    whose level is not current; only when some are not is the level worked out, and counted again."""
    from training.auth.models import User

    today = today or date.today()
    counts = (select(func.count(case((not_current(today, settings_key()), 1))),
                     func.count(case((RiskAssessment.level_without_wellbeing == LEVELS["at_risk"], 1))))
              .select_from(User).outerjoin(RiskAssessment, RiskAssessment.trainee_id == User.id)
              .where(User.id.in_(who), User.active))
    stale, count = db.session.execute(counts).one()
    if stale:
        bring_up_to_date(who, today)
        stale, count = db.session.execute(counts).one()
    ids = (select(RiskAssessment.trainee_id).join(User, User.id == RiskAssessment.trainee_id)
           .where(RiskAssessment.trainee_id.in_(who), User.active,
                  RiskAssessment.level_without_wellbeing == LEVELS["at_risk"]))
    return count, ids


def _work_out(revisions, today, key):
    """Assess the trainees of ``revisions`` (id -> revision read) and store their levels."""
    from training.auth.models import User

    ids = sorted(revisions)
    levels = {}
    for start in range(0, len(ids), BATCH):
        trainees = list(db.session.scalars(select(User).options(lazyload(User.roles))
                                           .where(User.id.in_(ids[start:start + BATCH]))))
        for risk in assess(trainees, today):
            weight = sum(LEVELS[flag.level] for flag in risk.flags)
            public = max((LEVELS[flag.level] for flag in risk.flags if flag.key != "wellbeing_falling"), default=0)
            levels[risk.trainee.id] = (LEVELS[risk.level], weight, public)
    rows = [{"trainee_id": trainee_id, "revision": revisions[trainee_id], "assessed_on": today, "settings": key,
             "level": levels[trainee_id][0], "weight": levels[trainee_id][1],
             "level_without_wellbeing": levels[trainee_id][2]} for trainee_id in ids]
    statement = _insert(db.session)
    fields = ("assessed_on", "settings", "level", "weight", "level_without_wellbeing")
    # A revision bumped since it was read means the trainee changed meanwhile: leave the row cleared.
    statement = statement.on_conflict_do_update(
        index_elements=["trainee_id"], set_={name: statement.excluded[name] for name in fields},
        where=RiskAssessment.revision == statement.excluded.revision)
    # One statement compiled once, its rows sent in batches (rows written into the SQL would be compiled anew).
    db.session.connection().execute(statement, rows)
    db.session.commit()
    return levels


def clear(trainee_ids, session=None):
    """Clear the levels of ``trainee_ids`` and bump their revisions (rows made where missing)."""
    session = session or db.session
    statement = _insert(session).on_conflict_do_update(index_elements=["trainee_id"], set_={
        "revision": RiskAssessment.revision + 1, "level": None, "weight": None, "level_without_wellbeing": None})
    session.connection().execute(statement, [{"trainee_id": trainee_id, "revision": 1}
                                             for trainee_id in sorted(set(trainee_ids))])


def clear_all(session=None):
    session = session or db.session
    session.execute(update(RiskAssessment).values(
        revision=RiskAssessment.revision + 1, level=None, weight=None, level_without_wellbeing=None)
        .execution_options(synchronize_session=False))


# --- Clearing with every commit that changes what the signals read -------------------------------------------

def _changed(instance, names):
    state = inspect(instance)
    return any(state.attrs[name].history.has_changes() for name in names)


def _affected(session):
    """The trainees whose signals the flushed rows change, or None for every trainee."""
    from training.auth.models import User
    from training.credentials.models import Credential, Enrolment

    ids = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, HourEntry):
            ids.add(instance.trainee_id)
        elif isinstance(instance, WellbeingCheckIn):
            ids.add(instance.user_id)
        elif isinstance(instance, Enrolment):
            if instance not in session.dirty or _changed(instance, ENROLMENT):
                ids.add(instance.user_id)
        elif isinstance(instance, User):
            if instance in session.dirty and _changed(instance, PROFILE):
                ids.add(instance.id)
        elif isinstance(instance, Credential):
            if instance not in session.dirty or _changed(instance, ("definition", "active")):
                return None
    return ids


# The user and credential tables concern everyone when changed in bulk (a new row changes no level).
_hooks = KeptInStep("risk_assessment", _affected, {**WATCHED_TABLES, "user": None, "credential": None}, clear,
                    clear_all)
install = _hooks.install


def order(rows):
    """``ranked`` rows the most at risk first, as ``TraineeRisk.sort_key`` orders them."""
    return sorted(rows, key=lambda row: (-row[2], -row[3], row[1].lower()))


def most_at_risk(who, per_page, page=1, today=None):
    """How many active trainees ``who`` selects, the page shown (``page``, or the last one when it
    is past the end), and the assessments, reasons included, of that page's trainees in order of
    risk, ``per_page`` to a page: only those are assessed in full."""
    from training.auth.models import User

    rows = order(ranked(who, today))
    page = min(page, page_count(len(rows), per_page))
    shown = [row[0] for row in rows[(page - 1) * per_page:page * per_page]]
    # Their roles are not shown beside them: left unloaded, they cost no statement.
    trainees = list(db.session.scalars(select(User).options(lazyload(User.roles)).where(User.id.in_(shown)))) \
        if shown else []
    return len(rows), page, assess(trainees, today)


def levels_of(who, today=None):
    """The level without the wellbeing signal ('ok', 'attention', 'at_risk') of each active trainee
    ``who`` selects, by id: for administrators' lists."""
    names = {number: name for name, number in LEVELS.items()}
    return {row[0]: names[row[4]] for row in ranked(who, today)}


__all__ = ["at_risk", "bring_up_to_date", "clear", "clear_all", "install", "levels_of", "most_at_risk", "order",
           "ranked", "settings_key"]

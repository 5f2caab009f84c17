"""The programme at a glance: every trainee's stage toward each credential they are enrolled in.

Stages come from the enrolments' stored evaluation (kept current on every change to a
trainee's facts, and daily by ``credentials refresh``) and from the certificates issued, so
a page of trainees is read in a fixed number of statements, whatever their number.
"""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, distinct, exists, func, literal, select

from training.auth.models import User, UserRole, matching_name_or_email
from training.certificates.models import Certificate
from training.credentials.models import Credential, Enrolment
from training.extensions import db

# In the order a trainee goes through them.
STAGES = {
    "starting": _l("No requirement met yet"),  # modules or hours may be under way
    "in_progress": _l("In progress"),
    "eligible": _l("Eligible, certificate not yet issued"),
    "certified": _l("Certified"),
    "lapsed": _l("Certificate expired or revoked"),
    "ended": _l("Enrolment ended"),
}


@dataclass
class Standing:
    """One trainee toward one credential."""

    user: User
    credential: Credential
    enrolment: Enrolment
    stage: str
    risk: str = "ok"  # the burnout level of supervision.risk: ok, attention, at_risk

    @property
    def stage_label(self):
        return STAGES[self.stage]


def stage_expression(today):
    """The stage as SQL, so that pages can be filtered and stages counted in the database."""
    issued = select(Certificate.id).where(Certificate.user_id == Enrolment.user_id,
                                          Certificate.credential_id == Enrolment.credential_id)
    valid = exists(issued.where(Certificate.status == "valid", Certificate.expires_on >= today))
    return case(
        (and_(Enrolment.ended_on.is_not(None), Enrolment.ended_on < today), literal("ended")),
        (valid, literal("certified")),
        (exists(issued), literal("lapsed")),
        (Enrolment.eligible, literal("eligible")),
        (Enrolment.items_met > 0, literal("in_progress")),
        else_=literal("starting"),
    )


def _filtered(credential_slug="", stage="", search="", user_ids=None, today=None):
    today = today or date.today()
    stage_sql = stage_expression(today).label("stage")
    query = (select(Enrolment, User, Credential, stage_sql)
             .join(User, User.id == Enrolment.user_id).join(Credential, Credential.id == Enrolment.credential_id)
             .where(User.active, User.roles.any(UserRole.role == "trainee")))
    if credential_slug:
        query = query.where(Credential.slug == credential_slug)
    if (search or "").strip():
        query = query.where(matching_name_or_email(search))
    if user_ids is not None:  # a list of ids, or a query of them
        query = query.where(Enrolment.user_id.in_(user_ids if isinstance(user_ids, Select) else list(user_ids) or [0]))
    if stage in STAGES:
        query = query.where(stage_expression(today) == stage)
    return query, stage_sql


def stage_counts(credential_slug="", search="", user_ids=None, today=None):
    """How many enrolments are at each stage, with the same filters as the list (one statement)."""
    query, stage_sql = _filtered(credential_slug, "", search, user_ids, today)
    sub = query.with_only_columns(stage_sql).subquery()
    counts = dict(db.session.execute(select(sub.c.stage, func.count()).group_by(sub.c.stage)).all())
    return {key: int(counts.get(key, 0)) for key in STAGES}


def counts_with_risk(credential_slug="", search="", today=None):
    """The stage counts and how many of the trainees are at risk of burnout, for the list as it
    opens (no stage or risk chosen), in one statement.

    Both read every enrolment the filters select, the costliest part of the page in a programme of
    thousands; one pass gives both. A trainee enrolled twice is counted once at risk. When some
    levels are not current, they are worked out and the trainees at risk counted again, as
    ``assessments.at_risk`` does."""
    from training.supervision.assessments import LEVELS, at_risk, not_current, settings_key
    from training.supervision.models import RiskAssessment

    today = today or date.today()
    query, stage_sql = _filtered(credential_slug, "", search, None, today)
    rows = (query.with_only_columns(Enrolment.user_id, stage_sql,
                                    RiskAssessment.level_without_wellbeing.label("level"),
                                    not_current(today, settings_key()).label("stale"))
            .outerjoin(RiskAssessment, RiskAssessment.trainee_id == Enrolment.user_id)).cte("standing")
    risky = select(func.count(distinct(rows.c.user_id))).where(rows.c.level == LEVELS["at_risk"]).scalar_subquery()
    stale = select(func.count(distinct(rows.c.user_id))).where(rows.c.stale).scalar_subquery()
    found = db.session.execute(select(rows.c.stage, func.count(), risky, stale).group_by(rows.c.stage)).all()
    counts = {stage: count for stage, count, _risky, _stale in found}
    count, outdated = (found[0][2], found[0][3]) if found else (0, 0)
    if outdated:
        count, _ = at_risk(trainee_ids(credential_slug, "", search, today), today)
    return {key: int(counts.get(key, 0)) for key in STAGES}, count


def standings_query(credential_slug="", stage="", search="", user_ids=None, today=None):
    """Enrolment, trainee, credential and stage rows, in trainee name order then credential."""
    query, _ = _filtered(credential_slug, stage, search, user_ids, today)
    return query.order_by(User.name_key, User.id, Credential.title)


def standings(rows, risks=None):
    """``Standing`` for each row of :func:`standings_query`; ``risks`` maps trainee id to burnout level."""
    risks = risks or {}
    return [Standing(user, credential, enrolment, stage, risks.get(user.id, "ok"))
            for enrolment, user, credential, stage in rows]


def trainee_ids(credential_slug="", stage="", search="", today=None):
    """A query of the trainees the filters select (for the burnout signals, read for all of them at once)."""
    query, _ = _filtered(credential_slug, stage, search, None, today)
    return query.with_only_columns(Enrolment.user_id)

"""Early, plain-language signs that a supervisee may be heading for burnout.

Every threshold is a setting (see config.py) with the product's documented default, and
every flag says why it fired. The numbers of SQL statements do not grow with the number
of trainees or entries: each signal is one aggregate query over all trainees at once.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta

from babel.dates import format_date, format_skeleton
from flask import current_app
from flask_babel import format_decimal, get_locale, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select

from training.extensions import db
from training.supervision.models import HourEntry, HourSummary, WellbeingCheckIn

LEVELS = {"ok": 0, "attention": 1, "at_risk": 2}
LEVEL_LABELS = {"ok": _l("All fine"), "attention": _l("Needs attention"), "at_risk": _l("At risk")}

# Reasons and next steps are lazy: each is written when read, in the language of the page or
# e-mail that shows it, numbers and dates included.


def _number(value, pattern="0.##"):
    return LazyString(format_decimal, value, pattern)


def _day_and_month(day):
    locale = get_locale()
    if locale is None or locale.language == "en":
        return format_date(day, "d MMMM", locale="en")  # "5 October", the day first as the platform prints dates
    return format_skeleton("MMMMd", day, locale=locale)


def _day(day):
    return LazyString(_day_and_month, day)


@dataclass
class Flag:
    key: str
    level: str
    reason: str       # lazy: see above
    next_step: str = ""

    @property
    def label(self):
        return LEVEL_LABELS[self.level]


@dataclass
class TraineeRisk:
    trainee: object
    flags: list = field(default_factory=list)
    last_supervision: date | None = None
    hours_this_month: int = 0  # minutes
    pending: int = 0

    @property
    def level(self):
        return max((f.level for f in self.flags), key=LEVELS.get, default="ok")

    @property
    def label(self):
        return LEVEL_LABELS[self.level]

    @property
    def sort_key(self):
        return (-LEVELS[self.level], -sum(LEVELS[f.level] for f in self.flags), self.trainee.full_name.lower())


def _months_between(start, end):
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _supervision_flag(trainee, last, today, cfg, expected_by=None):
    """``expected_by`` is the (start, months, days early, days later) of the trainee's credential's
    supervision frequency, when it sets one; the settings apply otherwise."""
    start, months, early_days, later_days = expected_by or (
        trainee.programme_started_on, cfg["BURNOUT_EARLY_MONTHS"], cfg["BURNOUT_SUPERVISION_DAYS_EARLY"],
        cfg["BURNOUT_SUPERVISION_DAYS_LATER"])
    early = start and _months_between(start, today) < months
    limit = early_days if early else (later_days or cfg["BURNOUT_SUPERVISION_DAYS_LATER"])
    since = (today - (last or start or today)).days
    if since <= limit:
        return None
    level = "at_risk" if since > 2 * limit else "attention"
    if early:
        expected = (_l("during the first %(months)s months it is expected weekly", months=months) if limit <= 7 else
                    _l("during the first %(months)s months it is expected monthly", months=months) if limit <= 31 else
                    _l("during the first %(months)s months it is expected every %(days)s days", months=months,
                       days=limit))
    else:
        expected = (_l("after the first months it is expected weekly") if limit <= 7 else
                    _l("after the first months it is expected monthly") if limit <= 31 else
                    _l("after the first months it is expected every %(days)s days", days=limit))
    what = (_l("No supervision logged for %(days)s days", days=since) if last else
            _l("No supervision logged in %(days)s days since starting", days=since))
    return Flag("supervision_overdue", level, _l("%(what)s; %(expected)s.", what=what, expected=expected),
                _l("Book a supervision session with your supervisor this week."))


def _ratio_flag(service, supervision, cfg):
    per_hour = cfg["BURNOUT_SERVICE_HOURS_PER_SUPERVISION_HOUR"]
    if service < per_hour * 60:  # too little work yet to judge a ratio
        return None
    needed = service / per_hour
    if supervision >= needed:
        return None
    level = "at_risk" if supervision < needed / 2 else "attention"
    return Flag("supervision_ratio", level,
                _l("%(supervision)s hours of supervision for %(service)s hours of peer support work; the standard "
                   "is at least 1 hour of supervision for every %(per_hour)s hours of work.",
                   supervision=_number(supervision / 60), service=_number(service / 60), per_hour=_number(per_hour)),
                _l("Ask your supervisor for more supervision time to match your hours of work."))


def _week_flag(weeks, cfg):
    cap = cfg["BURNOUT_WEEKLY_SERVICE_CAP_HOURS"] * 60
    over = {start: minutes for start, minutes in weeks.items() if minutes > cap}
    if not over:
        return None
    start, minutes = max(over.items(), key=lambda item: item[1])
    level = "at_risk" if minutes > cap * 1.25 or len(over) > 1 else "attention"
    reason = _l("%(hours)s hours of peer support work in the week of %(day)s; the cap is %(cap)s hours a week.",
                hours=_number(minutes / 60), day=_day(start), cap=_number(cap / 60))
    if len(over) > 1:
        reason = _l("%(reason)s %(weeks)s recent weeks went over it.", reason=reason, weeks=len(over))
    return Flag("weekly_cap", level, reason,
                _l("Talk with your supervisor about your workload and plan some time off."))


def _pending_flag(oldest, count, today, cfg):
    days = (today - oldest).days
    limit = cfg["BURNOUT_PENDING_DAYS"]
    if days <= limit:
        return None
    level = "at_risk" if days > 2 * limit else "attention"
    return Flag("pending_too_long", level,
                lazy_ngettext("%(num)d hour entry waiting for approval, the oldest for %(days)s days; entries should "
                              "be reviewed within %(limit)s days.",
                              "%(num)d hour entries waiting for approval, the oldest for %(days)s days; entries "
                              "should be reviewed within %(limit)s days.", count, days=days, limit=limit),
                _l("Remind your supervisor that some of your hours are waiting for approval."))


def _wellbeing_flag(scores, cfg):
    """Compare the average of the latest three check-ins with the three before."""
    if len(scores) < 4:
        return None
    recent, earlier = scores[:3], scores[3:6]
    drop = sum(earlier) / len(earlier) - sum(recent) / len(recent)
    if drop < cfg["BURNOUT_WELLBEING_DROP"]:
        return None
    level = "at_risk" if drop >= 2 * cfg["BURNOUT_WELLBEING_DROP"] else "attention"
    return Flag("wellbeing_falling", level,
                _l("Wellbeing check-ins have fallen by %(drop)s points (on a 1-5 scale) over the latest three.",
                   drop=_number(drop, "0.0")),
                _l("Consider raising how you are feeling at your next supervision session."))


def supervision_expected(trainees, today):
    """For trainees whose credential sets a supervision frequency: (start, months, days early, days
    later), read from the credential's rules: the enrolments, then each credential once."""
    from training.credentials.evaluation import compile_definition
    from training.credentials.models import Credential, Enrolment

    ids = [t.id for t in trainees]
    enrolments = db.session.execute(
        select(Enrolment.user_id, Enrolment.credential_id, Enrolment.started_on)
        .where(Enrolment.user_id.in_(ids), (Enrolment.ended_on.is_(None)) | (Enrolment.ended_on >= today))
        .order_by(Enrolment.started_on, Enrolment.id)).all()
    # Only the frequency rule's numbers are needed: the rules are built without the course and
    # credential names that checklists print, so without reading them.
    wanted = {credential_id for _, credential_id, _ in enrolments}
    credentials = db.session.scalars(select(Credential).where(Credential.id.in_(wanted))) if wanted else []
    rules = {credential.id: compile_definition(credential).frequency for credential in credentials}
    expected = {}
    for user_id, credential_id, started_on in enrolments:
        rule = rules[credential_id]
        if rule is not None and user_id not in expected:
            spec = rule.spec
            expected[user_id] = (started_on, spec.initial_months, spec.initial_every_days, spec.after_every_days)
    return expected


def expected_from(evaluations):
    """``supervision_expected``'s answer for one trainee, from their evaluations (which have read
    the same enrolments and rules): the first current enrolment whose credential sets a frequency."""
    for evaluation in evaluations:
        rule = evaluation.compiled.frequency
        if evaluation.enrolment is not None and rule is not None:
            spec = rule.spec
            return (evaluation.enrolment.started_on, spec.initial_months, spec.initial_every_days,
                    spec.after_every_days)
    return None


def _recent_days(ids, since):
    """(trainee, day, kind, status, minutes) of approved and waiting entries since ``since``."""
    return (select(HourEntry.trainee_id, HourEntry.occurred_on, HourEntry.kind, HourEntry.status,
                   func.sum(HourEntry.minutes))
            .where(HourEntry.trainee_id.in_(ids), HourEntry.status.in_(("approved", "pending")),
                   HourEntry.occurred_on >= since)
            .group_by(HourEntry.trainee_id, HourEntry.occurred_on, HourEntry.kind, HourEntry.status))


def assess(trainees, today=None, include_wellbeing=True, expected=None):
    """Burnout signals for each trainee, sorted with the most at risk first; ``expected`` (by
    trainee id, as ``supervision_expected`` gives it) when the caller has read it already."""
    today = today or date.today()
    cfg = current_app.config
    ids = [t.id for t in trainees]
    results = {t.id: TraineeRisk(t) for t in trainees}
    if not ids:
        return []
    month_start = today.replace(day=1)
    first_week = today - timedelta(days=today.weekday()) - timedelta(weeks=cfg["BURNOUT_WEEKS_CHECKED"] - 1)

    # 1. Totals, last supervision and entries waiting, kept per trainee as entries change.
    totals = {}
    for summary in db.session.scalars(select(HourSummary).where(HourSummary.trainee_id.in_(ids))):
        risk = results[summary.trainee_id]
        risk.last_supervision, risk.pending = summary.last_supervision, summary.pending_count
        totals[summary.trainee_id] = (summary.service_minutes, summary.supervision_minutes,
                                      summary.oldest_pending_at)

    # 2. This month's approved hours, and service per week over the weeks checked (approved or
    # waiting), from the recent days' entries only.
    weeks = {}
    for trainee_id, day, kind, status, minutes in db.session.execute(
            _recent_days(ids, min(month_start, first_week))):
        if status == "approved" and day >= month_start:
            results[trainee_id].hours_this_month += int(minutes)
        if kind == "service" and day >= first_week:
            start = day - timedelta(days=day.weekday())
            weeks.setdefault(trainee_id, {}).setdefault(start, 0)
            weeks[trainee_id][start] += int(minutes)

    # 3. The latest six check-ins of trainees who share their wellbeing flag.
    scores = {}
    sharing = [t.id for t in trainees if t.wellbeing_shared] if include_wellbeing else []
    if sharing:
        ranked = select(WellbeingCheckIn, func.row_number().over(
            partition_by=WellbeingCheckIn.user_id, order_by=WellbeingCheckIn.day.desc()).label("rank")
        ).where(WellbeingCheckIn.user_id.in_(sharing), WellbeingCheckIn.day >= today - timedelta(days=30)).subquery()
        latest = db.aliased(WellbeingCheckIn, ranked)
        for checkin in db.session.scalars(select(latest).where(ranked.c.rank <= 6).order_by(
                ranked.c.user_id, ranked.c.day.desc())):
            scores.setdefault(checkin.user_id, []).append(checkin.score)

    if expected is None:
        expected = supervision_expected(trainees, today)
    for trainee in trainees:
        risk = results[trainee.id]
        service, supervision, oldest = totals.get(trainee.id, (0, 0, None))
        candidates = [
            _supervision_flag(trainee, risk.last_supervision, today, cfg, expected.get(trainee.id)),
            _ratio_flag(service, supervision, cfg),
            _week_flag(weeks.get(trainee.id, {}), cfg),
            _pending_flag(oldest.date(), risk.pending, today, cfg) if oldest else None,
            _wellbeing_flag(scores.get(trainee.id, []), cfg),
        ]
        risk.flags = [f for f in candidates if f is not None]
    return sorted(results.values(), key=lambda r: r.sort_key)


def own_flags(trainee, today=None, evaluations=None):
    """A trainee's own signals, wellbeing included whether or not they share it. Given the
    trainee's ``evaluations`` (their current enrolments), their credentials are not read again."""
    expected = None if evaluations is None else {trainee.id: expected_from(evaluations)}
    risk = assess([trainee], today, include_wellbeing=False, expected=expected)[0]
    from training.supervision.wellbeing import recent_scores

    flag = _wellbeing_flag(recent_scores(trainee), current_app.config)
    if flag:
        risk.flags.append(flag)
    return risk


"""What a trainer sees first: sessions coming up or to confirm, each cohort's attendance,
trainees at risk of not completing, and reflections waiting."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from training.cohorts.models import Cohort, CohortMember, CohortTrainer
from training.cohorts.services import (
    at_risk,
    attendance_rate,
    attendance_reports,
    checkin_open,
    local,
    unconfirmed_sessions,
    upcoming_sessions,
)
from training.courses.models import Reflection
from training.extensions import db


@dataclass
class CohortSummary:
    cohort: Cohort
    enrolled: int
    rate: float | None
    risky: list


def trainer_overview(trainer):
    cohorts = list(db.session.scalars(select(Cohort).join(CohortTrainer, CohortTrainer.cohort_id == Cohort.id)
                                      .where(CohortTrainer.user_id == trainer.id).order_by(Cohort.starts_on.desc())
                                      .options(selectinload(Cohort.sessions), joinedload(Cohort.live_training),
                                               lazyload(Cohort.trainers)).limit(20)))
    reports = attendance_reports(cohorts)
    summaries = [CohortSummary(cohort, len(reports[cohort.id]), attendance_rate(reports[cohort.id], cohort),
                               at_risk(reports[cohort.id], cohort)) for cohort in cohorts]
    trainees = select(CohortMember.user_id).where(
        CohortMember.cohort_id.in_(select(CohortTrainer.cohort_id).where(CohortTrainer.user_id == trainer.id)),
        CohortMember.status == "enrolled")
    waiting = db.session.scalar(select(func.count()).select_from(Reflection).where(
        Reflection.status == "submitted", Reflection.user_id.in_(trainees)))
    upcoming = upcoming_sessions(trainer)
    # A session under way is listed once, with what is coming (its roster and check-in code).
    running = {s.id for s in upcoming}
    return {"upcoming": upcoming, "checkin_open": {s.id for s in upcoming if checkin_open(s)},
            "to_confirm": [s for s in unconfirmed_sessions(trainer) if s.id not in running],
            "cohorts": summaries, "reflections_waiting": waiting, "local": local}

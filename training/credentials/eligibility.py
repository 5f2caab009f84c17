"""Who meets a credential's requirements: a trainee's checklist and the administrators' list.

Both read ``training.credentials.evaluation``; nothing here decides a requirement. The list
is paginated and shows the enrolments' stored results (kept in step with every change to a
trainee's record, and refreshed daily), the same results its filters and counts use; a
trainee's checklist and every issue evaluate afresh.
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from training.auth.models import User, UserRole, matching_name_or_email
from training.credentials.evaluation import evaluate, evaluate_one
from training.credentials.models import Enrolment
from training.extensions import db
from training.http import page_count

FILTERS = {"eligible": _l("Eligible, not yet certified"), "working": _l("Still working toward it"),
           "certified": _l("Certificate issued"), "all": _l("Everyone enrolled")}


def checklist(trainee, credential):
    """Every requirement with what is done and the next step, as checklist items."""
    evaluation = evaluate_one(trainee, credential) if credential else None
    return evaluation.items if evaluation else []


def is_eligible(trainee, credential):
    evaluation = evaluate_one(trainee, credential)
    return evaluation is not None and evaluation.eligible


def _certified(credential):
    from training.certificates.models import Certificate

    return select(Certificate.user_id).where(Certificate.credential_id == credential.id)


def _enrolled(credential, status="eligible", search=""):
    query = (select(User, Enrolment).options(lazyload(User.roles)).join(Enrolment, Enrolment.user_id == User.id)
             .where(Enrolment.credential_id == credential.id, Enrolment.ended_on.is_(None), User.active,
                    User.roles.any(UserRole.role == "trainee")))
    if status == "eligible":
        query = query.where(Enrolment.eligible, User.id.not_in(_certified(credential)))
    elif status == "working":
        query = query.where(~Enrolment.eligible, User.id.not_in(_certified(credential)))
    elif status == "certified":
        query = query.where(User.id.in_(_certified(credential)))
    search = " ".join((search or "").split())[:100]
    if search:
        query = query.where(matching_name_or_email(search))
    return query


def eligible_count(credential):
    """Everyone eligible for ``credential`` who holds no certificate of it yet, in one query."""
    return db.session.scalar(_enrolled(credential).with_only_columns(func.count()).order_by(None))


def certificates_held(user_ids, credential_ids):
    """The latest certificate each of ``user_ids`` holds of each of ``credential_ids``, by
    (user id, credential id), in one statement."""
    from training.certificates.models import Certificate

    if not user_ids or not credential_ids:
        return {}
    held = {}
    for certificate in db.session.scalars(select(Certificate).where(
            Certificate.user_id.in_(user_ids), Certificate.credential_id.in_(credential_ids))
            .order_by(Certificate.cycle)):
        held[certificate.user_id, certificate.credential_id] = certificate
    return held


@dataclass
class Page:
    rows: list          # (user, enrolment with its stored result) for the trainees on this page
    total: int          # how many match the filter
    page: int
    per_page: int
    certificates: dict = field(default_factory=dict)  # the certificate each trainee on the page holds, by user id

    @property
    def pages(self):
        return page_count(self.total, self.per_page)


def eligibility_page(credential, status="eligible", search="", page=1, per_page=50):
    """One page of the trainees enrolled in ``credential``, with their enrolments' stored results,
    in two statements."""
    query = _enrolled(credential, status if status in FILTERS else "eligible", search)
    total = db.session.scalar(query.with_only_columns(func.count()).order_by(None))
    page = max(1, min(page, page_count(total, per_page)))
    rows = db.session.execute(query.order_by(User.name_key, User.id)
                              .offset((page - 1) * per_page).limit(per_page)).all()
    # Certified trainees stay eligible in their stored results: the list says they hold it.
    held = certificates_held([user.id for user, _ in rows], [credential.id]) if status != "eligible" else {}
    return Page([(user, enrolment) for user, enrolment in rows], total, page, per_page,
                {user_id: certificate for (user_id, _), certificate in held.items()})


def eligible_trainees(credential, exclude_certified=True, batch=200):
    """Every trainee who meets every requirement (and by default holds no certificate yet),
    confirmed by a fresh evaluation, in name order."""
    query = _enrolled(credential, "eligible" if exclude_certified else "all").order_by(User.name_key, User.id)
    if not exclude_certified:
        query = query.where(Enrolment.eligible)
    users = [user for user, _ in db.session.execute(query).all()]
    found = []
    for start in range(0, len(users), batch):
        chunk = users[start:start + batch]
        results = evaluate(chunk, credential)
        found += [u for u in chunk if results[u.id] and results[u.id][0].eligible]
    return found

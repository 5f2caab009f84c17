"""Which credential a trainee works toward."""
from flask import current_app
from sqlalchemy import select

from training.credentials.models import Credential, Enrolment
from training.extensions import db


def default_credential():
    slug = current_app.config["DEFAULT_CREDENTIAL"]
    return db.session.scalar(select(Credential).where(Credential.slug == slug, Credential.active))


def credential_for(user):
    """The credential a trainee is enrolled in, else the site's default credential."""
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id)
                                  .order_by(Enrolment.started_on.desc()).limit(1))
    return enrolment.credential if enrolment else default_credential()


def domains_for(user):
    credential = credential_for(user)
    return credential.domains if credential else []

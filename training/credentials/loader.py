"""Read and check credential files; one bad file means nothing is loaded."""
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from training.certificates.render import designs
from training.courses.loader import ContentError, ContentErrors, _relative
from training.credentials.models import Credential
from training.credentials.schema import FileError, describe_path, parse
from training.db_types import utcnow
from training.extensions import db


def known_courses(use_database=True):
    """Course slugs that exist: folders in the courses folder, and courses already loaded."""
    from training.courses.models import Course

    root = Path(current_app.config["COURSES_DIR"])
    on_disk = {p.parent.name for p in root.glob("*/course.yaml")} if root.is_dir() else set()
    return on_disk | (set(db.session.scalars(select(Course.slug))) if use_database else set())


def known_credentials(use_database=True):
    """Credential slugs that exist: files in the credentials folder, and credentials already loaded."""
    root = Path(current_app.config["CREDENTIALS_DIR"])
    on_disk = {p.stem for p in root.glob("*.yaml")} if root.is_dir() else set()
    return on_disk | (set(db.session.scalars(select(Credential.slug))) if use_database else set())


def _errors(shown, error):
    return [ContentError(shown, line, f"{describe_path(path)}: {message}" if path else message)
            for line, path, message in error.problems]


def check_files(paths, root=None, credentials=None, use_database=True):
    """Validate credential files as one set: (definitions, errors), each error with file and line.

    ``credentials`` are other slugs a file may refer to (default: the credentials folder's and
    those already loaded); ``use_database=False`` checks against the folders alone.
    """
    paths = [Path(p) for p in paths]
    courses = known_courses(use_database)
    texts = {}
    errors = []
    for path in paths:
        try:
            texts[path] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            errors.append(ContentError(str(path), 1, _("cannot be read: %(error)s", error=error)))
    slugs = set(credentials if credentials is not None else known_credentials(use_database))
    slugs |= {p.stem for p in texts}
    definitions = []
    for path, text in texts.items():
        shown = _relative(path, root) if root else str(path)
        try:
            definition = parse(text, courses=courses, credentials=slugs)
        except FileError as error:
            errors.extend(_errors(shown, error))
            continue
        if definition.slug != path.stem:
            errors.append(ContentError(shown, 1, _("slug '%(slug)s' must match the file name '%(name)s'",
                                                  slug=definition.slug, name=path.stem)))
            continue
        if definition.design and definition.design not in designs():
            line = next((n for n, row in enumerate(text.splitlines(), 1) if row.startswith("design:")), 1)
            errors.append(ContentError(shown, line, _("design must name a certificate design in certificates/: "
                                                      "%(designs)s", designs=", ".join(designs()))))
            continue
        definitions.append((definition, shown))
    return definitions, errors


def load_credentials(root):
    """Every credential file of a folder, validated; ``ContentErrors`` lists every problem."""
    root = Path(root)
    paths = sorted(root.glob("*.yaml"))
    if not paths:
        raise ContentErrors([ContentError(str(root), 1, _("no credential files found"))])
    definitions, errors = check_files(paths, root, credentials=())
    if errors:
        raise ContentErrors(errors)
    return definitions


def sync_credentials(root):
    """Create or update credentials from files; idempotent; any error changes nothing.

    Returns (created, updated). Enrolments are re-evaluated for changed credentials.
    """
    from training.credentials.evaluation import refresh_all

    existing = {c.slug: c for c in db.session.scalars(select(Credential))}
    created = updated = 0
    for definition, shown in load_credentials(root):
        values = {"title": definition.title, "description": definition.description.strip(),
                  "certificate_prefix": definition.certificate_prefix, "domains": list(definition.domains),
                  "definition": definition.model_dump(mode="json"), "validity_months": definition.validity_months,
                  "source_path": shown}
        credential = existing.get(definition.slug)
        if credential is None:
            db.session.add(Credential(slug=definition.slug, **values))
            created += 1
        elif any(getattr(credential, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(credential, key, value)
            credential.synced_at = utcnow()
            updated += 1
    db.session.commit()
    if created or updated:
        refresh_all()
    return created, updated

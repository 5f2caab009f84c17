"""Read and check credential files; one bad file means nothing is loaded."""
from pathlib import Path

from sqlalchemy import select

from training.certificates.render import designs
from training.courses.loader import SLUG_RE, ContentError, ContentErrors, _Document, _relative
from training.credentials.models import Credential
from training.extensions import db

KEYS = {"slug", "title", "description", "certificate_prefix", "domains", "requirements",
        "initial_period_months", "supervision_expected_every_days", "validity_months", "renewal", "design"}
REQUIREMENT_KEYS = {"courses", "training_hours", "service_hours", "supervision_hours", "exam"}


def _positive(value):
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _check_hours(doc, name, spec, domains, extra=()):
    line = doc.line("requirements")
    if not isinstance(spec, dict) or not spec:
        doc.error(line, f"requirements.{name} must map 'total' or each domain to hours")
        return
    for key, value in spec.items():
        if key in extra:
            continue
        if key != "total" and key not in domains:
            doc.error(line, f"requirements.{name}: '{key}' is not one of this credential's domains")
        elif not _positive(value):
            doc.error(line, f"requirements.{name}.{key} must be a positive number of hours")


def _load_file(path, root, errors):
    shown = _relative(path, root)
    doc = _Document(path.read_text(encoding="utf-8"), shown, 1, errors)
    if doc.data is None:
        return None
    doc.check_keys(KEYS, {"slug", "title", "certificate_prefix", "domains", "requirements"})
    data = doc.data
    slug = data.get("slug", "")
    if not isinstance(slug, str) or not SLUG_RE.match(slug) or slug != path.stem:
        doc.error(doc.line("slug"), f"slug must be lowercase-hyphenated and match the file name '{path.stem}'")
    domains = data.get("domains")
    if not isinstance(domains, list) or not domains or not all(isinstance(d, str) and d for d in domains) \
            or len(set(domains)) != len(domains):
        doc.error(doc.line("domains"), "domains must be a list of distinct names")
        domains = []
    prefix = data.get("certificate_prefix")
    if not isinstance(prefix, str) or not prefix.isalpha() or not prefix.isupper() or len(prefix) > 10:
        doc.error(doc.line("certificate_prefix"), "certificate_prefix must be up to 10 capital letters")
    requirements = data.get("requirements") or {}
    if not isinstance(requirements, dict):
        doc.error(doc.line("requirements"), "requirements must be a mapping")
        requirements = {}
    for key in requirements:
        if key not in REQUIREMENT_KEYS:
            doc.error(doc.line("requirements"), f"unknown requirement '{key}'")
    if "training_hours" in requirements:
        _check_hours(doc, "training_hours", requirements["training_hours"], domains)
    if "service_hours" in requirements:
        _check_hours(doc, "service_hours", requirements["service_hours"], domains,
                     extra=("within_months_of_start", "supervision_counts_as_work"))
    if "supervision_hours" in requirements:
        _check_hours(doc, "supervision_hours", requirements["supervision_hours"], domains, extra=("group_cap",))
    design = data.get("design", "classic")
    if design not in designs():
        doc.error(doc.line("design"), f"design must name a certificate design in certificates/: {', '.join(designs())}")
    frequency = data.get("supervision_expected_every_days") or {}
    return {
        "slug": slug, "title": doc.text("title"), "description": (data.get("description") or "").strip(),
        "certificate_prefix": prefix, "domains": domains, "requirements": requirements,
        "initial_period_months": data.get("initial_period_months", 6),
        "supervision_initial_days": frequency.get("initial", 7), "supervision_after_days": frequency.get("after", 31),
        "validity_months": data.get("validity_months", 24), "renewal": data.get("renewal") or {},
        "design": design, "source_path": shown,
    }


def load_credentials(root):
    root = Path(root)
    errors, items = [], []
    for path in sorted(root.glob("*.yaml")):
        item = _load_file(path, root, errors)
        if item:
            items.append(item)
    if errors:
        raise ContentErrors(errors)
    if not items:
        raise ContentErrors([ContentError(str(root), 1, "no credential files found")])
    return items


def sync_credentials(root):
    """Create or update credentials from files; idempotent. Returns (created, updated)."""
    items = load_credentials(root)
    existing = {c.slug: c for c in db.session.scalars(select(Credential))}
    created = updated = 0
    for item in items:
        credential = existing.get(item["slug"])
        if credential is None:
            db.session.add(Credential(**item))
            created += 1
        elif any(getattr(credential, k) != v for k, v in item.items()):
            for key, value in item.items():
                setattr(credential, key, value)
            updated += 1
    db.session.commit()
    return created, updated

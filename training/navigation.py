"""The header's main navigation: the sections a person's roles open, in the page's language.

Every signed-in page shows it, and its links depend only on the person's roles, the language and
where the site is mounted: they are built once per process for each such combination (a handful),
rather than translated and looked up in the URL map on every page (see ``training.fragments``).
"""
from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from training.fragments import fragments

# (endpoint, label, the roles that see it; None for everyone signed in), in the order shown.
SECTIONS = [
    ("core.dashboard", _l("Dashboard"), None),
    ("courses.catalogue", _l("Courses"), None),
    ("cohorts.index", _l("Cohorts"), {"trainee", "trainer", "admin"}),
    ("supervision.hours", _l("Hours"), {"trainee"}),
    ("supervision.progress", _l("Progress"), {"trainee"}),
    ("supervision.wellbeing", _l("Wellbeing"), {"trainee"}),
    ("certificates.mine", _l("Certificates"), {"trainee"}),
    ("supervision.supervisees", _l("Supervisees"), {"supervisor"}),
    ("supervision.review", _l("Review hours"), {"supervisor"}),
    ("admin.people", _l("People"), {"admin"}),
    ("admin.programme", _l("Programme"), {"admin"}),
    # Three labels a language may shorten in the header, where the page's heading keeps the full name.
    ("admin.courses", lazy_pgettext("header link", "Course content"), {"admin"}),
    ("quizzes.bank", _l("Questions"), {"admin"}),
    ("credentials.admin_list", _l("Credentials"), {"admin"}),
    ("certificates.admin_list", lazy_pgettext("header link", "Issued certificates"), {"admin"}),
    ("admin.audit_log", lazy_pgettext("header link", "Audit log"), {"admin"}),
]


def _links(roles, language):
    """``[(href, label)]`` of the sections ``roles`` open, labelled in ``language`` (the page's)."""
    return fragments("navigation", size=64).get((roles, language, request.script_root), lambda: tuple(
        (url_for(endpoint), str(label)) for endpoint, label, seen_by in SECTIONS if seen_by is None or seen_by & roles))


def main_nav(user, language, path):
    """The sections ``user`` may open, and the one ``path`` is in ("" when none): the link whose
    address is the longest that ``path`` equals or lies under."""
    links = _links(frozenset(user.role_names), language)
    current = ""
    for href, _label in links:
        if (path == href or path.startswith(href.rstrip("/") + "/")) and len(href) > len(current):
            current = href
    return links, current

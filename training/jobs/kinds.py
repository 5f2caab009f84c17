"""Job kinds that belong to no single feature."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from training.jobs.services import JobKind, add_to_summary, create

# Each kind of reminder is an item: one that fails (a mail server down) is retried alone, and the
# reminders already sent are never sent again (each is claimed once per person and period).
REMINDERS = {
    "supervision": "training.supervision.reminders.send_supervision_reminders",
    "certificate_expiry": "training.certificates.reminders.send_expiry_reminders",
    "sessions": "training.cohorts.reminders.send_session_reminders",
}
REMINDER_LABELS = {"supervision": _l("Supervision digests and reminders"), "certificate_expiry": _l("Certificate expiry"),
                   "sessions": _l("Live sessions tomorrow")}


def start_reminders(actor=None):
    """Send every due reminder in the background; returns the job."""
    return create("reminders", actor, [(key, str(REMINDER_LABELS[key])) for key in REMINDERS])


class Reminders(JobKind):
    """Every reminder that is due, as ``reminders send`` sends them."""

    chunk_size = None

    def title(self, job):
        return _("Sending reminders")

    def process(self, job, key):
        from importlib import import_module

        module, name = REMINDERS[key].rsplit(".", 1)
        sent = getattr(import_module(module), name)()
        count = sum(sent.values()) if isinstance(sent, dict) else sent
        add_to_summary(job, lambda: _("%(what)s: %(count)d.", what=REMINDER_LABELS[key], count=count))

"""Reminders to certificate holders before their certificate expires."""
from datetime import date

from flask import current_app
from flask_babel import gettext as _

from training.certificates.services import expiry_due
from training.notifications.services import email_at_once, notify
from training.reminders import claim


def send_expiry_reminders(today=None):
    """Tell holders 60, 30 and 7 days before a certificate expires; each reminder once.

    The reminder is a notification: in the app, and by e-mail at once or in the holder's digest.
    """
    today = today or date.today()
    sent = 0
    for days in sorted(current_app.config["EXPIRY_REMINDER_DAYS"]):
        for certificate in expiry_due(days, today):
            left = (certificate.expires_on - today).days
            window = min(d for d in current_app.config["EXPIRY_REMINDER_DAYS"] if d >= left)
            if window != days or not claim(certificate.holder, f"expiry-{days}", certificate.number):
                continue
            message = _("Your %(credential)s certificate %(number)s expires in %(left)d days, on %(day)s. To renew "
                        "it you need continuing education hours logged and approved.",
                        credential=certificate.credential_title, number=certificate.number, left=left,
                        day=certificate.expires_on.isoformat())
            notification = notify(certificate.user_id, "certificate_expiring", f"expiry-{days}-{certificate.number}",
                                  message, "certificates.mine")
            if notification is not None:
                email_at_once([notification.id], subject=_("Your certificate expires in %(left)d days", left=left))
            sent += 1
    return sent

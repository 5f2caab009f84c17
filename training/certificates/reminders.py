"""Reminders to certificate holders before their certificate expires."""
from datetime import date

from flask import current_app
from flask_babel import ngettext

from training.certificates.services import expiry_due
from training.i18n import current_language, in_every_language
from training.notifications.services import email_at_once, notify
from training.reminders import claim
from training.templating import format_date


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
            # In every language: the holder reads it in theirs, in the app and the e-mail.
            messages = in_every_language(lambda certificate=certificate, left=left: ngettext(
                "Your %(credential)s certificate %(number)s expires in %(num)d day, on %(day)s. To renew it you "
                "need continuing education hours logged and approved.",
                "Your %(credential)s certificate %(number)s expires in %(num)d days, on %(day)s. To renew it you "
                "need continuing education hours logged and approved.",
                left, credential=certificate.title_in(current_language()), number=certificate.number,
                day=format_date(certificate.expires_on)))
            notification = notify(certificate.user_id, "certificate_expiring", f"expiry-{days}-{certificate.number}",
                                  messages, "certificates.mine")
            if notification is not None:
                email_at_once([notification.id], subject=lambda left=left: ngettext(
                    "Your certificate expires in %(num)d day", "Your certificate expires in %(num)d days", left))
            sent += 1
    return sent

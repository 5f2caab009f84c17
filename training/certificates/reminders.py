"""Reminders to certificate holders before their certificate expires."""
from datetime import date

from flask import current_app

from training.certificates.services import expiry_due
from training.mail import external_url, send_mail
from training.reminders import claim


def send_expiry_reminders(today=None):
    """Tell holders 60, 30 and 7 days before a certificate expires; each reminder once."""
    today = today or date.today()
    sent = 0
    for days in sorted(current_app.config["EXPIRY_REMINDER_DAYS"]):
        for certificate in expiry_due(days, today):
            left = (certificate.expires_on - today).days
            window = min(d for d in current_app.config["EXPIRY_REMINDER_DAYS"] if d >= left)
            if window != days or not claim(certificate.holder, f"expiry-{days}", certificate.number):
                continue
            send_mail(certificate.holder.email, f"Your certificate expires in {left} days", (
                f"Hello {certificate.holder.full_name},\n\nYour {certificate.credential_title} certificate "
                f"{certificate.number} expires on {certificate.expires_on.isoformat()}. To renew it you need "
                f"continuing education hours logged and approved; see your certificates page: "
                f"{external_url('certificates.mine')}\n"))
            sent += 1
    return sent

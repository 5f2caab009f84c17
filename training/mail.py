"""Outgoing e-mail: SMTP when MAIL_SERVER is set, otherwise written to the log."""
import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import current_app

log = logging.getLogger("training.mail")


def send_mail(to, subject, body):
    """Send a plain-text message; with no MAIL_SERVER configured, log it instead."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if not config["MAIL_SERVER"]:
        log.info("Mail (not sent: no MAIL_SERVER configured)\nTo: %s\nSubject: %s\n\n%s", to, subject, body)
        return message
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
    return message


def external_url(endpoint, **values):
    """An absolute link for an e-mail or a document, always from BASE_URL.

    Never from the request: its Host header is whatever the sender wrote, and a reset link
    pointing at another host would hand that host a working token.
    """
    parts = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path.rstrip("/") or "/",
                                       url_scheme=parts.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)

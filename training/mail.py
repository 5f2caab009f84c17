"""Outgoing e-mail: SMTP when MAIL_SERVER is set, otherwise written to the log."""
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app, has_request_context, url_for

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
    """An absolute link for an e-mail: from the request when there is one, else from BASE_URL."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)

"""Outgoing e-mail: SMTP when MAIL_SERVER is set, otherwise written to the log.

Every message is a template, ``templates/mail/<name>.txt``, with a ``subject`` block and a
``body`` block, written in the recipient's language whoever's request sends it (see
:func:`send_to`).
"""
import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import quote, urlsplit

from flask import current_app

from training.i18n import for_user, organisation_name

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


def render_mail(name, **context):
    """(subject, body) of ``templates/mail/<name>.txt`` in the language now in force."""
    context.setdefault("organisation", organisation_name())
    template = current_app.jinja_env.get_template(f"mail/{name}.txt")
    scope = template.new_context(context)
    subject = " ".join("".join(template.blocks["subject"](scope)).split())
    body = "".join(template.blocks["body"](scope)).strip("\n") + "\n"
    return subject, body


def send_to(recipient, name, **context):
    """Send the ``name`` message to ``recipient`` (a User), subject and body in their language."""
    with for_user(recipient):
        subject, body = render_mail(name, recipient=recipient, **context)
    return send_mail(recipient.email, subject, body)


def external_url(endpoint, **values):
    """An absolute link for an e-mail or a document, always from BASE_URL.

    Never from the request: its Host header is whatever the sender wrote, and a reset link
    pointing at another host would hand that host a working token.
    """
    parts = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path.rstrip("/") or "/",
                                       url_scheme=parts.scheme or "https")
    anchor = values.pop("_anchor", None)  # a place on the page, as url_for takes it
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{quote(anchor)}" if anchor else url

"""The peer recovery training and certification platform."""
import functools
import logging
import sqlite3

from flask import Flask, Response, abort, g, make_response, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext, lazy_gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import BadRequest

from training import security
from training.config import ROOT, TestConfig, check_paper_size, check_production, config_from_environment
from training.extensions import babel, csrf, db, limiter, login_manager, migrate
from training.i18n import (
    LANGUAGES,
    N_,
    ConfigurationError,
    check_locales,
    content_language,
    current_language,
    default_locale,
    in_language,
    install_template_gettext,
    language_name,
    localized,
    organisation_name,
    select_locale,
)


def create_app(config=None):
    """Build the app. ``config`` is a config class, or a dict laid over TestConfig for tests."""
    from training.http import BoundedIntConverter

    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    if config is None:
        app.config.from_object(config_from_environment())
    elif isinstance(config, dict):
        app.config.from_object(TestConfig)
        app.config.update(config)
    else:
        app.config.from_object(config)
    app.url_map.converters["int"] = BoundedIntConverter
    check_production(app.config)
    check_paper_size(app.config)
    check_locales(app.config)
    app.instance_path and _ensure_instance_folder(app)
    configure_logging(app)
    configure_extensions(app)
    security.init_app(app)
    register_blueprints(app)
    register_errors(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def _ensure_instance_folder(app):
    from pathlib import Path

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def configure_logging(app):
    from training.operations import logs

    if app.config["LOG_FORMAT"] not in {"json", "text"}:
        raise ConfigurationError(N_("LOG_FORMAT must be json or text, not %(value)r."), app.config,
                                 value=app.config["LOG_FORMAT"])
    if not app.testing:
        logs.configure(app.config["LOG_FORMAT"])
    logging.getLogger("training").setLevel(logging.INFO)
    logs.init_app(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Enforce foreign keys on SQLite, and use WAL so readers never wait for a writer."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def _without_jit(app):
    """PostgreSQL connections with its JIT compiler off.

    A page's statements each take a few milliseconds. When the planner's estimate of a statement
    passes ``jit_above_cost`` (a list that counts a whole programme's enrolments does at 10,000
    trainees), PostgreSQL first compiles it to machine code: 20-30 ms on every run, for a
    statement that then takes 20 ms. Set at connection start, so no transaction can undo it.

    The driver's ``options`` from the URL (``?options=-csearch_path=...``) and from the engine
    options are kept: the option given here replaces both, so it carries them."""
    from sqlalchemy.engine import make_url

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    given = [make_url(url).query.get("options", ""), connect_args.get("options", "")]
    connect_args["options"] = " ".join(filter(None, [*given, "-c jit=off"]))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(options, connect_args=connect_args)


def configure_extensions(app):
    import training.models  # noqa: F401  (registers every table)

    _without_jit(app)
    db.init_app(app)

    @app.teardown_appcontext
    def end_database_session(error):
        """Close the request's session before Flask-SQLAlchemy does, tolerating a lost connection.

        When the database ends a connection after the page was made (a restart, a failover), the
        closing ROLLBACK fails. Raised there, the error would escape Flask and turn a finished page
        into a bare 500; the connection is already invalidated, so dropping the session is enough.
        """
        try:
            db.session.remove()
        except (OperationalError, InterfaceError) as lost:
            app.logger.warning("Database connection lost as a request ended: %s", str(lost).splitlines()[0][:200])
            db.session.registry.clear()

    from training.credentials.evaluation import install as keep_credential_results_current

    keep_credential_results_current()
    from training.supervision.summary import install as keep_hour_summaries_current

    keep_hour_summaries_current()
    from training.supervision.assessments import install as clear_outdated_risk_levels

    clear_outdated_risk_levels()
    migrate.init_app(app, db, directory=str(ROOT / "training" / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(ROOT / "training" / "translations"))
    install_template_gettext(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please sign in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from training.auth import sessions

    sessions.init_app(app, login_manager)

    @login_manager.user_loader
    def load_user(identity):
        session_token, signed_in_at, remembered = sessions.parse(identity)
        if sessions.ended(signed_in_at, remembered):
            g.sign_in_ended = "remembered" if remembered else "session"  # told why, and signed out (``sessions``)
            return None
        row = db.session.execute(_signed_in_person(), {"token": session_token}).unique().one_or_none()
        if row is None or not row[0].active:
            return None
        user, user.unread_notifications = row
        user.signed_in_at, user.remembered = signed_in_at, remembered
        return user


@functools.cache
def _signed_in_person():
    """The statement that loads the person behind a sign-in's token, built once: every signed-in
    request runs it, and building it anew took a tenth of a light page's time.

    The roles and the header's count of unread notifications come in the same statement: every
    page shows them.
    """
    from training.auth.models import User
    from training.notifications.services import unread_count_of

    return (db.select(User, unread_count_of(User.id)).options(joinedload(User.roles))
            .where(User.session_token == db.bindparam("token")))


def register_blueprints(app):
    from training.admin import bp as admin_bp
    from training.auth import bp as auth_bp
    from training.badges import bp as badges_bp
    from training.certificates import bp as certificates_bp
    from training.cohorts import bp as cohorts_bp
    from training.core import bp as core_bp
    from training.courses import bp as courses_bp
    from training.credentials.views import bp as credentials_bp
    from training.jobs.views import bp as jobs_bp
    from training.notifications import bp as notifications_bp
    from training.operations import bp as operations_bp
    from training.quizzes import bp as quizzes_bp
    from training.supervision import bp as supervision_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(courses_bp, url_prefix="/courses")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(quizzes_bp)
    app.register_blueprint(supervision_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(cohorts_bp, url_prefix="/cohorts")
    app.register_blueprint(badges_bp)
    app.register_blueprint(credentials_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(operations_bp)


def register_errors(app):
    def page(code, title, message):
        if request_ctx.url_adapter is None:  # a Host header that is not ours or not usable: no link can be built
            with in_language(default_locale()):  # no page, nor anyone's setting, to go by
                text = gettext("This site does not answer to that host name.")
            return Response(text + "\n", code, mimetype="text/plain")
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.before_request
    def refuse_nul_characters():
        """No database stores a NUL character in text; refuse it before anything runs."""
        values = list(request.args.values()) + list(request.form.values()) + [request.path]
        values += [upload.filename or "" for upload in request.files.values()]
        if any("\x00" in value for value in values):
            abort(400, gettext("The request contained a character that cannot be saved (a NUL byte)."))

    @app.errorhandler(400)
    def bad_request(error):
        detail = error.description if error.description != BadRequest.description else ""
        return page(400, gettext("Something in that request was not right"),
                    detail or gettext("Please go back, check what you entered and try again."))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return page(400, gettext("This form has expired"),
                    gettext("For your security, forms stop working after a while or when you sign in "
                            "again. Go back, reload the page and send it once more."))

    @app.errorhandler(403)
    def forbidden(error):
        return page(403, gettext("You do not have access to this page"),
                    gettext("Your account's roles do not include this page. If you think they should, "
                            "ask an administrator of your programme."))

    @app.errorhandler(404)
    def not_found(error):
        return page(404, gettext("Page not found"),
                    gettext("The address may be mistyped, or the page may have moved."))

    @app.errorhandler(405)
    def method_not_allowed(error):
        return page(405, gettext("That action is not available here"),
                    gettext("Please use the buttons and links on the page."))

    @app.errorhandler(413)
    def too_large(error):
        return page(413, gettext("That was too large to send"),
                    gettext("Nothing was saved. Go back and choose a smaller file: a scan or photo at a lower "
                            "resolution, or a PDF of fewer pages."))

    @app.errorhandler(429)
    def too_many_requests(error):
        return page(429, gettext("Too many attempts"),
                    gettext("Please wait a minute before trying again."))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PendingRollbackError)  # the same loss, met again by a later statement of the request
    def database_unavailable(error):
        """The database went away (restarted, failed over, connections ended): a clear 503, never a traceback.

        The pool checks each connection before use (pool_pre_ping), so service comes back by itself.
        """
        app.logger.warning("Database unavailable: %s", str(error).splitlines()[0][:200])
        try:
            db.session.rollback()
        except Exception:  # the connection is gone; the session is discarded at the end of the request
            pass
        db.session.remove()
        g._login_user = login_manager.anonymous_user()  # no database to load the person from
        response = page(503, gettext("The service is briefly unavailable"),
                        gettext("We could not reach the database just now. If you were sending a form, it was not "
                                "saved: please try again in a few seconds."))
        if isinstance(response, tuple):
            response = make_response(response)
        response.headers["Retry-After"] = "10"
        return response

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return page(500, gettext("Something went wrong on our side"),
                    gettext("The error has been logged. Please try again in a moment."))


def register_template_helpers(app):
    from markupsafe import Markup

    from training.audit import detail_name
    from training.auth.models import ACCOUNT_STATUSES, ROLES
    from training.navigation import main_nav
    from training.rendering import markdown_to_html
    from training.templating import (
        audit_value,
        evidence_title,
        format_count,
        format_date,
        format_datetime,
        format_hours,
        format_number,
        format_percent,
        local_domain,
        local_label,
        local_title,
        session_day,
    )

    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["hours"] = format_hours
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["count"] = format_count
    app.jinja_env.filters["percent"] = format_percent
    app.jinja_env.filters["audit_value"] = audit_value
    app.jinja_env.filters["audit_key"] = detail_name
    app.jinja_env.filters["local_title"] = local_title
    app.jinja_env.filters["local_domain"] = local_domain
    app.jinja_env.filters["local_label"] = local_label
    app.jinja_env.filters["evidence_title"] = evidence_title
    app.jinja_env.filters["markdown"] = lambda text: Markup(markdown_to_html(text or ""))
    app.jinja_env.globals["ROLES"] = ROLES
    app.jinja_env.globals["ACCOUNT_STATUSES"] = ACCOUNT_STATUSES
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["tr"] = localized
    app.jinja_env.globals["content_language"] = content_language
    app.jinja_env.globals["language_name"] = language_name
    app.jinja_env.globals["main_nav"] = main_nav
    app.jinja_env.globals["session_day"] = session_day

    @app.context_processor
    def inject_settings():
        return {
            "organisation_name": organisation_name(),
            "self_registration": app.config["ALLOW_SELF_REGISTRATION"],
            "current_path": request.path if request else "",
            "current_language": current_language(),
            # Where the language picker comes back to: this page, with its query string.
            "current_url": request.full_path.rstrip("?") if request else "",
        }


def register_cli(app):
    from training.cli import register

    register(app)

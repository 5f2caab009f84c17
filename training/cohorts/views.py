"""Cohort pages: administrators set cohorts up, trainers run sessions, trainees join and check in."""
from datetime import date, time

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import IntegerField, RadioField
from wtforms.validators import NumberRange, Optional

from training.auth.access import roles_required
from training.auth.models import User, UserRole, user_by_email
from training.cohorts import bp
from training.cohorts import records as rec
from training.cohorts.calendar import calendar_for, feed_owner, feed_url, reset_feed
from training.cohorts.certificates import certificate_pdf_name, issue_for_cohort
from training.cohorts.forms import (
    ATTENDANCE_CHOICES,
    CheckInForm,
    CohortEditForm,
    CohortForm,
    EnrolForm,
    ReflectionReviewForm,
    SessionForm,
    SignForm,
    TrainersForm,
)
from training.cohorts.models import Cohort, CohortMember, CohortSession, LiveTraining, TrainingCertificate
from training.cohorts.services import (
    CHECKIN_EARLY,
    CohortError,
    CohortInput,
    RosterProblems,
    SessionInput,
    add_session,
    at_risk,
    attendance_rate,
    attendance_report,
    can_manage,
    check_in,
    checkin_open,
    cohorts_for,
    confirm,
    create_cohort,
    credit_for,
    credited_by_session,
    current_code,
    enrol,
    enrolled_count,
    full_cohorts,
    invite,
    join,
    local,
    member_of,
    open_cohorts,
    remove_session,
    roster,
    save_and_confirm,
    save_roster,
    session_topic_in,
    set_trainers,
    training_title_in,
    update_cohort,
    update_session,
    withdraw,
)
from training.courses.models import Course, Reflection
from training.courses.services import ReflectionError, active_courses, review_reflection
from training.credentials.evaluation import default_credential
from training.db_types import utcnow
from training.extensions import db, limiter
from training.forms import ConfirmForm, DecimalTextField, choices, show_error
from training.http import content_disposition
from training.i18n import current_language, localized
from training.supervision.forms import quarter_hours
from training.templating import format_date, format_number


def _cohort_or_404(cohort_id):
    return db.get_or_404(Cohort, cohort_id)


def _managed_cohort(cohort_id):
    cohort = _cohort_or_404(cohort_id)
    if not can_manage(current_user, cohort):
        abort(403)
    return cohort


def _managed_session(session_id):
    session = db.get_or_404(CohortSession, session_id)
    if not can_manage(current_user, session.cohort):
        abort(403)
    return session


def _trainer_choices():
    trainers = db.session.scalars(select(User).where(User.active, User.roles.any(UserRole.role == "trainer"))
                                  .order_by(User.name_key))
    return choices([(t.id, f"{t.full_name} ({t.email})") for t in trainers])


def _training_choices():
    items = [("", _("Choose a training"))]
    items += [(f"course:{c.id}", _("Course: %(title)s", title=localized(c, "title"))) for c in active_courses()]
    items += [(f"live:{t.id}", ngettext("Live training: %(title)s (%(num)d session)",
                                        "Live training: %(title)s (%(num)d sessions)", len(t.sessions),
                                        title=t.title_in(current_language())))
              for t in db.session.scalars(select(LiveTraining).where(LiveTraining.active).order_by(LiveTraining.title))]
    return choices(items)


def _training_from(value):
    kind, _sep, ident = (value or "").partition(":")
    if not ident.isdigit():
        return None
    model = {"course": Course, "live": LiveTraining}.get(kind)
    return db.session.get(model, int(ident)) if model else None


def _cohort_input(form):
    return CohortInput(title=form.title.data or "", starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                       delivery=form.delivery.data, capacity=form.capacity.data, address=form.address.data or "",
                       meeting_url=form.meeting_url.data or "", self_enrolment=form.self_enrolment.data)


# --- Cohorts -----------------------------------------------------------------------------------

@bp.route("/")
@roles_required("trainee", "trainer", "admin")
def index():
    """The cohorts a person runs or takes part in, and those open to join."""
    joinable = open_cohorts(current_user) if current_user.has_role("trainee") else []
    cohorts, now = cohorts_for(current_user), utcnow()
    # Sessions ended whose attendance waits to be confirmed, for those who confirm it.
    to_confirm = {c.id: sum(1 for s in c.sessions if s.confirmed_at is None and s.ends_at <= now)
                  for c in cohorts if can_manage(current_user, c)}
    return render_template("cohorts/index.html", cohorts=cohorts, open=joinable, full=full_cohorts(joinable),
                           to_confirm=to_confirm, form=ConfirmForm())


@bp.route("/new", methods=["GET", "POST"])
@roles_required("admin")
def new():
    """Create a cohort."""
    form = CohortForm()
    form.training.choices = _training_choices()
    form.trainers.choices = _trainer_choices()
    if request.method == "GET":
        form.starts_on.data = form.ends_on.data = date.today()
        form.first_start.data = time(9, 0)
    if form.validate_on_submit():
        trainers = list(db.session.scalars(select(User).where(User.id.in_(form.trainers.data))))
        try:
            cohort = create_cohort(current_user, _cohort_input(form), _training_from(form.training.data),
                                   default_credential(), trainers, form.first_start.data, form.days_between.data or 7)
        except CohortError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("Cohort created."), "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=None), 400 if form.errors else 200


@bp.route("/<int:cohort_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit(cohort_id):
    """Change a cohort's dates, delivery and places."""
    cohort = _cohort_or_404(cohort_id)
    form = CohortEditForm(obj=cohort if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            update_cohort(current_user, cohort, _cohort_input(form))
        except CohortError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("Cohort saved."), "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=cohort), 400 if form.errors else 200


@bp.route("/<int:cohort_id>")
@roles_required("trainee", "trainer", "admin")
def detail(cohort_id):
    """A cohort: its sessions, and for those who run it the roster and attendance."""
    return _detail_page(_cohort_or_404(cohort_id))


def _detail_page(cohort, enrol_form=None, status=200):
    manager = can_manage(current_user, cohort)
    member = member_of(cohort, current_user)
    if not manager and member is None and not cohort.self_enrolment:
        abort(404)
    enrolled = enrolled_count(cohort)
    context = {"cohort": cohort, "manager": manager, "member": member, "form": ConfirmForm(),
               "enrolled": enrolled, "full": enrolled >= cohort.capacity, "ended": cohort.ends_on < date.today(),
               "local": local, "today": date.today(), "now": utcnow(),
               "checkin_lead": CHECKIN_EARLY,
               "modules": {m.id: m for m in _material_modules(cohort)}}
    if manager:
        records = attendance_report(cohort)
        certificates = db.session.scalars(select(TrainingCertificate).where(TrainingCertificate.cohort_id == cohort.id))
        context.update(records=records, rate=attendance_rate(records, cohort), risky=at_risk(records, cohort),
                       others=[m for m in cohort.members if m.status != "enrolled"],
                       enrol_form=enrol_form or EnrolForm(formdata=None),
                       certificates={c.user_id: c for c in certificates})
        if current_user.has_role("admin"):
            trainers_form = TrainersForm(trainers=[t.id for t in cohort.trainers])
            trainers_form.trainers.choices = _trainer_choices()
            context["trainers_form"] = trainers_form
    elif member is not None and member.status == "enrolled":
        records = [r for r in attendance_report(cohort) if r.user.id == current_user.id]
        context["own"] = records[0] if records else None
        context["own_credit"] = credited_by_session(cohort, current_user)  # what each session gave, not its full credit
        context["mark_text"] = rec.mark_text
        marks = context["own"].marks if context["own"] else {}
        context["open_session"] = next((s for s in cohort.sessions if checkin_open(s) and not (
            s.id in marks and marks[s.id].checked_in_at)), None)
        context["certificate"] = db.session.scalar(select(TrainingCertificate).where(
            TrainingCertificate.cohort_id == cohort.id, TrainingCertificate.user_id == current_user.id))
    return render_template("cohorts/detail.html", **context), status


@bp.route("/<int:cohort_id>/trainers", methods=["POST"])
@roles_required("admin")
def trainers(cohort_id):
    """Change who trains a cohort."""
    cohort = _cohort_or_404(cohort_id)
    form = TrainersForm()
    form.trainers.choices = _trainer_choices()
    if not form.validate_on_submit():
        flash(_("Choose at least one trainer."), "error")
        return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    try:
        set_trainers(current_user, cohort, list(db.session.scalars(select(User).where(User.id.in_(form.trainers.data)))))
    except CohortError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("Trainers saved."), "success")
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


@bp.route("/<int:cohort_id>/members", methods=["POST"])
@roles_required("admin")
def add_member(cohort_id):
    """Enrol a trainee, or invite them by e-mail."""
    cohort = _cohort_or_404(cohort_id)
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            if form.action.data == "invite":
                member = invite(current_user, cohort, form.email.data, form.full_name.data or "")
            else:
                user = user_by_email(form.email.data)
                if user is None:
                    raise CohortError(_("No account has this e-mail address. Choose “Invite by e-mail” to invite "
                                        "them."), "email")
                member = enrol(current_user, cohort, user)
        except CohortError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            messages = {"enrolled": _("%(name)s is enrolled."), "waiting": _("The cohort is full: %(name)s is on "
                                                                             "the waiting list."),
                        "invited": _("Invitation sent to %(name)s.")}
            flash(messages[member.status] % {"name": member.user.full_name}, "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return _detail_page(cohort, enrol_form=form, status=400)


@bp.route("/<int:cohort_id>/members/<int:member_id>/withdraw", methods=["POST"])
@roles_required("admin")
def withdraw_member(cohort_id, member_id):
    """Take someone out of a cohort; the first person waiting gets the place."""
    member = db.get_or_404(CohortMember, member_id)
    if member.cohort_id != cohort_id or not ConfirmForm().validate_on_submit():
        abort(404 if member.cohort_id != cohort_id else 400)
    withdraw(current_user, member)
    flash(_("%(name)s has left the cohort.", name=member.user.full_name), "success")
    return redirect(url_for("cohorts.detail", cohort_id=cohort_id))


@bp.route("/<int:cohort_id>/join", methods=["POST"])
@roles_required("trainee")
def join_cohort(cohort_id):
    """Take a place in an open cohort, or accept an invitation."""
    cohort = _cohort_or_404(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        member = join(current_user, cohort)
    except CohortError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("cohorts.index"))
    if member.status == "enrolled":
        flash(_("You have a place in %(title)s.", title=cohort.title), "success")
    else:
        flash(_("The cohort is full: you are on the waiting list and will get the next free place."), "info")
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


def _own_place_or_404(cohort_id):
    """The cohort and the signed-in trainee's place in it, enrolled or waiting; ``ended`` when the
    cohort is over, whose places (and the hours they credited) are not given up any more."""
    cohort = _cohort_or_404(cohort_id)
    member = member_of(cohort, current_user)
    if member is None or member.status not in ("enrolled", "waiting"):
        abort(404)
    ended = cohort.ends_on < date.today()
    if ended:
        flash(_("This cohort has ended: your place and the hours it credited stay on record."), "info")
    return cohort, member, ended


@bp.route("/<int:cohort_id>/leave", methods=["GET"])
@roles_required("trainee")
def leave_confirm(cohort_id):
    """What giving up a place means, before it is given up: it goes to the next person waiting."""
    cohort, member, ended = _own_place_or_404(cohort_id)
    if ended:
        return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("cohorts/leave_confirm.html", cohort=cohort, member=member, form=ConfirmForm())


@bp.route("/<int:cohort_id>/leave", methods=["POST"])
@roles_required("trainee")
def leave(cohort_id):
    """Give up one's place (or one's spot on the waiting list)."""
    cohort, member, ended = _own_place_or_404(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if ended:
        return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    withdraw(current_user, member)
    flash(_("You have left %(title)s.", title=cohort.title), "success")
    return redirect(url_for("cohorts.index"))


# --- Sessions ----------------------------------------------------------------------------------

def _session_form(cohort, session=None):
    domains = cohort.credential.domains if cohort.credential else []

    class Form(SessionForm):
        pass

    names = cohort.credential.words(current_language()).get("domains", {}) if cohort.credential else {}
    for index, domain in enumerate(domains):
        setattr(Form, f"credit_{index}", DecimalTextField(
            names.get(domain, domain), places=2, default=0, invalid_value_message=_("Enter hours as a number, such as 1.5."),
            validators=[Optional(), quarter_hours(minimum=0)]))
    form = Form(obj=None)
    form.domains = domains
    form.materials.choices = choices([(m.id, f"{localized(m.course, 'title')}: {localized(m, 'title')}")
                                      for m in _material_modules(cohort)])
    others = [s for s in cohort.sessions if s.makeup_of_id is None and (session is None or s.id != session.id)]
    form.makeup_of_id.choices = choices([(0, _("Not a make-up session"))] + [
        (s.id, f"{format_date(local(s.starts_at).date())} · {session_topic_in(s)}") for s in others])
    if request.method == "GET":
        if session is not None:
            start, end = local(session.starts_at), local(session.ends_at)
            form.topic.data, form.day.data, form.start.data, form.end.data = session.topic, start.date(), \
                start.time(), end.time()
            form.materials.data = list(session.materials)
            form.makeup_of_id.data = session.makeup_of_id or 0
        for index, domain in enumerate(domains):
            getattr(form, f"credit_{index}").data = (session.credits.get(domain, 0) / 60) if session else 0
    return form


def _material_modules(cohort):
    """Modules a session can point to: its course's, or every course's for a live training."""
    courses = [cohort.course] if cohort.course else active_courses()
    return [m for course in courses for m in course.active_modules]


def _session_input(form):
    credits = {}
    for index, domain in enumerate(form.domains):
        value = getattr(form, f"credit_{index}").data
        credits[domain] = int(value * 60) if value else 0
    return SessionInput(day=form.day.data, start=form.start.data, end=form.end.data, topic=form.topic.data or "",
                        credits=credits, materials=form.materials.data or [],
                        makeup_of_id=form.makeup_of_id.data or None)


def _credits_error(form, error):
    if error.field == "credits":
        form.topic.errors = list(form.topic.errors)
        form.credit_errors = [error.message]
    else:
        show_error(form, error)


@bp.route("/<int:cohort_id>/sessions/new", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def new_session(cohort_id):
    """Add a session (or a make-up session) to a cohort."""
    cohort = _managed_cohort(cohort_id)
    form = _session_form(cohort)
    form.credit_errors = []
    if form.validate_on_submit():
        try:
            add_session(current_user, cohort, _session_input(form))
        except CohortError as error:
            db.session.rollback()
            _credits_error(form, error)
        else:
            flash(_("Session added."), "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    failed = form.errors or form.credit_errors
    return render_template("cohorts/session_form.html", form=form, cohort=cohort, session=None), 400 if failed else 200


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def edit_session(session_id):
    """Change a session's time, topic, credits or materials (until attendance is confirmed)."""
    session = _managed_session(session_id)
    form = _session_form(session.cohort, session)
    form.credit_errors = []
    if form.validate_on_submit():
        try:
            update_session(current_user, session, _session_input(form))
        except CohortError as error:
            db.session.rollback()
            _credits_error(form, error)
        else:
            flash(_("Session saved."), "success")
            return redirect(url_for("cohorts.detail", cohort_id=session.cohort_id))
    failed = form.errors or form.credit_errors
    return render_template("cohorts/session_form.html", form=form, cohort=session.cohort, session=session,
                           remove_form=ConfirmForm()), 400 if failed else 200


@bp.route("/sessions/<int:session_id>/remove", methods=["GET"])
@roles_required("trainer", "admin")
def remove_confirm(session_id):
    """Which session is about to be removed, before it is: removing cannot be undone."""
    session = _managed_session(session_id)
    return render_template("cohorts/remove_confirm.html", session=session, cohort=session.cohort, form=ConfirmForm(),
                           local=local)


@bp.route("/sessions/<int:session_id>/remove", methods=["POST"])
@roles_required("trainer", "admin")
def remove(session_id):
    """Remove a session that has no attendance."""
    session = _managed_session(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    cohort_id = session.cohort_id
    try:
        remove_session(current_user, session)
    except CohortError as error:
        flash(error.message, "error")
        return redirect(url_for("cohorts.edit_session", session_id=session_id))
    flash(_("Session removed."), "success")
    return redirect(url_for("cohorts.detail", cohort_id=cohort_id))


@bp.app_template_filter("training_title")
def training_title_filter(cohort):
    """The cohort's training title in the page's language."""
    return training_title_in(cohort)


@bp.app_template_filter("domain")
def domain_filter(name, cohort):
    """A domain's name in the page's language, as the cohort's credential file translates it."""
    if cohort.credential is None:
        return name
    return cohort.credential.words(current_language()).get("domains", {}).get(name, name)


@bp.app_template_filter("number")
def number_filter(value):
    """A number as the page's language writes it ("1.5", "1,5")."""
    return format_number(value)


@bp.app_template_filter("topic")
def topic_filter(session):
    """A session's topic in the page's language, where the training's file translates it."""
    return session_topic_in(session)


# --- Attendance --------------------------------------------------------------------------------

def _roster_form(session, rows):
    class Form(SignForm):
        pass

    length = max(0, int((session.ends_at - session.starts_at).total_seconds() // 60))
    for user, attendance, _not_yet_enrolled in rows:
        setattr(Form, f"status_{user.id}", RadioField(
            user.full_name, choices=choices(ATTENDANCE_CHOICES), default=attendance.status if attendance else None,
            validators=[Optional()]))
        # Named with the trainee: the list of problems at the top of the page says whose minutes are wrong.
        setattr(Form, f"missed_{user.id}", IntegerField(
            _("Minutes missed by %(name)s", name=user.full_name),
            default=attendance.minutes_missed if attendance and attendance.minutes_missed else None,
            validators=[Optional(), NumberRange(min=0, max=length, message=_(
                "Enter minutes from 0 to %(length)d, the length of the session.", length=length))],
            render_kw={"inputmode": "numeric", "step": "15", "min": "0"}))
    return Form()


@bp.route("/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def attendance(session_id):
    """The roster on a phone: mark each trainee, then confirm to credit hours.

    Confirming sends the marks on the page with it: they are saved first, so none is lost to a
    trainer who confirms without saving."""
    session = _managed_session(session_id)
    rows = roster(session)
    form = _roster_form(session, rows)
    confirmed = session.confirmed_at is not None
    confirming = not confirmed and request.form.get("action") == "confirm"
    if not confirmed:  # Enter in the signature confirms, as the button beside it does (static/roster.js)
        form.signed_name.render_kw = {"data-enter-presses": "confirm-button"}
    if form.validate_on_submit():
        marks = {}
        for user, _attendance, _not_yet_enrolled in rows:
            status = getattr(form, f"status_{user.id}").data
            if status:
                marks[user.id] = (status, getattr(form, f"missed_{user.id}").data or 0)
        try:
            if confirming:
                credited = save_and_confirm(current_user, session, marks, form.signed_name.data)
            else:
                save_roster(current_user, session, marks, form.signed_name.data if confirmed else "")
        except RosterProblems as problems:
            db.session.rollback()
            for user_id, message in problems.problems.items():  # beside each trainee, named in the summary
                form[f"status_{user_id}"].errors = [message]
        except CohortError as error:
            db.session.rollback()
            if not error.field:  # confirmed meanwhile (another tab, another trainer): show the roster as it is
                flash(error.message, "error")
                return redirect(url_for("cohorts.attendance", session_id=session.id))
            show_error(form, error)
        else:
            if confirming:
                _say_confirmed(credited)
            elif not marks and not confirmed:
                flash(_("Nobody was marked, so nothing was saved. Choose a mark for each trainee present or absent."),
                      "info")
            else:
                flash(_("Attendance saved and the hours it credits updated.") if confirmed else _("Attendance saved."),
                      "success")
            return redirect(url_for("cohorts.attendance", session_id=session.id))
    credits = {row.user.id: credit_for(row.attendance, session) if row.attendance else {} for row in rows}
    return render_template("cohorts/attendance.html", session=session, cohort=session.cohort, rows=rows, form=form,
                           credits=credits, local=local, still_running=utcnow() < session.ends_at,
                           checkin=checkin_open(session)), 400 if form.errors else 200


@bp.route("/sessions/<int:session_id>/confirm", methods=["POST"])
@roles_required("trainer", "admin")
def confirm_attendance(session_id):
    """Confirm attendance: credited hours become approved training hours, signed."""
    session = _managed_session(session_id)
    form = SignForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        credited = confirm(current_user, session, form.signed_name.data)
    except CohortError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        _say_confirmed(credited)
    return redirect(url_for("cohorts.attendance", session_id=session.id))


def _say_confirmed(credited):
    count = sum(1 for c in credited.values() if c)
    flash(ngettext("Attendance confirmed: training hours credited to %(num)d trainee.",
                   "Attendance confirmed: training hours credited to %(num)d trainees.", count), "success")


@bp.route("/sessions/<int:session_id>/code")
@roles_required("trainer", "admin")
def code(session_id):
    """The rotating check-in code and its QR code, to show on a screen."""
    session = _managed_session(session_id)
    return render_template("cohorts/code.html", session=session, cohort=session.cohort, local=local,
                           **_code_context(session))


def _code_context(session):
    from training.certificates.render import qr_svg
    from training.cohorts.services import document_url

    value, seconds = current_code(session)
    if value is None:
        return {"value": None, "seconds": 0, "qr": None, "link": None}
    link = document_url("cohorts.check_in_page", session_id=session.id, code=value)
    return {"value": value, "seconds": seconds, "qr": qr_svg(link), "link": link}


@bp.route("/sessions/<int:session_id>/code.json")
@roles_required("trainer", "admin")
def code_json(session_id):
    """The current code, for the code page to refresh itself."""
    session = _managed_session(session_id)
    context = _code_context(session)
    response = jsonify(code=context["value"], seconds=context["seconds"],
                       qr=str(context["qr"]) if context["qr"] else None)
    response.headers["Cache-Control"] = "no-store"
    return response


def _checkin_key():
    return f"check-in:{current_user.get_id()}" if current_user.is_authenticated else request.remote_addr


@bp.route("/sessions/<int:session_id>/check-in", methods=["GET", "POST"])
@roles_required("trainee")
@limiter.limit("12 per minute", key_func=_checkin_key, methods=["POST"])
def check_in_page(session_id):
    """Check in to a session with the code the trainer shows (or by scanning its QR code)."""
    session = db.get_or_404(CohortSession, session_id)
    member = member_of(session.cohort, current_user)
    if member is None or member.status != "enrolled":
        abort(404)
    form = CheckInForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"][:12]
    attendance = None
    if form.validate_on_submit():
        try:
            attendance = check_in(current_user, session, form.code.data)
        except CohortError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("You are checked in. Your trainer confirms attendance after the session."), "success")
            return redirect(url_for("cohorts.detail", cohort_id=session.cohort_id))
    return render_template("cohorts/check_in.html", session=session, cohort=session.cohort, form=form,
                           attendance=attendance, local=local, open=checkin_open(session)), \
        400 if form.errors else 200


# --- Records -----------------------------------------------------------------------------------

def _file(data, mimetype, filename, inline=False):
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": content_disposition(filename, inline)})


@bp.route("/sessions/<int:session_id>/sign-in-sheet.pdf")
@roles_required("trainer", "admin")
def sign_in_sheet(session_id):
    """A printable sign-in sheet for one session."""
    session = _managed_session(session_id)
    return _file(rec.sign_in_sheet_pdf(session), "application/pdf", rec.filename(session, "pdf"))


@bp.route("/sessions/<int:session_id>/sign-in-sheet.csv")
@roles_required("trainer", "admin")
def sign_in_sheet_csv(session_id):
    """The sign-in sheet's roster as CSV."""
    session = _managed_session(session_id)
    return _file(rec.sign_in_sheet_csv(session), "text/csv", rec.filename(session, "csv"))


@bp.route("/<int:cohort_id>/attendance.pdf")
@roles_required("trainer", "admin")
def report_pdf(cohort_id):
    """The cohort's attendance report as PDF."""
    cohort = _managed_cohort(cohort_id)
    return _file(rec.report_pdf(cohort), "application/pdf", rec.report_filename(cohort, "pdf"))


@bp.route("/<int:cohort_id>/attendance.csv")
@roles_required("trainer", "admin")
def report_csv(cohort_id):
    """The cohort's attendance report as CSV."""
    cohort = _managed_cohort(cohort_id)
    return _file(rec.report_csv(cohort), "text/csv", rec.report_filename(cohort, "csv"))


@bp.route("/<int:cohort_id>/certificates", methods=["POST"])
@roles_required("admin")
def issue_certificates(cohort_id):
    """Issue a training certificate to each trainee credited with hours in the cohort."""
    cohort = _cohort_or_404(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        issued = issue_for_cohort(current_user, cohort)
    except CohortError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(ngettext("%(num)d training certificate issued.", "%(num)d training certificates issued.", len(issued)),
              "success")
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


@bp.route("/certificates/<int:certificate_id>.pdf")
@roles_required("trainee", "trainer", "admin")
def certificate_pdf(certificate_id):
    """A training certificate, for its holder, the cohort's trainers and administrators."""
    certificate = db.get_or_404(TrainingCertificate, certificate_id)
    if certificate.user_id != current_user.id and not can_manage(current_user, certificate.cohort):
        abort(404)
    return _file(certificate.pdf, "application/pdf", certificate_pdf_name(certificate))


# --- Reflections -------------------------------------------------------------------------------

def _reviewable(user, waiting=True):
    """Reflections ``user`` may review: an administrator's are all; a trainer's, their trainees'.
    ``waiting``: only those not reviewed yet."""
    from training.cohorts.models import CohortTrainer

    query = select(Reflection).order_by(Reflection.submitted_at)
    if waiting:
        query = query.where(Reflection.status == "submitted")
    if not user.has_role("admin"):
        cohorts = select(CohortTrainer.cohort_id).where(CohortTrainer.user_id == user.id)
        trainees = select(CohortMember.user_id).where(CohortMember.cohort_id.in_(cohorts),
                                                      CohortMember.status == "enrolled")
        query = query.where(Reflection.user_id.in_(trainees))
    return query


def _reflections_page(failed=None, status=200):
    """The reflections waiting; ``failed``, a review form that could not be saved, is shown with its
    errors and what the trainer typed, beside its reflection."""
    items = list(db.session.scalars(_reviewable(current_user).limit(200)))
    return render_template("cohorts/reflections.html", items=items, form=failed or ReflectionReviewForm(formdata=None),
                           failed=failed), status


@bp.route("/reflections")
@roles_required("trainer", "admin")
def reflections():
    """Written reflections waiting for review."""
    return _reflections_page()


@bp.route("/reflections/<int:reflection_id>", methods=["POST"])
@roles_required("trainer", "admin")
def review(reflection_id):
    """Accept a reflection, or return it with a comment."""
    reflection = db.session.scalar(_reviewable(current_user, waiting=False).where(Reflection.id == reflection_id))
    if reflection is None:
        abort(404)
    form = ReflectionReviewForm()
    if reflection.status != "submitted":
        return _reviewed_already(reflection)
    if form.validate_on_submit():
        try:
            review_reflection(current_user, reflection, form.decision.data, form.comment.data)
        except ReflectionError as error:
            db.session.rollback()
            if error.field == "reviewed":
                return _reviewed_already(db.session.get(Reflection, reflection_id))
            show_error(form, error)
        else:
            flash(_("Reflection accepted.") if form.decision.data == "accept" else _("Reflection returned."),
                  "success")
            return redirect(url_for("cohorts.reflections"))
    # The fields are named alike in every reflection's form: the ids tie these errors to this one.
    form.reflection_id, form.decision.id, form.comment.id = reflection_id, f"decision-{reflection_id}", \
        f"comment-{reflection_id}"
    return _reflections_page(failed=form, status=400)


def _reviewed_already(reflection):
    """Another trainer reviewed it first (two tabs, two trainers): say so rather than review it twice."""
    reviewer = reflection.reviewer.full_name if reflection.reviewer else _("Another trainer")
    flash(_("%(name)s has reviewed this reflection already.", name=reviewer), "info")
    return redirect(url_for("cohorts.reflections"))


# --- Calendar ----------------------------------------------------------------------------------

@bp.route("/calendar")
@roles_required("trainee", "trainer")
def calendar():
    """The private address of one's calendar feed."""
    return render_template("cohorts/calendar.html", url=feed_url(current_user), form=ConfirmForm())


@bp.route("/calendar/reset", methods=["POST"])
@roles_required("trainee", "trainer")
def calendar_reset():
    """Make a new private address; the old one stops working."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    reset_feed(current_user)
    flash(_("Your calendar has a new address. Subscribe to it again; the old one no longer works."), "success")
    return redirect(url_for("cohorts.calendar"))


@bp.route("/calendar/<token>.ics")
@limiter.limit(lambda: current_app.config["VERIFY_RATE_LIMIT"])
def feed(token):
    """A person's sessions as an iCalendar feed, at a private address."""
    user = feed_owner(token)
    if user is None:
        abort(404)
    return Response(calendar_for(user), mimetype="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300"})


@bp.route("/trainings/sync", methods=["POST"])
@roles_required("admin")
def sync_trainings():
    """Reload the live trainings from their folder."""
    from training.cohorts.loader import sync_trainings as sync
    from training.courses.loader import ContentErrors

    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        created, updated, hidden = sync(current_app.config["TRAININGS_DIR"], actor=current_user)
    except ContentErrors as errors:
        db.session.rollback()
        for error in errors.errors[:10]:
            flash(str(error), "error")
        return redirect(url_for("cohorts.index"))
    flash(_("Live trainings reloaded: %(created)s new, %(updated)s updated, %(hidden)s hidden.",
            created=created, updated=updated, hidden=hidden), "success")
    return redirect(url_for("cohorts.index"))

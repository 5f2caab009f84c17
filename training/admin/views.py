from datetime import date

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from training.admin import bp
from training.admin.forms import (
    AllowAttemptForm,
    AssignSupervisorForm,
    AuditFilterForm,
    ConfirmRosterForm,
    DeactivateForm,
    EndAssignmentForm,
    InviteForm,
    RolesForm,
    RosterForm,
)
from training.admin.roster import deliver, invite_roster, plan_places, read_roster, template_csv, template_headings
from training.admin.services import (
    assign_supervisor,
    assignments_of,
    audit_query,
    change_roles,
    current_supervisors,
    deactivate,
    end_assignment,
    ending_of,
    joined_at,
    log_page,
    named_in,
    people_query,
    reactivate,
)
from training.audit import ACTIONS
from training.auth.access import roles_required
from training.auth.models import ACCOUNT_STATUSES, ROLES, SupervisorAssignment, User, UserRole
from training.auth.services import AccountError, invite_with_link, send_invitation
from training.cohorts.models import Cohort
from training.courses.loader import ContentErrors
from training.courses.services import active_courses, progress_for, sync_courses
from training.extensions import db
from training.forms import ConfirmForm, choices, show_error
from training.http import content_disposition, page_count, page_number, paginate
from training.quizzes.models import Quiz
from training.quizzes.services import QuizRefused, allow_another_attempt, allowances_of, used_up
from training.spreadsheet import csv_text, spreadsheet_text
from training.supervision.services import current_supervisor, pending_count
from training.templating import format_date, format_number


@bp.before_request
@roles_required("admin")
def require_admin():
    """Every page here is for administrators only."""


def _person_or_404(user_id):
    return db.get_or_404(User, user_id)


@bp.route("/people")
def people():
    """Everyone, searchable by name or e-mail and filterable by role and status."""
    search = request.args.get("q", "")[:120]
    role = request.args.get("role", "")
    status = request.args.get("status", "")
    page = request.args.get("page", 1, type=int)
    pagination = paginate(people_query(search, role, status), page, per_page=current_app.config["PEOPLE_PER_PAGE"])
    return render_template("admin/people.html", pagination=pagination, search=search,
                           role=role, status=status)


@bp.route("/people.csv")
def people_csv():
    """Everyone the filters of the people list match, as CSV: it reads back as a spreadsheet of
    people to invite (e-mail, name, roles, supervisor), with their status and dates after."""
    search, role, status = request.args.get("q", "")[:120], request.args.get("role", ""), request.args.get("status", "")
    query = people_query(search, role, status)
    people = db.session.scalars(query).all()
    supervisors = current_supervisors(query.with_only_columns(User.id).order_by(None), date.today())
    rows = [[_("E-mail"), _("Name"), _("Roles"), _("Supervisor"), _("Status"), _("Programme started"),
             _("Last sign-in")]]
    for person in people:
        state = ACCOUNT_STATUSES[person.account_status]
        rows.append([person.email, person.full_name, ", ".join(str(ROLES[r]) for r in sorted(person.role_names)),
                     ", ".join(s.email for s in supervisors.get(person.id, [])), state,
                     person.programme_started_on.isoformat() if person.programme_started_on else "",
                     person.last_login_at.date().isoformat() if person.last_login_at else ""])
    return Response(csv_text(rows, bom=True), mimetype="text/csv",
                    headers={"Content-Disposition": content_disposition(_("people.csv"))})


@bp.route("/people/invite", methods=["GET", "POST"])
def invite_person():
    """Invite someone by e-mail with a one-time link."""
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user, link = invite_with_link(current_user, form.email.data, form.full_name.data, form.roles.data)
        except AccountError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            if not current_app.config["MAIL_SERVER"]:
                return _invitation_link_page(user, link)
            flash(_("Invitation sent to %(email)s.", email=user.email), "success")
            return redirect(url_for("admin.person", user_id=user.id))
    return render_template("admin/invite.html", form=form), 400 if form.errors else 200


@bp.route("/people/invite/file", methods=["GET", "POST"])
def invite_from_file():
    """Upload a spreadsheet of people to invite and see every row checked before anything is saved."""
    form = RosterForm()
    form.cohort.choices = _open_cohort_choices()
    if form.validate_on_submit():
        text = _uploaded_text(form.file)
        if text is not None:
            roster = read_roster(text)
            plan_places(roster, db.session.get(Cohort, form.cohort.data) if form.cohort.data else None)
            return _roster_preview(roster, text, form.file.data.filename or "")
    return render_template("admin/invite_file.html", form=form, headings=template_headings(get_locale().language)), \
        400 if form.errors else 200


def _open_cohort_choices():
    """Cohorts that have not ended, soonest first, each with its dates."""
    cohorts = db.session.scalars(select(Cohort).where(Cohort.ends_on >= date.today())
                                 .order_by(Cohort.starts_on, Cohort.title))
    return choices([(0, _("No cohort"))] + [
        (c.id, _("%(title)s, %(starts)s to %(ends)s", title=c.title, starts=format_date(c.starts_on),
                 ends=format_date(c.ends_on))) for c in cohorts])


def _uploaded_text(field):
    """The uploaded file's text, or None with the reason added to the field's errors."""
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    raw = field.data.read(limit + 1)
    field.data.close()
    if len(raw) > limit:
        field.errors.append(_("The file is larger than %(limit)s MB.", limit=format_number(limit / 1024 / 1024)))
        return None
    return spreadsheet_text(raw)  # the preview shows the names as read


def _roster_preview(roster, text, filename):
    confirm = ConfirmRosterForm(filename=filename[:200], content=text,
                                cohort=roster.cohort.id if roster.cohort else "")
    return render_template("admin/invite_file_preview.html", roster=roster, confirm=confirm,
                           filename=filename), 200 if roster.valid else 400


@bp.route("/people/invite/file/confirm", methods=["POST"])
def invite_from_file_confirm():
    """Invite everyone the checked file lists; a file with any problem invites nobody."""
    form = ConfirmRosterForm()
    if not form.validate_on_submit():
        abort(400)
    roster = read_roster(form.content.data or "")
    cohort = None
    if form.cohort.data:
        cohort = db.session.get(Cohort, int(form.cohort.data)) if form.cohort.data.isdigit() else None
        if cohort is None or cohort.ends_on < date.today():
            roster.problems.append(_("The cohort chosen has ended or no longer exists. Upload the file again and "
                                     "choose another."))
    plan_places(roster, cohort)
    if not roster.valid:
        return _roster_preview(roster, form.content.data or "", form.filename.data or "")
    invited = invite_roster(current_user, roster, date.today(), form.filename.data or "")
    links = deliver(current_user, invited)
    if cohort is not None:
        flash(_("%(cohort)s: %(placed)s given a place, %(waiting)s on the waiting list.", cohort=cohort.title,
                placed=roster.placed, waiting=roster.waiting), "success")
    if links:
        response = current_app.make_response(render_template("admin/invitation_links.html", links=links))
        response.headers["Cache-Control"] = "no-store"
        return response
    if invited:
        flash(ngettext("%(num)d invitation is on its way.", "%(num)d invitations are on their way.",
                       len(invited)), "success")
    elif cohort is None:
        flash(_("Everyone in the file already has an account, so no invitation was sent."), "info")
    if cohort is not None:
        return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return redirect(url_for("admin.people", status="invited" if invited else None))


@bp.route("/people/invite/template.csv")
def invite_template():
    """A spreadsheet to fill in with the people to invite."""
    return Response(template_csv(get_locale().language), mimetype="text/csv",
                    headers={"Content-Disposition": content_disposition(_("people-to-invite.csv"))})


def _supervisor_choices(user):
    supervisors = db.session.scalars(
        select(User).where(User.active, User.id != user.id, User.roles.any(UserRole.role == "supervisor"))
        .order_by(User.name_key)
    )
    return choices([(0, _("Choose a supervisor"))] + [(s.id, f"{s.full_name} ({s.email})") for s in supervisors])


def _person_page(user, roles_form=None, assign_form=None, deactivate_form=None, attempt_form=None,
                 status=200):
    roles_form = roles_form or RolesForm(roles=sorted(user.role_names))
    if assign_form is None:
        assign_form = AssignSupervisorForm(starts_on=date.today())
    assign_form.supervisor_id.choices = _supervisor_choices(user)
    trainee = user.has_role("trainee")
    progress = progress_for(user, active_courses()) if trainee else []
    from training.cohorts.services import cohorts_for

    return render_template(
        "admin/person.html", person=user, roles_form=roles_form, assign_form=assign_form,
        deactivate_form=deactivate_form or DeactivateForm(), confirm_form=ConfirmForm(), end_form=EndAssignmentForm(),
        assignments=assignments_of(user), progress=progress, today=date.today(), joined_at=joined_at(user),
        cohorts=cohorts_for(user) if user.has_role("trainee", "trainer") else [],
        used_up=used_up(user) if trainee else [], allowances=allowances_of(user) if trainee else [],
        attempt_form_for=lambda quiz: attempt_form if attempt_form and attempt_form.quiz is quiz
        else _attempt_form(quiz),
    ), status


def _attempt_form(quiz):
    """The form allowing one more attempt at ``quiz``: one per quiz on the page, each its own fields."""
    form = AllowAttemptForm(prefix=f"quiz{quiz.id}")
    form.quiz = quiz
    return form


@bp.route("/people/<int:user_id>")
def person(user_id):
    """One person: roles, status, supervisor assignments and course progress."""
    return _person_page(_person_or_404(user_id))


@bp.route("/people/<int:user_id>/roles", methods=["POST"])
def person_roles(user_id):
    """Change a person's roles."""
    user = _person_or_404(user_id)
    form = RolesForm()
    if form.validate_on_submit():
        try:
            changed, moved = change_roles(current_user, user, form.roles.data)
        except AccountError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("Roles saved.") if changed else _("Roles unchanged."), "success")
            if moved and "supervisor" in form.roles.data:
                flash(ngettext("%(num)d entry waiting for review goes back to %(name)s.",
                               "%(num)d entries waiting for review go back to %(name)s.", moved, name=user.full_name),
                      "info")
            elif moved:
                flash(ngettext("%(num)d entry that waited for %(name)s’s review now goes to the trainee’s other "
                               "supervisor, or to the administrators’ review queue.",
                               "%(num)d entries that waited for %(name)s’s review now go to each trainee’s other "
                               "supervisor, or to the administrators’ review queue.", moved, name=user.full_name),
                      "info")
            return redirect(url_for("admin.person", user_id=user.id))
    return _person_page(user, roles_form=form, status=400)


@bp.route("/people/<int:user_id>/quizzes/<int:quiz_id>/allow-attempt", methods=["POST"])
def person_allow_attempt(user_id, quiz_id):
    """One more attempt at a quiz or exam for a trainee who has used every one without passing."""
    user = _person_or_404(user_id)
    quiz = db.get_or_404(Quiz, quiz_id)
    form = _attempt_form(quiz)
    if not form.validate_on_submit():
        if all(status.quiz.id != quiz.id for status in used_up(user)):  # the form is no longer on the page
            flash(_("%(name)s can still take this quiz or exam, or has passed it: nothing was changed.",
                    name=user.full_name), "info")
            return redirect(url_for("admin.person", user_id=user.id))
        return _person_page(user, attempt_form=form, status=400)
    try:
        allowed = allow_another_attempt(current_user, user, quiz, form.reason.data)
    except QuizRefused as refusal:
        db.session.rollback()
        flash(refusal.message, "info")
    else:
        flash(_("%(name)s may try %(quiz)s once more (%(num)d attempts in all), and has been told.",
                name=user.full_name, num=allowed, quiz=quiz.display_title), "success")
    return redirect(url_for("admin.person", user_id=user.id))


@bp.route("/people/<int:user_id>/deactivate", methods=["POST"])
def person_deactivate(user_id):
    """Stop someone signing in; their history stays."""
    user = _person_or_404(user_id)
    form = DeactivateForm()
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("admin.person", user_id=user.id))
    if not form.validate_on_submit():
        return _person_page(user, deactivate_form=form, status=400)
    if form.confirmed.data != "yes" and user.active:
        # Works without JavaScript: the first submission says what will happen and asks again.
        form.confirmed.data = "yes"
        waiting = pending_count(user) if user.has_role("supervisor") else 0
        return render_template("admin/deactivate_confirm.html", person=user, form=form, waiting=waiting)
    try:
        deactivate(current_user, user, form.reason.data or "")
    except AccountError as error:
        flash(error.message, "error")
    else:
        flash(_("%(name)s can no longer sign in. Their records are kept.", name=user.full_name), "success")
    return redirect(url_for("admin.person", user_id=user.id))


@bp.route("/people/<int:user_id>/reactivate", methods=["POST"])
def person_reactivate(user_id):
    """Let a deactivated person sign in again."""
    user = _person_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    reactivate(current_user, user)
    flash(_("%(name)s can sign in again.", name=user.full_name), "success")
    return redirect(url_for("admin.person", user_id=user.id))


@bp.route("/people/<int:user_id>/resend-invitation", methods=["POST"])
def person_resend_invitation(user_id):
    """Send a fresh invitation link; the old one stops working."""
    user = _person_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if user.has_accepted_invitation or not user.active:
        flash(_("This person has already set up their account."), "info")
    else:
        link = send_invitation(current_user, user)
        if not current_app.config["MAIL_SERVER"]:
            return _invitation_link_page(user, link)
        flash(_("A new confirmation link is on its way to %(email)s.", email=user.email) if user.registration_unconfirmed
              else _("A new invitation is on its way to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.person", user_id=user.id))


def _invitation_link_page(user, link):
    """With no mail server nothing reaches the person: show the one-time link to pass on.

    It is shown once, on this response; only its hash is stored, so it cannot be shown again
    (a new one can be made from the person's page).
    """
    response = current_app.make_response(render_template("admin/invitation_link.html", person=user, link=link))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/people/<int:user_id>/assignments", methods=["POST"])
def person_assign(user_id):
    """Assign a supervisor to a trainee for a period."""
    user = _person_or_404(user_id)
    form = AssignSupervisorForm()
    form.supervisor_id.choices = _supervisor_choices(user)
    if form.validate_on_submit():
        supervisor = db.session.get(User, form.supervisor_id.data)
        try:
            if supervisor is None:
                raise AccountError(_("Choose a supervisor."), "supervisor_id")
            assign_supervisor(current_user, user, supervisor, form.starts_on.data, form.ends_on.data)
        except AccountError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("%(supervisor)s now supervises %(trainee)s.", supervisor=supervisor.full_name, trainee=user.full_name),
                  "success")
            return redirect(url_for("admin.person", user_id=user.id))
    return _person_page(user, assign_form=form, status=400)


@bp.route("/assignments/<int:assignment_id>/end", methods=["POST"])
def assignment_end(assignment_id):
    """Set the last day of a supervisor assignment."""
    assignment = db.get_or_404(SupervisorAssignment, assignment_id)
    form = EndAssignmentForm()
    if form.validate_on_submit():
        try:
            if form.confirmed.data != "yes":
                # Works without JavaScript: the first submission says what will happen and asks again.
                ending = ending_of(assignment, form.ends_on.data)
                form.confirmed.data = "yes"
                return render_template("admin/end_assignment_confirm.html", assignment=assignment, form=form,
                                       ending=ending, today=date.today())
            moved = end_assignment(current_user, assignment, form.ends_on.data)
        except AccountError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(_("Assignment end date saved."), "success")
            if moved:
                now = current_supervisor(assignment.trainee)
                flash(ngettext("%(num)d entry waiting for approval now goes to %(who)s.",
                               "%(num)d entries waiting for approval now go to %(who)s.", moved,
                               who=now.full_name if now else _("the administrators")), "info")
    else:
        flash(_("Enter a valid end date."), "error")
    return redirect(url_for("admin.person", user_id=assignment.trainee_id))


@bp.route("/courses")
def courses():
    """Courses loaded from the content folder, with their modules and credited hours."""
    return render_template("admin/courses.html", courses=active_courses(), form=ConfirmForm())


@bp.route("/courses/sync", methods=["POST"])
def courses_sync():
    """Reload every course from the content folder."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        report = sync_courses(current_app.config["COURSES_DIR"], actor=current_user)
    except ContentErrors as errors:
        db.session.rollback()
        return render_template("admin/courses.html", courses=active_courses(), form=ConfirmForm(),
                               errors=errors.errors), 422
    flash(_("Courses reloaded: %(summary)s.", summary=report.summary()), "success")
    return redirect(url_for("admin.courses"))


@bp.route("/audit")
def audit_log():
    """The audit log, filtered by action, person and dates."""
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = choices([("", _("All actions"))] + sorted(ACTIONS.items(), key=lambda item: str(item[1])))
    page = request.args.get("page", 1, type=int)
    if form.validate():
        query = audit_query(form.action.data or "", form.person.data or "",
                            form.date_from.data, form.date_to.data)
    else:
        query = audit_query()
    pagination = log_page(query, page_number(page))
    return render_template("admin/audit.html", form=form, pagination=pagination, roles=ROLES,
                           named=named_in(pagination.items))


# --- Programme overview ------------------------------------------------------------------------

def _programme_filters():
    from training.credentials.overview import STAGES

    stage = request.args.get("stage", "")
    return {"credential": request.args.get("credential", "")[:100],
            "stage": stage if stage in STAGES else "",
            "q": request.args.get("q", "")[:120],
            "risk": "at_risk" if request.args.get("risk") == "at_risk" else ""}


def _programme(filters):
    """The standings query for the filters, a query of the trainees selected who are at risk, and their number."""
    from training.credentials.overview import standings_query, trainee_ids
    from training.supervision.assessments import at_risk

    count, risky = at_risk(trainee_ids(filters["credential"], filters["stage"], filters["q"]))
    query = standings_query(filters["credential"], filters["stage"], filters["q"],
                            user_ids=risky if filters["risk"] else None)
    return query, risky, count


def _standings(rows):
    """``standings`` of these rows, each with its trainee's burnout level."""
    from training.credentials.overview import standings
    from training.supervision.assessments import levels_of

    return standings(rows, levels_of({user.id for _enrolment, user, _credential, _stage in rows}))


@bp.route("/programme")
def programme():
    """Every trainee's stage toward each credential, with the burnout at-risk count; filterable."""
    from training.credentials.models import Credential, by_local_title
    from training.credentials.overview import STAGES, counts_with_risk, stage_counts, standings_query

    filters = _programme_filters()
    if filters["stage"] or filters["risk"]:
        query, at_risk, at_risk_count = _programme(filters)
        counts = stage_counts(filters["credential"], filters["q"], at_risk if filters["risk"] else None)
    else:  # as the list opens: its stage counts and at-risk count read the same enrolments, together
        counts, at_risk_count = counts_with_risk(filters["credential"], filters["q"])
        query = standings_query(filters["credential"], "", filters["q"])
    per_page = current_app.config["PEOPLE_PER_PAGE"]
    # The list is the stage counts' rows, of one stage when a stage is chosen: no count of its own.
    total = counts[filters["stage"]] if filters["stage"] else sum(counts.values())
    pages = page_count(total, per_page)
    # A page past the end (the list shrank, or the number was typed) shows the last one.
    page = min(page_number(request.args.get("page", 1, type=int)), pages)
    rows = _standings(db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all())
    credentials = by_local_title(db.session.scalars(select(Credential).where(Credential.active)))
    args = {key: value for key, value in filters.items() if value}
    return render_template("admin/programme.html", rows=rows, total=total, page=page, pages=pages,
                           counts=counts, credentials=credentials, stages=STAGES,
                           at_risk_count=at_risk_count,
                           filters=filters, args=args)


@bp.route("/programme.csv")
def programme_csv():
    """The programme overview, with the same filters, as CSV."""
    from training.supervision.risk import LEVEL_LABELS

    query, _at_risk, _count = _programme(_programme_filters())
    rows = [[_("Name"), _("E-mail"), _("Credential"), _("Stage"), _("Requirements met"), _("Requirements"),
             _("Next step"), _("Enrolled on"), _("Burnout signal")]]
    for row in _standings(db.session.execute(query).all()):
        # The next step and the burnout signal as the page words them.
        step = row.enrolment.next_step if row.stage in ("starting", "in_progress") else \
            _("Issue the certificate") if row.stage == "eligible" else \
            _("Renew or reinstate the certificate") if row.stage == "lapsed" else ""
        rows.append([row.user.full_name, row.user.email, row.credential.local_title, str(row.stage_label),
                     row.enrolment.items_met, row.enrolment.items_total, step, row.enrolment.started_on.isoformat(),
                     _("None") if row.risk == "ok" else str(LEVEL_LABELS[row.risk])])
    # With a byte-order mark, as the other exports: a spreadsheet then reads accented names right.
    return Response(csv_text(rows, bom=True), mimetype="text/csv",
                    headers={"Content-Disposition": content_disposition(_("programme-overview.csv"))})


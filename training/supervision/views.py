import secrets
from datetime import date

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from training.auth.access import roles_required
from training.auth.models import User
from training.credentials.evaluation import evaluate
from training.credentials.services import (
    categories_for,
    credentials_among,
    domains_for,
    hour_attribute_choices,
    hour_attribute_hints,
)
from training.extensions import db
from training.forms import ConfirmForm, choices, show_error, show_problem
from training.http import content_disposition, page_count, page_number, paginate
from training.i18n import language_name, user_locale
from training.quizzes.progress import learning_of
from training.supervision import bp
from training.supervision.assessments import most_at_risk
from training.supervision.charts import cumulative_chart, progress_chart, weekly_chart
from training.supervision.explain import course_steps, training_by_domain, training_sources
from training.supervision.exports import find_scope, hours_csv, report_scopes, verification_report_pdf
from training.supervision.forms import (
    COMMENT_HINT,
    REVIEW_CHOICES,
    CheckInForm,
    CorrectionForm,
    EntryForm,
    HourFilterForm,
    ReportForm,
    ReviewForm,
    SessionForm,
    SharingForm,
)
from training.supervision.models import KINDS, HourEntry
from training.supervision.risk import assess, own_flags
from training.supervision.services import (
    AlreadySent,
    Decision,
    EntryError,
    EntryInput,
    HourFilter,
    ReviewError,
    can_review,
    caseload,
    correct_entry,
    cumulative_progress,
    current_supervisor,
    edit_entry,
    filtered_entries,
    hour_totals,
    log_entry,
    log_session,
    pending_by_trainee,
    pending_count,
    pending_for,
    review_each,
    same_certificate_elsewhere,
    session_problems,
    supervisee_ids,
    supervisees_of,
    weekly_minutes,
    withdraw_entry,
)
from training.supervision.wellbeing import (
    QUESTIONS,
    AlreadyCheckedIn,
    history,
    record_checkin,
    set_sharing,
    today_checkin,
)
from training.templating import format_date, format_hours, in_language, local_domain_text


def _domain_choices(domains):
    """``(domain, name)`` pairs after an empty first choice: the domain is always chosen, never the
    first of the list by default."""
    return choices([("", _("Choose a domain")), *domains])


def _credential_domains(user):
    """The domains of ``user``'s credentials, named in the reader's language (stored as written)."""
    return _domain_choices((d, local_domain_text(d)[0]) for d in domains_for(user))


def _chosen_kind(entry=None):
    """The kind of hours the form is for: from the kind switched to, the form sent, the address, the
    entry, or work."""
    if request.method == "POST":
        sent = (request.form.get("show_kind"), request.form.get("kind"))
    else:
        sent = (request.args.get("kind"),)
    kind = next((value for value in sent if value in KINDS), None)
    if kind is not None:
        return kind
    return entry.kind if entry is not None else "service"


def _entry_form(entry=None):
    """The hour form for one kind of hours, with the domains, attributes and categories of the
    trainee's credentials. Only the fields of that kind are shown, so the page works the same
    with or without JavaScript: each kind is a button that sends the form as typed so far
    (``show_kind``), which comes back as the form of that kind, kept and saved nowhere."""
    kind = _chosen_kind(entry)
    form = EntryForm(obj=entry if request.method == "GET" else None)
    # A kind that is none of ours is a switch all the same: the form stays as it was, unsaved.
    form.switching = request.method == "POST" and "show_kind" in request.form
    if request.method == "GET":
        form.kind.data = kind
    # A kind sent that is none of ours stays in the form, so validation refuses it with its message.
    form.domain.choices = _credential_domains(current_user)
    form.attributes.choices = choices(hour_attribute_choices(current_user, kind))
    # Each attribute's help in the reader's language, marked as English where the file gives none.
    form.attribute_hints = {key: in_language(*hint) for key, hint in hour_attribute_hints(current_user, kind).items()}
    form.category.choices = choices([("", _("None")), *categories_for(current_user).items()])
    form.shown_kind, form.shown = kind, KIND_FIELDS[kind]
    if entry is not None and request.method == "GET":
        form.attributes.data = [key for key in entry.attribute_keys if key in dict(form.attributes.choices)]
        form.hours.data = entry.minutes / 60
    return form


def _own_entry_or_404(entry_id):
    entry = db.session.get(HourEntry, entry_id)
    if entry is None or entry.trainee_id != current_user.id:
        abort(404)
    return entry


KIND_HINTS = {
    "service": _l("Peer support work you did, for your supervisor to approve."),
    "training": _l("Training taken outside this platform, with its certificate."),
    "supervision": _l("Supervision you received, individual or in a group."),
}


def _entry_page(form, entry):
    return render_template("supervision/entry_form.html", form=form, entry=entry, kinds=KINDS,
                           kind_hints=KIND_HINTS), 400 if form.errors else 200


# The fields each kind of hours asks for, besides the date, hours, domain and note.
KIND_FIELDS = {
    "service": ("organisation", "attributes"),
    "training": ("provider", "certificate", "category", "attributes"),
    "supervision": ("organisation", "supervision_format", "attributes"),
}


def _entry_input(form):
    """The entry as sent, with only the fields its kind asks for: another kind's, kept while the
    trainee switched between kinds, are left out."""
    shown = KIND_FIELDS.get(form.kind.data, ())

    def asked(name, empty=""):
        return getattr(form, name).data or empty if name in shown else empty

    return EntryInput(kind=form.kind.data, occurred_on=form.occurred_on.data, minutes=form.minutes,
                      domain=form.domain.data, organisation=asked("organisation"), note=form.note.data or "",
                      provider=asked("provider"), supervision_format=asked("supervision_format", None),
                      attributes=tuple(form.attributes.data or ()), category=asked("category"))


# --- Trainees ------------------------------------------------------------------------------------

@bp.route("/hours")
@roles_required("trainee")
def hours():
    """The trainee's hour entries with their approval state."""
    filters = HourFilterForm(request.args)
    valid = filters.validate()
    for name in filters.errors:      # a date nobody could mean is left out, with its message shown
        getattr(filters, name).data = None
    hour_filter = HourFilter(status=filters.status.data or None, kind=filters.kind.data or None,
                             date_from=filters.date_from.data, date_to=filters.date_to.data)
    pagination = paginate(filtered_entries(current_user, hour_filter), request.args.get("page", 1, type=int),
                          per_page=current_app.config["HOURS_PER_PAGE"])
    args = {k: v for k, v in request.args.items() if k != "page" and v and (valid or k not in filters.errors)}
    return render_template("supervision/hours.html", pagination=pagination, entries=pagination.items,
                           filters=filters, args=args, status=filters.status.data or "",
                           totals=hour_totals(current_user, hour_filter), supervisor=current_supervisor(current_user),
                           form=ConfirmForm()), 200 if valid else 400


@bp.route("/hours/new", methods=["GET", "POST"])
@roles_required("trainee")
def new_entry():
    """Log peer support work, external training or supervision received."""
    form = _entry_form()
    if request.method == "GET":
        form.occurred_on.data = date.today()
        form.submission_key.data = secrets.token_hex(16)
    if not form.switching and form.validate_on_submit():
        try:
            entry = log_entry(current_user, _entry_input(form), form.certificate.data, form.submission_key.data)
        except AlreadySent:
            flash(_("These hours were already sent for approval; they are listed once."), "info")
            return redirect(url_for("supervision.hours"))
        except EntryError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("Hours sent to your supervisor for approval."), "success")
            _say_if_certificate_is_on_another_entry(entry)
            return redirect(url_for("supervision.hours"))
    return _entry_page(form, None)


def _say_if_certificate_is_on_another_entry(entry):
    """Tell the trainee when the certificate just sent is also on another of their entries: it may
    cover both days, and their supervisor sees that it is the same file."""
    twins = same_certificate_elsewhere([entry]).get(entry.id)
    if twins:
        flash(ngettext(
            "This certificate is the same file as on your entry of %(days)s. If it covers both, nothing more is "
            "needed: your supervisor sees that it is the same file.",
            "This certificate is the same file as on your entries of %(days)s. If it covers all of them, nothing "
            "more is needed: your supervisor sees that it is the same file.", len(twins),
            days=", ".join(format_date(t.occurred_on) for t in twins)), "info")


@bp.route("/hours/<int:entry_id>/edit", methods=["GET", "POST"])
@roles_required("trainee")
def edit(entry_id):
    """Change an entry that is waiting for approval or was returned."""
    entry = _own_entry_or_404(entry_id)
    if not entry.editable:
        flash(_("Approved and withdrawn entries cannot be changed. Ask an administrator to correct an approved "
                "entry."), "info")
        return redirect(url_for("supervision.hours"))
    form = _entry_form(entry)
    if not form.switching and form.validate_on_submit():
        try:
            edit_entry(current_user, entry, _entry_input(form), form.certificate.data)
        except EntryError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("Entry updated and sent for approval again."), "success")
            _say_if_certificate_is_on_another_entry(entry)
            return redirect(url_for("supervision.hours"))
    return _entry_page(form, entry)


@bp.route("/hours/<int:entry_id>/withdraw", methods=["GET"])
@roles_required("trainee")
def withdraw_confirm(entry_id):
    """Which hours are about to be withdrawn, before they are: withdrawing cannot be undone."""
    entry = _own_entry_or_404(entry_id)
    if not entry.editable:  # a link from before the entry was decided: say why nothing can be done
        flash(_("These hours were already withdrawn.") if entry.status == "withdrawn" else
              _("Approved hours cannot be withdrawn. Ask an administrator to correct an approved entry."), "info")
        return redirect(url_for("supervision.hours"))
    return render_template("supervision/withdraw_confirm.html", e=entry, form=ConfirmForm())


@bp.route("/hours/<int:entry_id>/withdraw", methods=["POST"])
@roles_required("trainee")
def withdraw(entry_id):
    """Withdraw a pending or returned entry."""
    entry = _own_entry_or_404(entry_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        withdraw_entry(current_user, entry)
    except EntryError as error:
        flash(error.message, "error")
    else:
        flash(_("Withdrawn: %(hours)s of %(kind)s on %(day)s.", hours=format_hours(entry.minutes),
                kind=entry.kind_label.lower(), day=format_date(entry.occurred_on)), "success")
    return redirect(url_for("supervision.hours"))


@bp.route("/hours/<int:entry_id>/certificate")
@roles_required("trainee", "supervisor", "admin")
def certificate(entry_id):
    """The uploaded training certificate, for its owner, their supervisor and administrators."""
    entry = db.session.get(HourEntry, entry_id)
    if entry is None or entry.attachment is None:
        abort(404)
    allowed = entry.trainee_id == current_user.id or current_user.is_admin or (
        current_user.has_role("supervisor") and can_review(current_user, entry))
    if not allowed:
        abort(404)
    file = entry.attachment
    return Response(file.data, mimetype=file.content_type, headers={
        "Content-Disposition": content_disposition(file.filename), "X-Content-Type-Options": "nosniff"})


def _progress_context(trainee):
    evaluations = evaluate([trainee]).get(trainee.id, [])
    weeks = weekly_minutes(trainee)
    cumulative = cumulative_progress(trainee, evaluations[0].hour_items, weeks) if evaluations else []
    sources = training_sources(trainee)[0] if evaluations else {}
    return {"evaluations": evaluations, "weeks": weeks, "cumulative": cumulative,
            "training_domains": [training_by_domain(trainee, e, sources) for e in evaluations],
            "course_steps": course_steps(trainee, evaluations),
            "weekly_svg": weekly_chart(weeks),
            "progress_svgs": [progress_chart(e.hour_items, key=f"progress-{index}") for index, e in enumerate(evaluations)],
            "cumulative_svg": cumulative_chart(cumulative)}


@bp.route("/progress")
@roles_required("trainee")
def progress():
    """Approved hours against the credential's requirements, with charts."""
    context = _progress_context(current_user)
    return render_template("supervision/progress.html", trainee=current_user,
                           risk=own_flags(current_user, evaluations=context["evaluations"]), own=True, **context)


@bp.route("/hours/export.csv")
@roles_required("trainee")
def export_own():
    """The trainee's approved hours as CSV."""
    return _csv_response(current_user)


def _csv_response(trainee):
    filename = f"approved-hours-{trainee.full_name.lower().replace(' ', '-')}.csv"
    return Response(hours_csv(trainee), mimetype="text/csv",
                    headers={"Content-Disposition": content_disposition(filename)})


@bp.route("/wellbeing", methods=["GET", "POST"])
@roles_required("trainee")
def wellbeing():
    """The private daily check-in and its trend."""
    form = CheckInForm()
    done_today = today_checkin(current_user)
    if form.validate_on_submit():
        try:
            record_checkin(current_user, {name: getattr(form, name).data for name, *_ in QUESTIONS})
        except AlreadyCheckedIn:
            flash(_("You have already checked in today. Come back tomorrow."), "info")
        else:
            flash(_("Thank you. Your check-in is saved, and only you can see it."), "success")
        return redirect(url_for("supervision.wellbeing"))
    from training.supervision.charts import wellbeing_chart

    checkins = history(current_user)
    return render_template("supervision/wellbeing.html", form=form, done_today=done_today, checkins=checkins,
                           chart=wellbeing_chart(checkins), questions=QUESTIONS,
                           wellbeing_drop=current_app.config["BURNOUT_WELLBEING_DROP"],
                           sharing=SharingForm(shared=current_user.wellbeing_shared)), 400 if form.errors else 200


@bp.route("/wellbeing/sharing", methods=["POST"])
@roles_required("trainee")
def wellbeing_sharing():
    """Choose whether the supervisor sees the derived wellbeing flag."""
    form = SharingForm()
    if not form.validate_on_submit():
        abort(400)
    set_sharing(current_user, bool(form.shared.data))
    if form.shared.data:
        flash(_("Saved. Your supervisor now sees whether your check-ins are falling, never your answers."), "success")
    else:
        flash(_("Saved. Your supervisor no longer sees whether your check-ins are falling, never your answers."),
              "success")
    return redirect(url_for("supervision.wellbeing"))


# --- Supervisors ---------------------------------------------------------------------------------

def _supervisees():
    return supervisees_of(current_user)


@bp.route("/supervision")
@roles_required("supervisor")
def supervisees():
    """Supervisees sorted by burnout risk, each flag with its reason, a page at a time."""
    per_page = current_app.config["SUPERVISEES_PER_PAGE"]
    total, page, shown = most_at_risk(caseload(current_user), per_page,
                                      page_number(request.args.get("page", 1, type=int)))
    pages = page_count(total, per_page)
    return render_template("supervision/supervisees.html", risks=shown, total=total, page=page, pages=pages,
                           pending=pending_count(current_user), learning=learning_of(r.trainee.id for r in shown),
                           reports_form=ConfirmForm())


@bp.route("/supervision/reports", methods=["POST"])
@roles_required("supervisor")
def reports():
    """Every supervisee's verification report, as a zip file made in the background."""
    from training.supervision.jobs import start_reports

    if not ConfirmForm().validate_on_submit():
        abort(400)
    people = _supervisees()
    if not people:
        flash(_("You have no supervisees to report on."), "error")
        return redirect(url_for("supervision.supervisees"))
    job = start_reports(current_user, people)
    flash(_("The reports are being made. This page shows the progress and then the download."), "success")
    return redirect(url_for("jobs.show", job_id=job.id))


def _supervisee_or_404(user_id):
    if user_id not in supervisee_ids(current_user) and not current_user.is_admin:
        abort(404)
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _posted_decisions(entries):
    """Each row's decision and comment as posted; rows left for later are not decisions.

    The earlier form's shape (entries ticked in ``entry``, one ``decision`` and ``comment`` for
    all of them) is still understood, as the same decision made for each ticked row.
    """
    ticked = {value for value in request.form.getlist("entry")}
    shared_decision, shared_comment = request.form.get("decision", ""), request.form.get("comment", "")
    decisions, choices_made = [], {}
    for entry in entries:
        choice = request.form.get(f"decision-{entry.id}", "")
        comment = request.form.get(f"comment-{entry.id}", "")
        if not choice and str(entry.id) in ticked:
            choice, comment = shared_decision, comment or shared_comment
        choices_made[entry.id] = (choice, comment)
        if choice:
            decisions.append(Decision(entry, choice, comment[:COMMENT_LIMIT]))
    return decisions, choices_made


COMMENT_LIMIT = 1000


def _review_filter():
    """The supervisee chosen in ``?trainee=``, or None for everyone."""
    value = request.args.get("trainee", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


@bp.route("/supervision/review", methods=["GET", "POST"])
@roles_required("supervisor", "admin")
def review():
    """Approve or return each pending entry, each with its own comment, in one submission
    (administrators: entries nobody supervises)."""
    form = ReviewForm()
    trainee_id = _review_filter()
    waiting = pending_by_trainee(current_user)
    chosen = next((t for t, _, _ in waiting if t.id == trainee_id), None)
    entries = pending_for(current_user, current_app.config["REVIEW_BATCH"], trainee_id=chosen.id if chosen else None)
    decisions, made = _posted_decisions(entries) if request.method == "POST" else ([], {})
    problems = []
    if request.method == "POST" and form.validate_on_submit():
        try:
            changed = review_each(current_user, decisions, form.signed_name.data)
        except ReviewError as error:
            db.session.rollback()
            problems = error.problems
        else:
            approved = sum(1 for e in changed if e.status == "approved")
            flash(_("%(approved)s, %(returned)s.",
                    approved=ngettext("%(num)d entry approved and signed", "%(num)d entries approved and signed",
                                      approved),
                    returned=ngettext("%(num)d returned", "%(num)d returned", len(changed) - approved)), "success")
            return redirect(url_for("supervision.review", trainee=chosen.id if chosen else None))
    elif request.method == "POST":
        problems = [(name, " ".join(errors)) for name, errors in form.errors.items() if name != "csrf_token"]
    totals = {"approve": [0, 0], "return": [0, 0]}
    for decision in decisions:
        if decision.decision in totals:
            totals[decision.decision][0] += 1
            totals[decision.decision][1] += decision.entry.minutes
    return render_template("supervision/review.html", form=form, entries=entries, waiting=waiting, chosen=chosen,
                           made=made, problems=problems, problem_fields=dict(problems), totals=totals,
                           same_certificate=_same_certificate_words(entries),
                           choices=REVIEW_CHOICES, comment_hint=COMMENT_HINT, comment_limit=COMMENT_LIMIT,
                           total=sum(count for _, count, _ in waiting) if not chosen else
                           next(count for t, count, _ in waiting if t.id == chosen.id)), \
        400 if request.method == "POST" else 200


def _same_certificate_words(entries):
    """For each entry whose certificate file is also on another waiting or approved entry of the
    trainee, what the reviewer reads: the other entries' days, hours and states."""
    words = {}
    for entry_id, twins in same_certificate_elsewhere(entries).items():
        listed = "; ".join(_("%(day)s, %(hours)s, %(status)s", day=format_date(t.occurred_on),
                             hours=format_hours(t.minutes), status=t.status_label.lower()) for t in twins)
        words[entry_id] = ngettext("The same certificate file is on another entry: %(entries)s.",
                                   "The same certificate file is on %(num)d other entries: %(entries)s.",
                                   len(twins), entries=listed)
    return words


def _session_choices(form, people):
    """The session form's domains and statements: every one the supervisees' credentials list, each
    named as the first credential listing it translates it."""
    domains, statements, hints = {}, {}, {}
    for credential in credentials_among(people):
        for domain in credential.domains:
            domains.setdefault(domain, local_domain_text(domain, credential)[0])
        for attribute in credential.spec.hour_attributes:
            if "supervision" in attribute.kinds and attribute.key not in statements:
                statements[attribute.key] = credential.local_label(attribute.label)
                if attribute.help:
                    hints[attribute.key] = in_language(*credential.local_text(attribute.key, attribute.help))
    form.domain.choices = _domain_choices(domains.items())
    form.attributes.choices = choices(statements.items())
    form.attribute_hints = hints


def _session_refused(form):
    """Check the session form and, in the same round, what only the service can check (a signature,
    topics that identify someone, a domain some supervisee's credential lacks), so that every
    problem is shown at once. True when there is any."""
    if form.validate():
        problems = session_problems(current_user, form.format.data, form.occurred_on.data, form.minutes,
                                    form.domain.data, form.topics.data or "", form.trainees.data,
                                    form.signed_name.data, form.organisation.data or "", form.attributes.data or ())
    else:
        def given(name, empty=None):
            field = getattr(form, name)
            return empty if field.errors else (field.data if field.data is not None else empty)

        problems = session_problems(
            current_user, given("format"), given("occurred_on"), None if form.hours.errors else form.minutes,
            given("domain") or None, given("topics", ""), given("trainees"), given("signed_name") or None,
            given("organisation", ""), given("attributes", ()))
    for name, message in problems:
        if not getattr(form, name).errors:
            show_problem(form, name, message)
    return bool(form.errors)


@bp.route("/supervision/sessions/new", methods=["GET", "POST"])
@roles_required("supervisor")
def new_session():
    """Log an individual or group supervision session and sign it."""
    form = SessionForm()
    people = _supervisees()
    form.trainees.choices = choices((p.id, p.full_name) for p in people)
    _session_choices(form, people)
    if request.method == "GET":
        form.occurred_on.data = date.today()
        form.submission_key.data = secrets.token_hex(16)
        if request.args.get("trainee", "").isdigit():
            form.trainees.data = [int(request.args["trainee"])]
    if form.is_submitted() and not _session_refused(form):
        try:
            log_session(current_user, form.format.data, form.occurred_on.data, form.minutes, form.domain.data,
                        form.topics.data or "", form.trainees.data, form.signed_name.data,
                        organisation=form.organisation.data or "", attributes=form.attributes.data or (),
                        submission_key=form.submission_key.data)
        except AlreadySent:
            flash(_("This session was already logged and signed; it is listed once."), "info")
            return redirect(url_for("supervision.supervisees"))
        except EntryError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("Supervision session logged and signed."), "success")
            return redirect(url_for("supervision.supervisees"))
    return render_template("supervision/session_form.html", form=form, people=people), \
        400 if request.method == "POST" else 200


@bp.route("/supervisees/<int:user_id>")
@roles_required("supervisor", "admin")
def supervisee(user_id):
    """A supervisee's flags, progress and entries."""
    trainee = _supervisee_or_404(user_id)
    # Only the trainee's own supervisor sees the wellbeing signal (assess() also requires consent),
    # and reviews the entries waiting.
    supervised = trainee.id in supervisee_ids(current_user)
    risk = assess([trainee], include_wellbeing=supervised)[0]
    scopes = report_scopes(trainee)
    pagination = paginate(filtered_entries(trainee, HourFilter()), request.args.get("page", 1, type=int),
                          per_page=current_app.config["HOURS_PER_PAGE"])
    return render_template("supervision/progress.html", trainee=trainee, risk=risk, own=False,
                           entries=pagination.items, entries_pagination=pagination, report_form=ReportForm(),
                           scopes=scopes, report_language=language_name(user_locale(trainee)),
                           chosen_scope=find_scope(scopes, None, current_user), to_review=risk.pending if supervised else 0,
                           **_progress_context(trainee))


@bp.route("/supervisees/<int:user_id>/hours.csv")
@roles_required("supervisor", "admin")
def export_supervisee(user_id):
    """A supervisee's approved hours as CSV."""
    return _csv_response(_supervisee_or_404(user_id))


@bp.route("/supervisees/<int:user_id>/report.pdf")
@roles_required("supervisor", "admin")
def report(user_id):
    """The supervision verification report for a period, as PDF."""
    trainee = _supervisee_or_404(user_id)
    form = ReportForm(formdata=request.args)
    if not form.validate() or (form.date_from.data and form.date_to.data and form.date_from.data >
                                                                              form.date_to.data):
        flash(_("Enter a valid period: the start must be on or before the end."), "error")
        return redirect(url_for("supervision.supervisee", user_id=trainee.id))
    scope = find_scope(report_scopes(trainee), form.report.data, current_user)
    if form.report.data and scope is None:
        flash(_("That report has no approved entries any more: choose one from the list."), "error")
        return redirect(url_for("supervision.supervisee", user_id=trainee.id))
    pdf = verification_report_pdf(trainee, scope, form.date_from.data, form.date_to.data)
    parts = [trainee.printed_name, scope.supervisor.full_name if scope else "", scope.organisation if scope else ""]
    filename = "supervision-report-" + "-".join("-".join(p.lower().split()) for p in parts if p) + ".pdf"
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": content_disposition(filename)})


# --- Administrators --------------------------------------------------------------------------------

@bp.route("/admin/hours/<int:entry_id>/correct", methods=["GET", "POST"])
@roles_required("admin")
def correct(entry_id):
    """Correct an approved entry, with a reason kept in the audit log."""
    entry = db.get_or_404(HourEntry, entry_id)
    form = CorrectionForm(obj=entry if request.method == "GET" else None)
    form.domain.choices = _credential_domains(entry.trainee)
    if request.method == "GET":
        form.hours.data = entry.minutes / 60
    if form.validate_on_submit():
        try:
            correct_entry(current_user, entry, EntryInput("service", form.occurred_on.data, form.minutes,
                                                          form.domain.data), form.reason.data)
        except EntryError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("Correction saved and recorded in the audit log."), "success")
            return redirect(url_for("supervision.supervisee", user_id=entry.trainee_id))
    return render_template("supervision/correct.html", form=form, entry=entry), 400 if form.errors else 200

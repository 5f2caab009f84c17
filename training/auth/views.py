from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from training.auth import bp
from training.auth.access import safe_next_url
from training.auth.forms import (
    PROFILE_FIELDS,
    AcceptInvitationForm,
    AccountForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
)
from training.auth.services import (
    AccountError,
    accept_invitation,
    authenticate,
    find_token,
    request_password_reset,
    request_registration,
    reset_password,
    set_password,
)
from training.auth.sessions import sign_in
from training.extensions import db, limiter
from training.forms import show_error
from training.i18n import SESSION_KEY, known


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


# One budget for every route that checks a password or a one-time link, so an attacker
# cannot get ten tries on each of them.
sign_in_limit = limiter.shared_limit(_login_limit, scope="sign-in", methods=["POST"])
# Signing in draws on the same budget only when it fails (a successful sign-in redirects): a
# cohort signing in together in a training room shares one address, and guessing is what the
# budget is for.
failed_sign_in_limit = limiter.shared_limit(_login_limit, scope="sign-in", methods=["POST"],
                                            deduct_when=lambda response: response.status_code != 302)


@bp.route("/login", methods=["GET", "POST"])
@failed_sign_in_limit
def login():
    """Sign in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("That e-mail address and password do not match an active account."))
        else:
            sign_in(user, remember=form.remember.data)
            flash(_("Welcome back, %(name)s.", name=user.full_name), "success")
            return redirect(safe_next_url(request.args.get("next")) or url_for("core.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out, here and on every device: a copied cookie stops working too."""
    if known(current_user.locale):  # the sign-in page that follows stays in the person's language
        session[SESSION_KEY] = current_user.locale
    current_user.rotate_session_token()
    db.session.commit()
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(safe_next_url(request.args.get("next")) or url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"], endpoint="accept_invitation")
@sign_in_limit
def accept_invitation_page(token):
    """Accept an invitation: confirm the name and choose a password."""
    record = find_token(token, "invitation")
    if record is None or not record.user.active:
        return render_template("auth/link_invalid.html", what="invitation"), 404
    if current_user.is_authenticated:
        # Opening a link must never sign anyone out by itself: ask, and sign out only on a POST.
        return render_template("auth/invitation_signed_in.html", user=record.user)
    form = AcceptInvitationForm(full_name=record.user.full_name)
    if form.validate_on_submit():
        try:
            user = accept_invitation(record, form.full_name.data, form.password.data)
        except AccountError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            sign_in(user)
            flash(_("Your account is ready. Welcome!"), "success")
            return redirect(url_for("core.dashboard"))
    return render_template("auth/accept_invitation.html", form=form, user=record.user)


@bp.route("/register", methods=["GET", "POST"], endpoint="register")
@sign_in_limit
def register_page():
    """Ask for a trainee account, where the site allows self-registration; the address confirms it."""
    if not current_app.config["ALLOW_SELF_REGISTRATION"]:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    form = RegistrationForm()
    if form.validate_on_submit():
        # The same answer whether or not the address has an account: the e-mail says which.
        request_registration(form.email.data, form.full_name.data)
        flash(_("Thank you. Check your inbox at %(email)s: our message tells you how to go on. If nothing "
                "arrives within a few minutes, look in your spam folder.", email=form.email.data), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@sign_in_limit
def forgot_password():
    """Ask for a password reset link by e-mail."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        flash(_("If an account uses that address, a reset link is on its way. It works once "
                "and expires soon, so use it today."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"], endpoint="reset_password")
@sign_in_limit
def reset_password_page(token):
    """Choose a new password with a one-time link."""
    record = find_token(token, "password_reset")
    if record is None or not record.user.active:
        return render_template("auth/link_invalid.html", what="password_reset"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password(record, form.password.data)
        except AccountError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            logout_user()
            flash(_("Your password is changed. Please sign in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@sign_in_limit
@login_required
def account():
    """See one's own account, change the password and the professional details."""
    form = AccountForm()
    user = current_user._get_current_object()
    # Supervisors attest hours with these details; administrators may sign reports too.
    attests = user.has_role("supervisor", "admin")
    saving_profile = attests and "save_profile" in request.form
    # Shown filled from the profile unless it is the form being sent.
    profile = (ProfileForm() if saving_profile else ProfileForm(formdata=None, obj=user)) if attests else None
    if saving_profile:
        if profile.validate_on_submit():
            for name in PROFILE_FIELDS:
                setattr(user, name, getattr(profile, name).data or "")
            db.session.commit()
            flash(_("Your details are saved."), "success")
            return redirect(url_for("auth.account"))
        return render_template("auth/account.html", form=AccountForm(formdata=None), profile=profile,
                               delivery_form=_delivery_form()), 400
    if form.validate_on_submit():
        if authenticate(current_user.email, form.current_password.data) is None:
            form.current_password.errors.append(_("That is not your current password."))
        elif form.password.data == form.current_password.data:
            form.password.errors.append(_("Choose a password other than your current one."))
        else:
            user = current_user._get_current_object()
            try:
                set_password(user, form.password.data)
            except AccountError as error:
                db.session.rollback()
                show_error(form, error)
            else:
                db.session.commit()
                login_user(user)  # the session token changed; keep this session, and its sign-in time
                flash(_("Your password is changed. Other devices have been signed out."), "success")
                return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, profile=profile, delivery_form=_delivery_form()), \
        400 if form.errors else 200


def _delivery_form():
    """The notification delivery choice, as saved, for every way the account page is shown."""
    from training.notifications.forms import DeliveryForm
    from training.notifications.services import delivery_of

    return DeliveryForm(formdata=None, delivery=delivery_of(current_user))

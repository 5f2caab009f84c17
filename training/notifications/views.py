from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from training.forms import ConfirmForm
from training.notifications import bp
from training.notifications.forms import DeliveryForm
from training.notifications.services import link_for, mark_read, notifications_of, opened, set_delivery


@bp.app_context_processor
def unread_notifications():
    """The unread count shown in every page's header, read with the person when they were loaded."""
    from training.notifications.services import unread_count

    if not current_user or not current_user.is_authenticated:
        return {}
    counted = getattr(current_user, "unread_notifications", None)
    return {"unread_notifications": unread_count(current_user) if counted is None else counted}


@bp.route("/notifications")
@login_required
def index():
    """The person's notifications, newest first, unread ones marked."""
    return render_template("notifications/index.html", notifications=notifications_of(current_user),
                           link_for=link_for, form=ConfirmForm())


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id):
    """Mark one notification as read."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not mark_read(current_user, notification_id):
        flash(_("That notification was already read."), "info")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/<int:notification_id>/open")
@login_required
def open_one(notification_id):
    """Follow a notification's link, marking it read on the way: opening it is reading it.

    One that is not the person's (or no longer exists) leads to their list of notifications."""
    notification = opened(current_user, notification_id)
    return redirect(link_for(notification) if notification is not None else url_for("notifications.index"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    """Mark every notification as read."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    changed = mark_read(current_user)
    flash(ngettext("%(num)d notification marked as read.", "%(num)d notifications marked as read.", changed),
          "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/delivery", methods=["POST"])
@login_required
def delivery():
    """Choose e-mail at once or a daily digest."""
    form = DeliveryForm()
    if not form.validate_on_submit():
        flash(_("Choose at once or a daily digest."), "error")
        return redirect(url_for("auth.account"))
    set_delivery(current_user, form.delivery.data)
    flash(_("Saved: you will get an e-mail for each notification.") if form.delivery.data == "immediate"
          else _("Saved: you will get one digest a day when there is something new."), "success")
    return redirect(url_for("auth.account"))

"""Sign-in, sign-out, invitations, self-registration, password reset and sessions."""
import re
from datetime import timedelta

import pytest

from training.audit import AuditEvent
from training.auth.models import AccountToken, User, user_by_email
from training.db_types import utcnow
from training.extensions import db

from .conftest import PASSWORD, login, mailed_links


def _actions():
    return [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def test_passwords_are_stored_as_argon2id_hashes(app, make_user):
    user = make_user("hash@example.org")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_sign_in_with_the_right_password_reaches_the_dashboard(client, make_user):
    make_user("ana@example.org", name="Ana Amaro")
    response = client.post("/login", data={"email": "ANA@example.org ", "password": PASSWORD},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Hello, Ana" in response.text, response.text[response.text.find("<main"):]


def test_an_address_is_kept_in_lower_case_and_signs_in_however_it_is_typed(client, make_user):
    make_user(" Casey.Case@Example.ORG ", name="Casey Case")
    assert db.session.scalar(db.select(User.email).where(User.full_name == "Casey Case")) == "casey.case@example.org"
    assert user_by_email("CASEY.case@example.org ").full_name == "Casey Case"
    response = client.post("/login", data={"email": "Casey.CASE@example.org", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")


def test_a_wrong_password_is_refused_with_a_message_next_to_the_field(client, make_user):
    make_user("ana@example.org")
    response = client.post("/login", data={"email": "ana@example.org", "password": "wrong password"})
    assert response.status_code == 200
    assert "do not match an active account" in response.text
    assert client.get("/dashboard").status_code == 302


def test_an_unknown_email_gets_the_same_message_as_a_wrong_password(client):
    response = client.post("/login", data={"email": "nobody@example.org", "password": "whatever1234"})
    assert "do not match an active account" in response.text


def test_empty_sign_in_form_shows_field_messages(client):
    response = client.post("/login", data={})
    assert "Enter your e-mail address." in response.text
    assert "Enter your password." in response.text


def test_a_deactivated_person_cannot_sign_in(client, make_user):
    make_user("gone@example.org", active=False)
    response = client.post("/login", data={"email": "gone@example.org", "password": PASSWORD})
    assert "do not match an active account" in response.text


def test_sign_out_needs_a_post_and_ends_the_session(client, make_user):
    login(client, make_user("ana@example.org"))
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_next_parameter_never_leads_to_another_site(client, make_user):
    make_user("ana@example.org")
    for target in ("https://evil.example", "//evil.example", "/\\evil.example"):
        response = client.post(f"/login?next={target}", data={"email": "ana@example.org", "password": PASSWORD})
        assert response.location == "/dashboard"
        client.post("/logout")
    response = client.post("/login?next=/courses/", data={"email": "ana@example.org", "password": PASSWORD})
    assert response.location == "/courses/"


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    make_user("ana@example.org")
    response = client.post("/login", data={"email": "ana@example.org", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.config(RATELIMIT_ENABLED=True)
def test_login_is_rate_limited(client):
    wrong = {"email": "x@example.org", "password": "wrong-password"}
    statuses = [client.post("/login", data=wrong).status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429
    assert "Too many attempts" in client.post("/login", data=wrong).text


@pytest.mark.config(RATELIMIT_ENABLED=True)
def test_a_room_signing_in_together_from_one_address_is_not_limited(app, client, make_user):
    """A cohort in a training room shares one address: successful sign-ins do not use up the budget
    that failed ones do, and failures from that address are still limited."""
    people = [make_user(f"room{n}@example.org") for n in range(15)]
    for person in people:
        response = client.post("/login", data={"email": person.email, "password": PASSWORD})
        assert response.status_code == 302, person.email
        client.post("/logout")
    wrong = {"email": "room0@example.org", "password": "wrong-password"}
    statuses = [client.post("/login", data=wrong).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[-1] == 429
    right = client.post("/login", data={"email": "room1@example.org", "password": PASSWORD})
    assert right.status_code == 429  # once the budget is spent, until it refills


# --- Invitations ---------------------------------------------------------------------

def _invite(client, caplog, email="new@example.org", roles=("trainee",)):
    caplog.set_level("INFO", logger="training.mail")
    response = client.post("/admin/people/invite", data={
        "full_name": "New Person", "email": email, "roles": list(roles)})
    # The test site has no mail server: the page shows the link to pass on, the same as in the log.
    assert response.status_code == 200 and "No mail server is set up" in response.text, response.text
    assert f'value="{mailed_links(caplog)[-1]}"' in response.text
    return mailed_links(caplog)[-1]


def test_invitation_link_lets_the_person_choose_a_password_once(app, people, login_as, caplog):
    admin = login_as(people["admin"])
    link = _invite(admin, caplog)
    path = link.replace("http://localhost", "")
    visitor = app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200 and "Welcome, New Person" in page.text
    assert "<title>Finish setting up your account" in page.text  # true of an invitation and a registration alike
    response = visitor.post(path, data={"full_name": "Nia Newcomer", "password": "brand new password",
                                        "confirm": "brand new password"})
    assert response.status_code == 302
    assert "Hello, Nia" in visitor.get("/dashboard").text
    user = user_by_email("new@example.org")
    assert user.full_name == "Nia Newcomer" and user.has_role("trainee")
    # The link is single-use.
    again = app.test_client().get(path)
    assert again.status_code == 404 and "no longer works" in again.text
    assert "user.invited" in _actions() and "user.invitation_accepted" in _actions()


def test_an_expired_invitation_is_refused(app, people, login_as, caplog):
    link = _invite(login_as(people["admin"]), caplog)
    for token in db.session.scalars(db.select(AccountToken)):
        token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = app.test_client().get(link.replace("http://localhost", ""))
    assert response.status_code == 404 and "expired" in response.text


def test_resending_an_invitation_retires_the_old_link(app, people, login_as, caplog):
    admin = login_as(people["admin"])
    old = _invite(admin, caplog)
    user = user_by_email("new@example.org")
    admin.post(f"/admin/people/{user.id}/resend-invitation")
    new = mailed_links(caplog)[-1]
    assert new != old
    visitor = app.test_client()
    assert visitor.get(old.replace("http://localhost", "")).status_code == 404
    assert visitor.get(new.replace("http://localhost", "")).status_code == 200


def test_invitation_with_mismatched_or_short_passwords_saves_nothing(app, people, login_as, caplog):
    path = _invite(login_as(people["admin"]), caplog).replace("http://localhost", "")
    visitor = app.test_client()
    response = visitor.post(path, data={"full_name": "N", "password": "brand new password", "confirm": "other"})
    assert "The two passwords do not match." in response.text
    response = visitor.post(path, data={"full_name": "N", "password": "short", "confirm": "short"})
    assert "Use at least 10 characters." in response.text
    assert user_by_email("new@example.org").password_hash is None


def test_the_only_stored_form_of_a_token_is_its_hash(app, people, login_as, caplog):
    link = _invite(login_as(people["admin"]), caplog)
    token = link.rsplit("/", 1)[1]
    stored = [t.token_hash for t in db.session.scalars(db.select(AccountToken))]
    assert token not in stored and len(stored) == 1


# --- Self-registration ----------------------------------------------------------------

def test_self_registration_is_off_by_default(client):
    assert client.get("/register").status_code == 404
    assert client.post("/register", data={"email": "a@example.org"}).status_code == 404
    assert "Create a trainee account" not in client.get("/login").text


REGISTRATION = {"full_name": "Sol Self", "email": "sol@example.org"}


def _mails(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "training.mail"]


def test_self_registration_creates_a_trainee_once_the_address_is_confirmed(app, client, caplog):
    """The account opens only through the link e-mailed to the address: nobody can register someone
    else's address and use it."""
    app.config["ALLOW_SELF_REGISTRATION"] = True
    caplog.set_level("INFO", logger="training.mail")
    assert "Create a trainee account" in client.get("/login").text
    response = client.post("/register", data=REGISTRATION)
    assert response.status_code == 302 and response.location == "/login"
    user = user_by_email("sol@example.org")
    assert user.role_names == {"trainee"} and not user.has_accepted_invitation
    assert client.get("/dashboard").status_code == 302  # not signed in yet
    assert client.post("/login", data={"email": "sol@example.org", "password": ""}).status_code == 200
    [link] = mailed_links(caplog)
    assert link.startswith("http://localhost/invitation/")
    path = link.replace("http://localhost", "")
    assert "Welcome, Sol Self" in client.get(path).text
    response = client.post(path, data={"full_name": "Sol Self", "password": "a good long password",
                                       "confirm": "a good long password"})
    assert response.status_code == 302 and "Hello, Sol" in client.get("/dashboard").text
    assert "user.registered" in _actions() and "user.invitation_accepted" in _actions()


def test_registering_answers_the_same_whether_or_not_the_address_has_an_account(app, make_user, caplog):
    """Being enrolled in a recovery programme is sensitive: registering must not tell who is."""
    app.config["ALLOW_SELF_REGISTRATION"] = True
    caplog.set_level("INFO", logger="training.mail")
    make_user("taken@example.org", name="Tara Taken")

    def answer(email):
        client = app.test_client()
        response = client.post("/register", data={"full_name": "X", "email": email})
        page = client.get(response.location).text.replace(email, "ADDRESS")
        return response.status_code, response.location, re.sub(r'name="csrf_token" value="[^"]+"', "", page)

    taken, free = answer("Taken@example.org"), answer("free@example.org")
    assert taken == free
    assert taken[0] == 302 and "Check your inbox at ADDRESS" in taken[2]
    assert "already has an account" not in taken[2]
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 2  # the taken one, and free@


def test_registering_with_a_taken_address_tells_its_owner_in_their_language(app, client, make_user, caplog):
    """The owner learns that someone tried, with links to sign in and to reset the password, from BASE_URL."""
    app.config["ALLOW_SELF_REGISTRATION"] = True
    caplog.set_level("INFO", logger="training.mail")
    owner = make_user("taken@example.org", name="Tara Taken", locale="es")
    before = owner.password_hash
    client.post("/register", data={"full_name": "Someone Else", "email": "taken@example.org"},
                headers={"Host": "attacker.example"})
    [mail] = _mails(caplog)
    assert "To: taken@example.org" in mail and "Hola, Tara Taken:" in mail
    assert "ya tiene una cuenta" in mail
    assert mailed_links(caplog) == ["http://localhost/login", "http://localhost/password/forgot"]
    owner = db.session.get(User, owner.id)
    assert owner.full_name == "Tara Taken" and owner.password_hash == before
    assert db.session.scalar(db.select(db.func.count()).select_from(AccountToken)) == 0


def test_registering_again_before_confirming_sends_a_new_link(app, client, make_user, caplog):
    """A lost confirmation (or an invitation never accepted) gets a new link; the earlier one stops working;
    a deactivated account gets nothing."""
    app.config["ALLOW_SELF_REGISTRATION"] = True
    caplog.set_level("INFO", logger="training.mail")
    client.post("/register", data=REGISTRATION)
    client.post("/register", data=REGISTRATION, headers={"Accept-Language": "es"})
    first, second = (link.replace("http://localhost", "") for link in mailed_links(caplog))
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1
    make_user("gone@example.org", active=False)
    client.post("/register", data={"full_name": "Gone", "email": "gone@example.org"})
    assert len(mailed_links(caplog)) == 2


def test_a_registration_is_written_in_the_language_it_was_asked_in(app, client, caplog):
    app.config["ALLOW_SELF_REGISTRATION"] = True
    caplog.set_level("INFO", logger="training.mail")
    client.post("/register", data=REGISTRATION, headers={"Accept-Language": "es"})
    [mail] = _mails(caplog)
    assert "Hola, Sol Self:" in mail and user_by_email("sol@example.org").locale == "es"


# --- Password reset --------------------------------------------------------------------

def test_password_reset_by_emailed_one_time_link(app, client, make_user, caplog):
    caplog.set_level("INFO", logger="training.mail")
    make_user("ana@example.org")
    response = client.post("/password/forgot", data={"email": "ana@example.org"}, follow_redirects=True)
    assert "If an account uses that address" in response.text
    path = mailed_links(caplog)[-1].replace("http://localhost", "")
    response = client.post(path, data={"password": "my new password!", "confirm": "my new password!"})
    assert response.status_code == 302
    assert client.post("/login", data={"email": "ana@example.org", "password": PASSWORD}).status_code == 200
    assert client.post("/login", data={"email": "ana@example.org",
                                       "password": "my new password!"}).status_code == 302
    assert client.get(path).status_code == 404  # used once
    assert "user.password_reset" in _actions()


def test_a_reset_link_used_by_two_requests_at_once_changes_the_password_once(app, make_user):
    """Both requests found the link unused; the one that comes second changes nothing."""
    from sqlalchemy import text

    from training.auth.services import AccountError, find_token, issue_token, reset_password

    ana = make_user("ana@example.org")
    token = issue_token(ana, "password_reset", timedelta(minutes=30))
    db.session.commit()
    stale = find_token(token, "password_reset")  # as the second request read it
    with db.engine.begin() as first_request:
        first_request.execute(text("UPDATE account_token SET used_at = CURRENT_TIMESTAMP WHERE id = :id"),
                              {"id": stale.id})
    before = ana.password_hash
    with pytest.raises(AccountError, match="already been used"):
        reset_password(stale, "another new password!")
    db.session.rollback()
    assert db.session.get(User, ana.id).password_hash == before


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, caplog):
    caplog.set_level("INFO", logger="training.mail")
    response = client.post("/password/forgot", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert "If an account uses that address" in response.text
    assert mailed_links(caplog) == []


def test_an_expired_reset_link_is_refused(app, client, make_user, caplog):
    caplog.set_level("INFO", logger="training.mail")
    make_user("ana@example.org")
    client.post("/password/forgot", data={"email": "ana@example.org"})
    for token in db.session.scalars(db.select(AccountToken)):
        token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(mailed_links(caplog)[-1].replace("http://localhost", "")).status_code == 404


def test_a_garbage_token_is_a_friendly_404(client):
    for token in ("x", "a" * 500, "%FF", "..%2F..%2Fetc%2Fpasswd"):
        response = client.get(f"/password/reset/{token}")
        assert response.status_code == 404


# --- Sessions ----------------------------------------------------------------------------

def test_deactivation_ends_open_sessions(app, people, login_as):
    trainee = login_as(people["trainee"])
    assert trainee.get("/dashboard").status_code == 200
    login_as(people["admin"]).post(f"/admin/people/{people['trainee'].id}/deactivate",
                                   data={"reason": "left", "confirmed": "yes"})
    assert trainee.get("/dashboard").status_code == 302


def test_changing_the_password_signs_out_other_devices(app, people, login_as):
    laptop, phone = login_as(people["trainee"]), login_as(people["trainee"])
    response = laptop.post("/account", data={"current_password": PASSWORD, "password": "another long one",
                                             "confirm": "another long one"})
    assert response.status_code == 302
    assert laptop.get("/dashboard").status_code == 200
    assert phone.get("/dashboard").status_code == 302


def test_changing_the_password_needs_the_current_one(people, login_as):
    client = login_as(people["trainee"])
    response = client.post("/account", data={"current_password": "wrong", "password": "another long one",
                                             "confirm": "another long one"})
    assert "That is not your current password." in response.text


def test_a_new_password_must_differ_from_the_current_one(people, login_as):
    client = login_as(people["trainee"])
    response = client.post("/account", data={"current_password": PASSWORD, "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 400 and "Choose a password other than your current one." in response.text
    assert "Your password is changed" not in client.get("/account").text
    assert client.get("/dashboard").status_code == 200  # still signed in: nothing changed

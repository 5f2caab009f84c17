"""What every signed-in page's header shows: the sections a person's roles open, the one they are
in, in their language."""
import re

import pytest

from training.extensions import db

SECTIONS = {
    "trainee": ["Dashboard", "Courses", "Cohorts", "Hours", "Progress", "Wellbeing", "Certificates"],
    "supervisor": ["Dashboard", "Courses", "Supervisees", "Review hours"],
    "trainer": ["Dashboard", "Courses", "Cohorts"],
    "admin": ["Dashboard", "Courses", "Cohorts", "People", "Programme", "Course content", "Questions",
              "Credentials", "Issued certificates", "Audit log"],
    ("trainee", "supervisor"): ["Dashboard", "Courses", "Cohorts", "Hours", "Progress", "Wellbeing",
                                "Certificates", "Supervisees", "Review hours"],
}


def main_nav(page):
    """[(label, is current)] of the header's main navigation."""
    nav = re.search(r'<nav aria-label="[^"]+" id="main-nav">(.*?)</nav>', page, re.S).group(1)
    links = re.findall(r'<a href="[^"]+"( aria-current="page")?>([^<]+)</a>', nav)
    return [(label, bool(current)) for current, label in links]


@pytest.mark.parametrize("roles", list(SECTIONS), ids=lambda roles: "+".join(roles) if isinstance(roles, tuple) else roles)
def test_each_role_sees_its_sections_in_order(roles, make_user, login_as):
    person = make_user("person@example.org", roles=roles if isinstance(roles, tuple) else (roles,))
    nav = main_nav(login_as(person).get("/dashboard").text)
    assert [label for label, _ in nav] == SECTIONS[roles]
    assert [label for label, current in nav if current] == ["Dashboard"]


def test_the_section_marked_is_the_one_the_page_lies_in(people, login_as):
    admin = login_as(people["admin"])
    for path, section in [("/admin/certificates", "Issued certificates"),
                          ("/admin/certificates/eligible", "Issued certificates"),
                          ("/admin/people", "People"), ("/admin/audit", "Audit log"),
                          ("/courses/", "Courses")]:
        nav = main_nav(admin.get(path).text)
        assert [label for label, current in nav if current] == [section], path
    assert not any(current for _, current in main_nav(admin.get("/notifications").text))
    nav = main_nav(login_as(people["trainee"]).get("/hours/new").text)
    assert [label for label, current in nav if current] == ["Hours"]


def test_the_sections_follow_the_readers_language_and_roles(people, login_as):
    trainee = login_as(people["trainee"])
    assert main_nav(trainee.get("/dashboard").text)[0] == ("Dashboard", True)
    people["trainee"].locale = "es"
    db.session.commit()
    spanish = [label for label, _ in main_nav(trainee.get("/dashboard").text)]
    assert spanish[:4] == ["Panel", "Cursos", "Grupos", "Horas"]
    people["trainee"].locale = "en"
    people["trainee"].set_roles(("trainee", "supervisor"))
    db.session.commit()
    assert [label for label, _ in main_nav(trainee.get("/dashboard").text)] == SECTIONS[("trainee", "supervisor")]


def test_every_page_names_an_icon_that_is_served(client):
    page = client.get("/login").text
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)
    with client.get(icon) as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml" and b"<svg" in response.data

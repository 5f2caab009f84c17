"""The progress and wellbeing pages explain their numbers: where training hours come from, what the
course and exam stand at, and how the wellbeing score is made."""
import html
import re
from datetime import date, timedelta

import pytest

from training.auth.models import SupervisorAssignment
from training.extensions import db
from training.supervision.models import HourEntry, WellbeingCheckIn

TODAY = date.today()


@pytest.fixture
def team(app, people, course, credentials):
    db.session.add(SupervisorAssignment(supervisor=people["supervisor"], trainee=people["trainee"],
                                        starts_on=TODAY - timedelta(days=60)))
    db.session.commit()
    return people


def text_of(response):
    assert response.status_code == 200
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def test_progress_says_where_the_training_a_course_does_not_credit_comes_from(team, login_as):
    trainee = team["trainee"]
    db.session.add(HourEntry(trainee_id=trainee.id, supervisor_id=team["supervisor"].id, kind="training",
                             minutes=240, occurred_on=TODAY - timedelta(days=3), domain="Advocacy",
                             provider="Regional Academy", status="approved"))
    db.session.commit()
    page = text_of(login_as(trainee).get("/progress"))
    assert "Where training hours come from" in page
    # The first course credits 2 of Advocacy's 10 hours; the page says where the other 8 come from.
    assert ("Foundations of Peer Recovery Support credits 2 h of the 10 h of Advocacy training; "
            "the other 8 h come from live training sessions or external training.") in page
    # The breakdown by source: Advocacy needs 10 h, 0 from courses, 0 live, 4 external, 4 counted.
    assert "Advocacy 10 h 0 h 0 h 4 h 4 h" in page
    # The supervisor sees the same explanation on the supervisee's page.
    assert "the other 8 h come from live training" in text_of(
        login_as(team["supervisor"]).get(f"/supervisees/{trainee.id}"))


def test_the_course_and_its_exam_appear_on_the_progress_page(team, login_as, course):
    page = text_of(login_as(team["trainee"]).get("/progress"))
    assert "Course and exam" in page
    assert f"0 of {len(course.active_modules)} modules done." in page
    first = course.active_modules[0]
    assert f"Continue: {first.title}" in page
    assert "Final exam: Not taken yet." in page and "Attempts used: 0 of 3." in page
    assert "It opens when every module is done." in page
    assert "Completing it credits training hours: Advocacy 2 h" in page


def test_the_wellbeing_page_explains_its_score_with_the_latest_check_in(team, login_as):
    trainee = team["trainee"]
    db.session.add(WellbeingCheckIn(user_id=trainee.id, day=TODAY, energy=4, stress=2, workload=3, supported=4,
                                    rest=3))
    db.session.commit()
    page = text_of(login_as(trainee).get("/wellbeing"))
    assert "How the score works" in page
    assert "stress and workload a high answer means more pressure, so they count the other way round" in page
    # (4 + (6 - 2) + (6 - 3) + 4 + 3) / 5 = 3.6
    assert "(energy 4 + stress (6 − 2) + workload (6 − 3) + supported 4 + rest 3) ÷ 5 = 3.6" in page
    assert "falls 0.5 points or more below the three before" in page


def test_the_wellbeing_chart_names_a_single_day_of_check_ins_once(app):
    from datetime import date

    from training.supervision.charts import short_day, wellbeing_chart

    class CheckIn:
        def __init__(self, day, score):
            self.day, self.score = day, score

    day = date(2026, 11, 30)
    one = str(wellbeing_chart([CheckIn(day, 4)]))
    assert one.count(f">{short_day(day)}</text>") == 2  # once in each of the chart's two widths
    two = str(wellbeing_chart([CheckIn(day, 4), CheckIn(date(2026, 12, 3), 3)]))
    assert two.count(f">{short_day(day)}</text>") == 2 and two.count(f">{short_day(date(2026, 12, 3))}</text>") == 2


LONG_LABELS = [
    "Training hours in Recovery/Wellness Support, including the ethics workshop series",
    "Horas de formación en Apoyo a la recuperación y el bienestar, con la serie de talleres de ética",
    "Supervision",
]


@pytest.mark.parametrize("label", LONG_LABELS)
def test_the_progress_chart_wraps_a_long_label_instead_of_cutting_it(app, label):
    """Every word of a requirement's name is drawn, on as many lines as it needs, each line short
    enough to end before the bar (wide drawing) or the drawing's edge (narrow one)."""
    from types import SimpleNamespace

    from training.supervision.charts import progress_chart

    items = [SimpleNamespace(label=label, percent=40, met=False), SimpleNamespace(label="Work", percent=10, met=False)]
    with app.test_request_context():
        svg = str(progress_chart(items))
    wide, narrow = svg.split("</svg>")[:2]
    for drawing, limit in ((wide, 42), (narrow, 52)):
        first = re.search(r'<text x="0"[^>]*>(.*?)</text>', drawing).group(1)
        lines = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", first)
        assert " ".join(lines) == label
        assert all(len(line) <= limit for line in lines), lines
        # The next requirement starts below the last line of this one.
        ys = [float(y) for y in re.findall(r'<text x="0" y="([\d.]+)"', drawing)]
        assert ys[1] - ys[0] >= 15 * len(lines)

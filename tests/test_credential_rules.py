"""Credential rules, evaluated on plain facts: each kind met exactly, and missed by the smallest unit.

These tests build a credential from YAML and a trainee's facts in memory, so they check the
rules themselves; tests/test_credentials.py checks the same rules through the database and pages.
"""
import hashlib
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from training import create_app
from training.credentials.evaluation import compile_definition, evaluate_facts
from training.credentials.facts import CourseCredit, ExamAttempt, Facts, HeldCertificate, Hours
from training.credentials.models import Credential
from training.credentials.schema import parse

TODAY = date(2026, 11, 29)
STARTED = date(2026, 1, 5)
DOMAINS = ["Advocacy", "Mentoring/Education", "Recovery/Wellness Support", "Ethical Responsibility"]
COURSE = "foundations-of-peer-recovery-support"


@pytest.fixture(scope="module", autouse=True)
def app_context():
    """Messages are translated, so rules run inside an app; no database is touched."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        yield


def credential(requirements, extra=""):
    text = ("slug: example\ntitle: Example\ncertificate_prefix: EX\n"
            f"domains: [{', '.join(DOMAINS)}]\nvalidity_months: 24\n{extra}requirements:\n{requirements}")
    definition = parse(text)
    model = Credential(id=1, slug="example", title="Example", certificate_prefix="EX", domains=DOMAINS,
                       definition=definition.model_dump(mode="json"), validity_months=24)
    return compile_definition(model, {COURSE: "Foundations"}, {COURSE: 80}, {"initial": "Initial stage"})


def facts(**parts):
    user = SimpleNamespace(id=1, programme_started_on=STARTED, created_at=datetime(2026, 1, 5))
    return Facts(user, **parts)


def hours(kind, minutes, day=date(2026, 6, 1), domain="Advocacy", fmt=None, attributes=(), category=""):
    return Hours(kind, domain, fmt, frozenset(attributes), category, day, minutes)


def items(compiled, f, started=STARTED, today=TODAY):
    enrolment = SimpleNamespace(started_on=started)
    result = evaluate_facts(f, compiled, enrolment, today)
    return {item.key: item for item in result.items}, result


# --- Training hours ------------------------------------------------------------------------------

TRAINING = """  - kind: training_hours
    total: 46
    domains:
      Advocacy: 10
      Ethical Responsibility: 16
    course_domains:
      Ethics: Ethical Responsibility
    within_years: 5
"""


def test_training_per_domain_met_exactly_and_missed_by_a_quarter_hour():
    rules = credential(TRAINING)
    found, _ = items(rules, facts(hours=[hours("training", 600), hours("training", 960, domain="Ethical Responsibility"),
                                         hours("training", 20 * 60, domain="Mentoring/Education")]))
    assert found["training:Advocacy"].met and found["training:Ethical Responsibility"].met and found["training"].met
    found, _ = items(rules, facts(hours=[hours("training", 585), hours("training", 960, domain="Ethical Responsibility"),
                                         hours("training", 20 * 60, domain="Mentoring/Education")]))
    assert not found["training:Advocacy"].met
    assert found["training:Advocacy"].next_step == ("Log 0.25 more hours of external training in Advocacy, "
                                                    "or complete a course or attend live training that credits it.")


def test_training_total_counts_every_domain_and_misses_by_a_quarter_hour():
    rules = credential(TRAINING)
    base = [hours("training", 600), hours("training", 960, domain="Ethical Responsibility")]
    found, _ = items(rules, facts(hours=[*base, hours("training", 20 * 60, domain="Recovery/Wellness Support")]))
    assert found["training"].met and found["training"].minutes_done == 46 * 60
    found, _ = items(rules, facts(hours=[*base, hours("training", 20 * 60 - 15, domain="Recovery/Wellness Support")]))
    assert not found["training"].met
    assert found["training"].next_step == ("Log 0.25 more hours of training in any of this credential's domains, "
                                           "or complete a course or attend live training that credits them.")


def test_course_credit_in_a_differently_named_domain_counts_where_it_is_mapped():
    rules = credential(TRAINING)
    found, _ = items(rules, facts(credits=[CourseCredit(COURSE, "Ethics", 960, date(2026, 3, 1))]))
    assert found["training:Ethical Responsibility"].met
    found, _ = items(rules, facts(credits=[CourseCredit(COURSE, "Boundaries", 960, date(2026, 3, 1))]))
    assert found["training:Ethical Responsibility"].minutes_done == 0


def test_training_counts_only_within_its_recency_window():
    rules = credential(TRAINING)
    edge = TODAY - relativedelta(years=5)
    found, _ = items(rules, facts(hours=[hours("training", 600, day=edge)]))
    assert found["training:Advocacy"].met
    found, _ = items(rules, facts(hours=[hours("training", 600, day=edge - timedelta(days=1))]))
    assert not found["training:Advocacy"].met and "in the last 5 years" in found["training:Advocacy"].done


# --- Supervised work -------------------------------------------------------------------------------

WORK = """  - kind: work_hours
    total: 500
    domains:
      Advocacy: 25
    window:
      months: 6
      start: enrolment
    at_least:
      similar: 250
    at_most:
      observation: 40
"""
ATTRIBUTES = """hour_attributes:
  - key: similar
    label: With people who share a similar lived experience
  - key: observation
    label: Observing an experienced peer specialist
"""


def work_facts(total=500 * 60, similar=250 * 60, advocacy=25 * 60, day=date(2026, 3, 1), extra=()):
    rows = [hours("service", similar, day=day, attributes=("similar",)),
            hours("service", advocacy, day=day, domain="Advocacy"),
            hours("service", total - similar - advocacy, day=day, domain="Mentoring/Education"), *extra]
    return facts(hours=rows)


def test_work_total_sub_minimum_and_domain_met_exactly():
    found, result = items(credential(WORK, ATTRIBUTES), work_facts())
    assert found["work"].met and found["work+similar"].met and found["work:Advocacy"].met and result.eligible


def test_work_missing_the_lived_experience_hours_by_a_quarter_hour_is_not_eligible_and_says_so():
    found, result = items(credential(WORK, ATTRIBUTES), work_facts(similar=250 * 60 - 15))
    assert found["work"].met and not found["work+similar"].met and not result.eligible
    assert found["work+similar"].next_step == (
        "Log 0.25 more hours of work marked “With people who share a similar lived experience”.")


def test_work_counts_inside_the_window_from_enrolment_only():
    last_day = STARTED + relativedelta(months=6) - timedelta(days=1)
    found, _ = items(credential(WORK, ATTRIBUTES), work_facts(day=last_day))
    assert found["work"].met
    found, _ = items(credential(WORK, ATTRIBUTES), work_facts(day=last_day + timedelta(days=1)))
    assert found["work"].minutes_done == 0 and "window for this work ended" in found["work"].next_step
    found, _ = items(credential(WORK, ATTRIBUTES), work_facts(day=STARTED - timedelta(days=1)))
    assert found["work"].minutes_done == 0


def test_the_window_follows_each_trainees_own_enrolment():
    later = STARTED + relativedelta(months=4)
    day = STARTED + relativedelta(months=7)
    found, _ = items(credential(WORK, ATTRIBUTES), work_facts(day=day), started=later)
    assert found["work"].met


def test_capped_attribute_counts_only_up_to_its_cap():
    rules = credential(WORK, ATTRIBUTES)
    observing = hours("service", 40 * 60 + 15, domain="Recovery/Wellness Support", attributes=("observation",),
                      day=date(2026, 3, 1))
    found, _ = items(rules, work_facts(total=500 * 60 - 40 * 60, extra=[observing]))
    assert found["work"].minutes_done == 500 * 60 and found["work"].met
    found, _ = items(rules, work_facts(total=500 * 60 - 40 * 60 - 15, extra=[observing]))
    assert not found["work"].met


def test_time_receiving_supervision_counts_as_work_only_when_the_credential_says_so():
    rows = [hours("service", 100 * 60), hours("supervision", 60, fmt="individual")]
    off = credential("  - kind: work_hours\n    total: 101\n")
    on = credential("  - kind: work_hours\n    total: 101\n    supervision_counts_as_work: true\n")
    assert not items(off, facts(hours=rows))[0]["work"].met
    assert items(on, facts(hours=rows))[0]["work"].met


def test_a_window_can_start_when_a_prior_credential_was_issued():
    rules = credential("""  - kind: credential
    credential: initial
  - kind: work_hours
    total: 250
    window:
      months: 6
      start: credential:initial
""")
    issued = date(2026, 5, 1)
    held = [HeldCertificate("initial", issued, TODAY + timedelta(days=30), "valid", 1)]
    found, result = items(rules, facts(certificates=held, hours=[hours("service", 250 * 60, day=date(2026, 10, 31))]))
    assert result.eligible and found["credential:initial"].met
    found, _ = items(rules, facts(certificates=held, hours=[hours("service", 250 * 60, day=date(2026, 11, 1))]))
    assert not found["work"].met
    found, result = items(rules, facts(hours=[hours("service", 250 * 60)]))
    assert not result.eligible and found["work"].next_step.startswith("This work counts once you hold")


# --- Supervision ----------------------------------------------------------------------------------------

SUPERVISION = """  - kind: supervision_hours
    total: 25
    individual_at_least: 10
    group_at_most: 10
    domains:
      Advocacy: 5
"""


def test_supervision_individual_minimum_group_cap_and_domain():
    rules = credential(SUPERVISION)
    rows = [hours("supervision", 15 * 60, fmt="individual"), hours("supervision", 12 * 60, fmt="group",
                                                                    domain="Mentoring/Education")]
    found, _ = items(rules, facts(hours=rows))
    assert found["supervision"].minutes_done == 25 * 60 and found["supervision"].met
    assert found["supervision:individual"].met and found["supervision:Advocacy"].met
    rows[0] = hours("supervision", 15 * 60 - 15, fmt="individual")
    found, _ = items(rules, facts(hours=rows))
    assert not found["supervision"].met
    assert "group supervision is at its cap" in found["supervision"].next_step


def test_individual_supervision_minimum_missed_by_a_quarter_hour():
    rows = [hours("supervision", 10 * 60 - 15, fmt="individual"), hours("supervision", 20 * 60, fmt="group")]
    found, _ = items(credential(SUPERVISION.replace("group_at_most: 10", "group_at_most: 20")), facts(hours=rows))
    assert found["supervision"].met and not found["supervision:individual"].met


FREQUENCY = """  - kind: supervision_frequency
    initial_months: 6
    initial_every_days: 7
    after_every_days: 31
"""


def weekly(start, end, step):
    day, out = start, []
    while day <= end:
        out.append(hours("supervision", 60, day=day, fmt="individual"))
        day += timedelta(days=step)
    return out


def test_supervision_every_seven_days_in_the_first_months_and_monthly_after():
    boundary = STARTED + relativedelta(months=6)
    initial = weekly(STARTED + timedelta(days=7), boundary, 7)
    rows = initial + weekly(initial[-1].day + timedelta(days=31), TODAY, 31)
    found, _ = items(credential(FREQUENCY), facts(hours=rows), today=rows[-1].day + timedelta(days=31))
    assert found["supervision_frequency"].met
    found, _ = items(credential(FREQUENCY), facts(hours=rows), today=rows[-1].day + timedelta(days=32))
    assert not found["supervision_frequency"].met  # the open gap to today counts once it is overdue


def test_a_gap_of_eight_days_in_the_first_months_is_a_breach_that_is_explained():
    rows = weekly(STARTED + timedelta(days=7), STARTED + timedelta(days=21), 7)
    rows.append(hours("supervision", 60, day=STARTED + timedelta(days=29), fmt="individual"))
    found, _ = items(credential(FREQUENCY), facts(hours=rows), today=STARTED + timedelta(days=30))
    item = found["supervision_frequency"]
    assert not item.met and "a gap of 8 days" in item.done and "the limit was 7" in item.next_step


def test_a_gap_of_thirty_two_days_after_the_first_months_is_a_breach():
    boundary = STARTED + relativedelta(months=6)
    rows = weekly(STARTED + timedelta(days=7), boundary + timedelta(days=3), 7)
    last = rows[-1].day
    ok, _ = items(credential(FREQUENCY), facts(hours=[*rows, hours("supervision", 60, day=last + timedelta(days=31))]),
                  today=last + timedelta(days=31))
    assert ok["supervision_frequency"].met
    late, _ = items(credential(FREQUENCY), facts(hours=[*rows, hours("supervision", 60, day=last + timedelta(days=32))]),
                    today=last + timedelta(days=32))
    assert not late["supervision_frequency"].met


# --- Exams ----------------------------------------------------------------------------------------------

EXAM = f"""  - kind: exam
    course: {COURSE}
    pass_mark: 70
    within_months_of_training: 12
"""


def test_the_credentials_own_pass_mark_and_window_after_training():
    trained = date(2025, 12, 1)
    deadline = trained + relativedelta(months=12)
    rules = credential(EXAM)
    passing = facts(completions={COURSE: trained}, attempts=[ExamAttempt(COURSE, "highest", 80, 0.70, deadline)])
    assert items(rules, passing)[0][f"exam:{COURSE}"].met
    below = facts(completions={COURSE: trained}, attempts=[ExamAttempt(COURSE, "highest", 80, 0.69, deadline)])
    item = items(rules, below)[0][f"exam:{COURSE}"]
    assert not item.met and item.done == "Best so far 69%"
    late = facts(completions={COURSE: trained},
                 attempts=[ExamAttempt(COURSE, "highest", 80, 0.95, deadline + timedelta(days=1))])
    item = items(rules, late, today=deadline + timedelta(days=2))[0][f"exam:{COURSE}"]
    assert not item.met and "had to be passed by 1 December 2026" in item.next_step
    assert item.done == "Taken only after the window closed"


def test_exam_grades_follow_the_quizs_grading_method():
    rules = credential(f"  - kind: exam\n    course: {COURSE}\n")
    attempts = [ExamAttempt(COURSE, "latest", 80, 0.9, date(2026, 2, 1)), ExamAttempt(COURSE, "latest", 80, 0.5,
                                                                                       date(2026, 2, 2))]
    assert not items(rules, facts(attempts=attempts))[0][f"exam:{COURSE}"].met


EXTERNAL = """  - kind: external_exam
    key: board_exam
    title: The board exam
    pass_score: 70
"""


def evidence(key, status="accepted", **fields):
    values = {"quantity": None, "occurred_on": None, "text_sha256": "", "signed_language": "en", "signed_at": None}
    values.update(fields)
    return SimpleNamespace(key=key, status=status, **values)


def test_an_external_exam_passes_at_exactly_its_pass_score():
    rules = credential(EXTERNAL)
    found, _ = items(rules, facts(evidence=[evidence("board_exam", quantity=70.0, occurred_on=date(2026, 5, 1))]))
    assert found["evidence:board_exam"].met
    found, _ = items(rules, facts(evidence=[evidence("board_exam", quantity=69.9, occurred_on=date(2026, 5, 1))]))
    assert not found["evidence:board_exam"].met and "the pass score is 70" in found["evidence:board_exam"].done
    found, _ = items(rules, facts())
    assert found["evidence:board_exam"].next_step == "Take The board exam and send the result to your programme " \
                                                     "administrator."


# --- Evidence ----------------------------------------------------------------------------------------------

DOCUMENTS = """  - kind: document
    key: recommendation
    title: Letter of recommendation
    count: 3
  - kind: document
    key: transcript
    title: College transcript
    quantity_label: college credits
    quantity_at_least: 24
"""


def test_documents_count_only_when_accepted():
    rules = credential(DOCUMENTS)
    three = [evidence("recommendation") for _ in range(3)]
    found, _ = items(rules, facts(evidence=[*three, evidence("transcript", quantity=24.0)]))
    assert found["evidence:recommendation"].met and found["evidence:transcript"].met
    found, _ = items(rules, facts(evidence=[*three[:2], evidence("recommendation", "submitted"),
                                            evidence("transcript", quantity=23.0)]))
    assert not found["evidence:recommendation"].met and not found["evidence:transcript"].met
    assert "1 waiting for review" in found["evidence:recommendation"].done
    assert found["evidence:transcript"].done == "23 of 24 college credits accepted"


SIGNATURE = """  - kind: signature
    key: code_of_ethics
    title: Code of ethics
    text: I will keep clear boundaries.
"""


def test_a_signature_counts_for_the_text_that_was_signed():
    rules = credential(SIGNATURE)
    exact = hashlib.sha256(rules.credential.spec.requirements[0].text.encode()).hexdigest()
    found, _ = items(rules, facts(evidence=[evidence("code_of_ethics", text_sha256=exact,
                                                     signed_at=datetime(2026, 3, 1))]))
    assert found["evidence:code_of_ethics"].met
    found, _ = items(rules, facts(evidence=[evidence("code_of_ethics", text_sha256="0" * 64,
                                                     signed_at=datetime(2026, 3, 1))]))
    assert not found["evidence:code_of_ethics"].met and found["evidence:code_of_ethics"].done == \
        "The text changed since you signed it"
    found, _ = items(rules, facts())
    assert found["evidence:code_of_ethics"].next_step == "Read and sign “Code of ethics”."


def test_a_prior_credential_counts_while_valid():
    rules = credential("  - kind: credential\n    credential: initial\n")
    valid = HeldCertificate("initial", date(2026, 1, 1), TODAY, "valid", 1)
    assert items(rules, facts(certificates=[valid]))[1].eligible
    expired = HeldCertificate("initial", date(2025, 1, 1), TODAY - timedelta(days=1), "valid", 1)
    revoked = HeldCertificate("initial", date(2026, 1, 1), TODAY, "revoked", 1)
    assert not items(rules, facts(certificates=[expired]))[1].eligible
    assert not items(rules, facts(certificates=[revoked]))[1].eligible


ANY_OF = """  - kind: any_of
    label: Work or college
    options:
      - kind: document
        key: employment
        title: Proof of 12 months of work
      - kind: all_of
        label: College
        items:
          - kind: document
            key: transcript
            title: College transcript
            quantity_label: college credits
            quantity_at_least: 24
"""


def test_any_one_option_meets_an_alternative():
    rules = credential(ANY_OF)
    assert items(rules, facts(evidence=[evidence("employment")]))[1].eligible
    found, result = items(rules, facts(evidence=[evidence("transcript", quantity=24.0)]))
    assert result.eligible and found["any:Work or college"].done == "Met by: College"
    found, result = items(rules, facts(evidence=[evidence("transcript", quantity=23.0)]))
    assert not result.eligible and found["any:Work or college"].next_step.startswith("Any one of these:")


# --- Renewal --------------------------------------------------------------------------------------------------

RENEWAL = """renewal:
  cycle: calendar_year
  hours: 10
  categories:
    ethics:
      label: Ethics
      hours: 3
"""


def test_renewal_counts_the_calendar_year_and_its_categories_by_choice_never_by_name():
    rules = credential("  - kind: course\n    course: x-course\n".replace("x-course", COURSE), RENEWAL)
    rows = [hours("training", 7 * 60, day=date(2026, 1, 1)), hours("training", 3 * 60, day=date(2026, 2, 1),
                                                                    domain="Advocacy", category="ethics")]
    found = {i.key: i for i in rules.renewal.evaluate(facts(hours=rows), date(2025, 6, 1), TODAY)}
    assert found["renewal"].met and found["renewal:ethics"].met
    rows = [hours("training", 7 * 60, day=date(2025, 12, 31)),
            hours("training", 3 * 60, day=date(2026, 2, 1), domain="Ethical Responsibility")]
    found = {i.key: i for i in rules.renewal.evaluate(facts(hours=rows), date(2025, 6, 1), TODAY)}
    assert not found["renewal"].met and not found["renewal:ethics"].met


# --- Properties -------------------------------------------------------------------------------------------------

EVERYTHING = TRAINING + WORK.replace("      months: 6", "      months: 24") + SUPERVISION + FREQUENCY
KINDS = st.sampled_from(["service", "training", "supervision"])
ENTRY = st.builds(
    lambda kind, minutes, days, domain, fmt, similar: hours(
        kind, minutes, day=STARTED + timedelta(days=days), domain=domain,
        fmt=(fmt if kind == "supervision" else None), attributes=("similar",) if similar else ()),
    KINDS, st.integers(1, 96).map(lambda q: q * 15), st.integers(0, 320), st.sampled_from(DOMAINS),
    st.sampled_from(["individual", "group"]), st.booleans())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ENTRY, max_size=40), ENTRY)
def test_adding_an_approved_hour_never_makes_a_trainee_less_eligible(rows, extra):
    rules = credential(EVERYTHING, ATTRIBUTES)
    before, _ = items(rules, facts(hours=rows))
    after, _ = items(rules, facts(hours=[*rows, extra]))
    for key, item in before.items():
        if item.met:
            assert after[key].met, key
        if item.minutes_done is not None:
            assert after[key].minutes_done >= item.minutes_done, key


@settings(max_examples=150, deadline=None)
@given(st.lists(ENTRY, max_size=40), ENTRY)
def test_hours_in_a_domain_never_count_toward_another(rows, extra):
    rules = credential(EVERYTHING, ATTRIBUTES)
    before, _ = items(rules, facts(hours=rows))
    after, _ = items(rules, facts(hours=[*rows, extra]))
    for key, item in before.items():
        if ":" in key and key.split(":", 1)[1] in DOMAINS and key.split(":", 1)[1] != extra.domain:
            assert after[key].minutes_done == item.minutes_done, key

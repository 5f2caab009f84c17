"""One small class per kind of requirement, built from a validated credential file.

A rule turns a trainee's facts (``facts.Facts``) into checklist items: what is done, whether
it is met, and the next step in plain words when it is not. Rules are pure: they read the
facts and the dates they are given, never the database, so a whole page of trainees is
evaluated from one fetch, and the same code decides the checklist, eligibility, the
certificate's frozen hours and renewal.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from flask_babel import get_translations

from training.templating import format_date, format_hours, format_number, format_percent

# Rules write many short messages; the catalogue is looked up once per evaluation, not per message.
_catalogue = ContextVar("credential_messages", default=None)


def _(text, **variables):
    translated = (_catalogue.get() or get_translations()).ugettext(text)
    return translated % variables if variables else translated


def ngettext(singular, plural, num, **variables):
    variables.setdefault("num", num)
    return (_catalogue.get() or get_translations()).ungettext(singular, plural, num) % variables


@contextmanager
def messages():
    """Within this block, rules look up the catalogue of the current language once."""
    token = _catalogue.set(get_translations())
    try:
        yield
    finally:
        _catalogue.reset(token)


@dataclass
class Item:
    """One line of a checklist."""

    key: str
    label: str
    met: bool
    done: str
    next_step: str = ""
    minutes_done: int | None = None      # for hour requirements: progress bars and snapshots
    minutes_required: int | None = None
    children: list = field(default_factory=list)
    evidence_key: str = ""   # where the trainee signs or uploads what this item asks for

    @property
    def percent(self):
        if not self.minutes_required:
            return 100 if self.met else 0
        return min(100, round(100 * (self.minutes_done or 0) / self.minutes_required))

    @property
    def minutes_left(self):
        return max(0, (self.minutes_required or 0) - (self.minutes_done or 0))

    @property
    def is_hours(self):
        return self.minutes_required is not None


@dataclass
class Context:
    """What a rule needs besides the facts: today, and where each window starts."""

    today: date
    started_on: date                  # the trainee's enrolment in this credential
    prior_issued: dict                # prior credential slug -> issue date of its certificate held

    def window(self, window):
        """(first day, last day) of a window, or None when its start is not known yet."""
        if window is None:
            return None
        start = self.prior_issued.get(window.prior_credential) if window.prior_credential else self.started_on
        if start is None:
            return None
        return start, start + relativedelta(months=window.months) - timedelta(days=1)


def minutes(hours):
    return round(hours * 60)


def more_hours(minutes_left):
    """'6 more hours', '1 more hour', '1.5 more hours'."""
    number = format_hours(minutes_left).removesuffix(" h")
    return ngettext("%(hours)s more hour", "%(hours)s more hours", 1 if number == "1" else 2, hours=number)


def _of(done, required):
    return _("%(done)s of %(required)s", done=format_hours(done), required=format_hours(required))


def _in_window(day, span):
    return span is None or span[0] <= day <= span[1]


def _window_note(span, today):
    if span is None:
        return ""
    if span[1] < today:
        return _(" (the window ended on %(day)s)", day=format_date(span[1]))
    return _(" (by %(day)s)", day=format_date(span[1]))


class Rule:
    kind = ""

    def __init__(self, spec, credential):
        self.spec = spec
        self.credential = credential

    def evaluate(self, facts, ctx):
        """A list of ``Item`` for this requirement."""
        raise NotImplementedError

    def label(self, default):
        """The requirement's own label in the reader's language, or ``default``."""
        return self.credential.label_name(self.spec.label) if self.spec.label else default

    @property
    def title(self):
        """A document's, signature's or external exam's title in the reader's language."""
        return self.credential.label_name(self.spec.title)

    @property
    def quantity_label(self):
        """What a document counts (``college credits``), in the reader's language."""
        return self.credential.label_name(self.spec.quantity_label)

    def describe(self):
        """The requirement in one sentence, for the credential's page and its Open Badges criteria."""
        raise NotImplementedError


class CourseRule(Rule):
    kind = "course"

    def describe(self):
        return _("Complete the course %(title)s.",
                 title=self.credential.course_title(self.spec.course))

    def evaluate(self, facts, ctx):
        title = self.credential.course_title(self.spec.course)
        completed = facts.completions.get(self.spec.course)
        return [Item(f"course:{self.spec.course}", self.label(_("Course: %(title)s", title=title)), completed is not None,
                     _("Completed on %(day)s", day=format_date(completed)) if completed else _("Not completed yet"),
                     "" if completed else _("Complete the course %(title)s.", title=title))]


class TrainingHoursRule(Rule):
    """Training from completed courses and approved training entries, by domain."""

    kind = "training_hours"

    def counted(self, facts, ctx):
        """Minutes per credential domain; hours in a domain count toward that domain only."""
        domains = self.credential.domains
        since = ctx.today - relativedelta(years=self.spec.within_years) if self.spec.within_years else None
        by_domain = {d: 0 for d in domains}
        for credit in facts.credits:
            domain = self.spec.course_domains.get(credit.domain, credit.domain)
            if domain in by_domain and (since is None or credit.day >= since):
                by_domain[domain] += credit.minutes
        for row in facts.hours:
            if row.kind == "training" and row.domain in by_domain and (since is None or row.day >= since):
                by_domain[row.domain] += row.minutes
        return by_domain

    def describe(self):
        parts = [f"{self.credential.domain_name(domain)} {format_hours(minutes(h))}"
                 for domain, h in self.spec.domains.items()]
        text = _("%(total)s of training", total=format_hours(minutes(self.spec.total))) if self.spec.total else \
            _("Training")
        if parts:
            text += _(" with at least: %(parts)s", parts=", ".join(parts))
        if self.spec.within_years:
            text += _(", completed in the last %(years)s years", years=self.spec.within_years)
        return text + "."

    def evaluate(self, facts, ctx):
        by_domain = self.counted(facts, ctx)
        recent = _(" in the last %(years)s years", years=self.spec.within_years) if self.spec.within_years else ""
        items = []
        for domain, hours in self.spec.domains.items():
            need, done, name = minutes(hours), by_domain.get(domain, 0), self.credential.domain_name(domain)
            items.append(Item(
                f"training:{domain}", _("Training: %(domain)s", domain=name), done >= need, _of(done, need) + recent,
                "" if done >= need else _("Log %(more)s of external training in %(domain)s, or complete a course "
                                          "or attend live training that credits it.", more=more_hours(need - done),
                                          domain=name),
                done, need))
        if self.spec.total is not None:
            need, done = minutes(self.spec.total), sum(by_domain.values())
            items.append(Item(
                "training", self.label(_("Training hours")), done >= need, _of(done, need) + recent,
                "" if done >= need else _("Log %(more)s of training in any of this credential's domains, or "
                                          "complete a course or attend live training that credits them.",
                                          more=more_hours(need - done)),
                done, need))
        return items


class WorkHoursRule(Rule):
    """Supervised peer-support work: total, per domain, in a window, sub-minimums and caps."""

    kind = "work_hours"

    def _rows(self, facts, span):
        kinds = ("service", "supervision") if self.spec.supervision_counts_as_work else ("service",)
        return [r for r in facts.hours if r.kind in kinds and _in_window(r.day, span)]

    def counted_total(self, rows):
        total = sum(r.minutes for r in rows)
        for key, cap in self.spec.at_most.items():
            marked = sum(r.minutes for r in rows if key in r.attributes)
            total -= max(0, marked - minutes(cap))
        return total

    def describe(self):
        text = _("%(total)s of supervised peer support work", total=format_hours(minutes(self.spec.total))) \
            if self.spec.total else _("Supervised peer support work")
        parts = [f"{self.credential.domain_name(domain)} {format_hours(minutes(h))}"
                 for domain, h in self.spec.domains.items()]
        parts += [_("%(hours)s marked “%(what)s”", hours=format_hours(minutes(h)),
                    what=self.credential.attribute_label(k)) for k, h in self.spec.at_least.items()]
        if parts:
            text += _(" with at least: %(parts)s", parts=", ".join(parts))
        if self.spec.window:
            start = self.spec.window.prior_credential
            text += _(", within %(months)s months of enrolment", months=self.spec.window.months) if not start else \
                _(", within %(months)s months of the %(title)s certificate", months=self.spec.window.months,
                  title=self.credential.credential_title(start))
        if not self.spec.supervision_counts_as_work:
            text += _("; time receiving supervision does not count as work")
        return text + "."

    def evaluate(self, facts, ctx):
        span = ctx.window(self.spec.window)
        if self.spec.window and span is None:
            prior = self.spec.window.prior_credential
            return [Item("work", self.label(_("Supervised peer support work")), False, _("Not started"),
                         _("This work counts once you hold the %(credential)s certificate.",
                           credential=self.credential.credential_title(prior)), 0,
                         minutes(self.spec.total or sum(self.spec.domains.values())))]
        rows = self._rows(facts, span)
        note = _window_note(span, ctx.today)
        closed = span is not None and span[1] < ctx.today
        items = []
        if self.spec.total is not None:
            need, done = minutes(self.spec.total), self.counted_total(rows)
            step = ""
            if done < need:
                step = _("The window for this work ended; talk with your programme administrator.") if closed else \
                    _("Log %(more)s of supervised peer support work.", more=more_hours(need - done))
            caps = "".join(_(" (at most %(cap)s marked “%(what)s” count)", cap=format_hours(minutes(cap)),
                               what=self.credential.attribute_label(key))
                           for key, cap in self.spec.at_most.items())
            items.append(Item("work", self.label(_("Supervised peer support work")), done >= need,
                              _of(done, need) + note + caps, step, done, need))
        for domain, hours in self.spec.domains.items():
            need = minutes(hours)
            done, name = sum(r.minutes for r in rows if r.domain == domain), self.credential.domain_name(domain)
            items.append(Item(f"work:{domain}", _("Supervised work: %(domain)s", domain=name), done >= need,
                              _of(done, need) + note,
                              "" if done >= need else _("Log %(more)s of supervised work in %(domain)s.",
                                                        more=more_hours(need - done), domain=name), done, need))
        for key, hours in self.spec.at_least.items():
            need = minutes(hours)
            label = self.credential.attribute_label(key)
            done = sum(r.minutes for r in rows if key in r.attributes)
            items.append(Item(f"work+{key}", _("Work: %(what)s", what=label), done >= need, _of(done, need) + note,
                              "" if done >= need else _("Log %(more)s of work marked “%(what)s”.",
                                                        more=more_hours(need - done), what=label), done, need))
        return items

    def snapshot_minutes(self, facts, ctx):
        span = ctx.window(self.spec.window)
        if self.spec.window and span is None:
            return 0
        rows = self._rows(facts, span)
        if self.spec.total is not None:
            return self.counted_total(rows)
        return sum(r.minutes for r in rows if r.domain in self.spec.domains)


class SupervisionHoursRule(Rule):
    kind = "supervision_hours"

    def parts(self, facts, ctx):
        span = ctx.window(self.spec.window)
        rows = [r for r in facts.hours if r.kind == "supervision" and _in_window(r.day, span)]
        individual = sum(r.minutes for r in rows if r.format != "group")
        group = sum(r.minutes for r in rows if r.format == "group")
        counted_group = group if self.spec.group_at_most is None else min(group, minutes(self.spec.group_at_most))
        return rows, individual, group, counted_group, span

    def counted(self, facts, ctx):
        _, individual, _, counted_group, _ = self.parts(facts, ctx)
        return individual + counted_group

    def describe(self):
        text = _("%(total)s of supervision", total=format_hours(minutes(self.spec.total)))
        if self.spec.individual_at_least:
            text += _(", at least %(hours)s individual", hours=format_hours(minutes(self.spec.individual_at_least)))
        if self.spec.group_at_most is not None:
            text += _(", group supervision counted up to %(hours)s",
                      hours=format_hours(minutes(self.spec.group_at_most)))
        return text + "."

    def evaluate(self, facts, ctx):
        rows, individual, group, counted_group, span = self.parts(facts, ctx)
        need, done = minutes(self.spec.total), individual + counted_group
        detail = ""
        if self.spec.group_at_most is not None:
            detail = _(" (group supervision counts up to %(cap)s; %(group)s logged)",
                       cap=format_hours(minutes(self.spec.group_at_most)), group=format_hours(group))
        step = ""
        if done < need:
            step = _("Receive %(more)s of supervision.", more=more_hours(need - done))
            if self.spec.group_at_most is not None and group >= minutes(self.spec.group_at_most):
                step = _("Receive %(more)s of individual supervision (group supervision is at its cap).",
                         more=more_hours(need - done))
        items = [Item("supervision", self.label(_("Supervision received")), done >= need,
                      _of(done, need) + detail + _window_note(span, ctx.today), step, done, need)]
        if self.spec.individual_at_least is not None:
            need = minutes(self.spec.individual_at_least)
            items.append(Item("supervision:individual", _("Individual supervision"), individual >= need,
                              _of(individual, need), "" if individual >= need else
                              _("Receive %(more)s of individual supervision.", more=more_hours(need - individual)),
                              individual, need))
        for domain, hours in self.spec.domains.items():
            need = minutes(hours)
            got, name = sum(r.minutes for r in rows if r.domain == domain), self.credential.domain_name(domain)
            items.append(Item(f"supervision:{domain}", _("Supervision: %(domain)s", domain=name), got >= need,
                              _of(got, need), "" if got >= need else
                              _("Receive %(more)s of supervision in %(domain)s.", more=more_hours(need - got),
                                domain=name), got, need))
        return items


class SupervisionFrequencyRule(Rule):
    """Supervision at least every N days in the initial period, every M days after it.

    Gaps are measured from the enrolment date to the first supervision, between supervision
    days, and from the latest one to today; the initial limit applies while the next session's
    due date falls inside the initial period, the later limit after. The same numbers drive the
    burnout signal for trainees in this credential.
    """

    kind = "supervision_frequency"

    def limit_on(self, started_on, day):
        """The longest gap allowed after supervision on ``day``: the initial limit while its due
        date falls inside the initial period, the later one after."""
        boundary = started_on + relativedelta(months=self.spec.initial_months)
        if day + timedelta(days=self.spec.initial_every_days) < boundary:
            return self.spec.initial_every_days
        return self.spec.after_every_days

    def longest_breach(self, facts, ctx):
        days = sorted({r.day for r in facts.hours if r.kind == "supervision" and r.day >= ctx.started_on})
        worst = None
        points = [ctx.started_on, *days]
        for start, end in zip(points, [*days, ctx.today], strict=True):
            limit = self.limit_on(ctx.started_on, start)
            gap = (end - start).days
            if limit is not None and gap > limit and (worst is None or gap - limit > worst[0] - worst[3]):
                worst = (gap, start, end, limit)
        return worst

    def describe(self):
        text = _("Supervision at least every %(initial)s days in the first %(months)s months",
                 initial=self.spec.initial_every_days, months=self.spec.initial_months)
        if self.spec.after_every_days:
            text += _(", and every %(after)s days after", after=self.spec.after_every_days)
        return text + "."

    def evaluate(self, facts, ctx):
        breach = self.longest_breach(facts, ctx)
        expected = _("at least every %(initial)s days in the first %(months)s months",
                     initial=self.spec.initial_every_days, months=self.spec.initial_months)
        if self.spec.after_every_days:
            expected += _(", every %(after)s days after", after=self.spec.after_every_days)
        label = self.label(_("Regular supervision"))
        if breach is None:
            return [Item("supervision_frequency", label, True, _("Supervision %(expected)s: kept so far",
                                                                   expected=expected))]
        gap, start, end, limit = breach
        return [Item("supervision_frequency", label, False,
                     _("Supervision %(expected)s; there was a gap of %(gap)s days (%(start)s to %(end)s)",
                       expected=expected, gap=gap, start=format_date(start), end=format_date(end)),
                     _("Book supervision now, and talk with your programme administrator about the gap of "
                       "%(gap)s days; the limit was %(limit)s.", gap=gap, limit=limit))]


class ExamRule(Rule):
    """A course's final exam, graded by the quiz's method, against this credential's pass mark."""

    kind = "exam"

    def describe(self):
        title = self.credential.course_title(self.spec.course)
        mark = self.spec.pass_mark or self.credential.exam_pass_marks.get(self.spec.course, 80)
        text = _("Pass the final exam of %(title)s with at least %(mark)s%%", title=title, mark=mark)
        if self.spec.within_months_of_training:
            text += _(" within %(months)s months of completing the course",
                      months=self.spec.within_months_of_training)
        return text + "."

    def evaluate(self, facts, ctx):
        course = self.spec.course
        title = self.credential.course_title(course)
        label = self.label(_("Final exam: %(title)s", title=title))
        attempts = [a for a in facts.attempts if a.course == course]
        mark = self.spec.pass_mark or (attempts[0].quiz_pass_mark if attempts else
                                       self.credential.exam_pass_marks.get(course, 80))
        deadline = None
        trained = facts.completions.get(course)
        if self.spec.within_months_of_training and trained:
            deadline = trained + relativedelta(months=self.spec.within_months_of_training)
        counted = [a for a in attempts if deadline is None or a.day <= deadline]
        grade = grade_of(attempts[0].grading, [a.score for a in counted]) if counted else None
        if grade is not None and grade * 100 >= mark - 1e-9:
            return [Item(f"exam:{course}", label, True, _("Passed with %(score)s", score=format_percent(grade * 100)))]
        if deadline and deadline < ctx.today:
            step = _("The exam had to be passed by %(day)s; talk with your programme administrator.",
                     day=format_date(deadline))
        elif deadline:
            step = _("Pass the final exam of %(title)s with at least %(mark)s%% by %(day)s.", title=title, mark=mark,
                     day=format_date(deadline))
        else:
            step = _("Pass the final exam of %(title)s with at least %(mark)s%%.", title=title, mark=mark)
        if grade is not None:
            done = _("Best so far %(score)s", score=format_percent(grade * 100))
        else:
            done = _("Taken only after the window closed") if attempts else _("Not taken yet")
        return [Item(f"exam:{course}", label, False, done, step)]


def grade_of(grading, scores):
    """The grade across attempts by a quiz's grading method (0.0 to 1.0)."""
    return {"highest": max(scores), "latest": scores[-1], "first": scores[0],
            "average": sum(scores) / len(scores)}.get(grading, max(scores))


def _accepted(facts, key):
    return [e for e in facts.evidence if e.key == key and e.status == "accepted"]


def _waiting(facts, key):
    return [e for e in facts.evidence if e.key == key and e.status == "submitted"]


class ExternalExamRule(Rule):
    kind = "external_exam"

    def describe(self):
        text = _("Pass %(title)s", title=self.title)
        if self.spec.pass_score is not None:
            text += _(" with a score of at least %(score)s", score=format_number(self.spec.pass_score))
        return text + "."

    def evaluate(self, facts, ctx):
        label = self.label(self.title)
        results = [e for e in _accepted(facts, self.spec.key) if e.occurred_on and e.occurred_on <= ctx.today]
        if self.spec.within_months:
            since = ctx.started_on - relativedelta(months=self.spec.within_months)
            results = [e for e in results if e.occurred_on >= since]
        passing = [e for e in results if self.spec.pass_score is None or (e.quantity or 0) >= self.spec.pass_score]
        if passing:
            best = max(passing, key=lambda e: (e.quantity or 0, e.occurred_on))
            done = _("Passed on %(day)s", day=format_date(best.occurred_on))
            if best.quantity is not None:
                done += _(" with a score of %(score)s", score=format_number(best.quantity))
            return [Item(f"evidence:{self.spec.key}", label, True, done)]
        if results:
            latest = results[-1]
            done = _("Recorded on %(day)s with a score of %(score)s; the pass score is %(pass)s",
                     day=format_date(latest.occurred_on), score=format_number(latest.quantity or 0),
                     **{"pass": format_number(self.spec.pass_score)})
        else:
            done = _("No result recorded yet")
        return [Item(f"evidence:{self.spec.key}", label, False, done,
                     _("Take %(title)s and send the result to your programme administrator.", title=self.title))]


class DocumentRule(Rule):
    kind = "document"

    def describe(self):
        if self.spec.quantity_at_least is not None:
            return _("%(title)s showing at least %(need)s %(what)s.", title=self.title,
                     need=format_number(self.spec.quantity_at_least), what=self.quantity_label)
        if self.spec.count > 1:
            return _("%(count)s × %(title)s, verified by the programme.", count=self.spec.count, title=self.title)
        return _("%(title)s, verified by the programme.", title=self.title)

    def evaluate(self, facts, ctx):
        label = self.label(self.title)
        accepted, waiting = _accepted(facts, self.spec.key), _waiting(facts, self.spec.key)
        key = f"evidence:{self.spec.key}"
        if self.spec.quantity_at_least is not None:
            total = sum(e.quantity or 0 for e in accepted)
            met = total >= self.spec.quantity_at_least
            done = _("%(total)s of %(need)s %(what)s accepted", total=format_number(total),
                     need=format_number(self.spec.quantity_at_least), what=self.quantity_label)
        else:
            met = len(accepted) >= self.spec.count
            done = _("Accepted") if met and self.spec.count == 1 else \
                _("%(accepted)s of %(count)s accepted", accepted=len(accepted), count=self.spec.count)
        if met:
            return [Item(key, label, True, done)]
        own = self.spec.key if self.spec.provided_by == "trainee" else ""
        if waiting:
            done += ngettext("; %(num)s waiting for review", "; %(num)s waiting for review", len(waiting))
            step = _("Wait for your programme administrator to review what you sent.")
        elif self.spec.provided_by == "administrator":
            step = _("Your programme administrator records “%(title)s”; ask them about it.", title=self.title)
        elif self.spec.count > 1:
            step = _("Upload %(more)s more: “%(title)s”.", more=self.spec.count - len(accepted), title=self.title)
        else:
            step = _("Upload “%(title)s”.", title=self.title)
        return [Item(key, label, False, done, step, evidence_key=own)]


class SignatureRule(Rule):
    kind = "signature"

    def describe(self):
        return _("Sign “%(title)s”.", title=self.title)

    def evaluate(self, facts, ctx):
        label = self.label(self.title)
        signed = [e for e in _accepted(facts, self.spec.key)
                  if e.text_sha256 == self.credential.text_digest(self.spec, e.signed_language)]
        if signed:
            return [Item(f"evidence:{self.spec.key}", label, True,
                         _("Signed on %(day)s", day=format_date(signed[-1].signed_at)))]
        older = _accepted(facts, self.spec.key)
        return [Item(f"evidence:{self.spec.key}", label, False,
                     _("The text changed since you signed it") if older else _("Not signed yet"),
                     _("Read and sign “%(title)s”.", title=self.title), evidence_key=self.spec.key)]


class PriorCredentialRule(Rule):
    kind = "credential"

    def describe(self):
        return _("Hold a current %(title)s certificate.",
                 title=self.credential.credential_title(self.spec.credential))

    def evaluate(self, facts, ctx):
        title = self.credential.credential_title(self.spec.credential)
        held = [c for c in facts.certificates if c.credential == self.spec.credential and c.valid(ctx.today)]
        label = self.label(_("Certificate: %(title)s", title=title))
        if held:
            return [Item(f"credential:{self.spec.credential}", label, True,
                         _("Held since %(day)s", day=format_date(min(c.issued_on for c in held))))]
        return [Item(f"credential:{self.spec.credential}", label, False, _("Not held"),
                     _("Earn the %(title)s certificate first.", title=title))]


class GroupRule(Rule):
    """``all_of``: several requirements that count as one."""

    kind = "all_of"

    def __init__(self, spec, credential):
        super().__init__(spec, credential)
        self.rules = [build(item, credential) for item in spec.items]

    def describe(self):
        return " ".join(rule.describe() for rule in self.rules)

    def evaluate(self, facts, ctx):
        children = [item for rule in self.rules for item in rule.evaluate(facts, ctx)]
        unmet = [c for c in children if not c.met]
        return [Item(f"all:{self.spec.label}", self.label(self.spec.label), not unmet,
                     _("Done") if not unmet else _("%(met)s of %(total)s done", met=len(children) - len(unmet),
                                                   total=len(children)),
                     " ".join(c.next_step for c in unmet), children=children)]


class AnyOfRule(Rule):
    """Alternatives: met when every item of any one option is met."""

    kind = "any_of"

    def __init__(self, spec, credential):
        super().__init__(spec, credential)
        self.options = [build(option, credential) for option in spec.options]

    def describe(self):
        return _("%(label)s: any one of: %(options)s", label=self.label(self.spec.label),
                 options=" / ".join(rule.describe().rstrip(".") for rule in self.options)) + "."

    def evaluate(self, facts, ctx):
        options = []
        for rule in self.options:
            items = rule.evaluate(facts, ctx)
            options.append(items[0] if len(items) == 1 else Item(
                f"option:{rule.kind}", rule.label(items[0].label), all(i.met for i in items),
                "; ".join(i.done for i in items), " ".join(i.next_step for i in items if not i.met), children=items))
        chosen = next((o for o in options if o.met), None)
        if chosen:
            return [Item(f"any:{self.spec.label}", self.label(self.spec.label), True,
                         _("Met by: %(option)s", option=chosen.label),
                         children=options)]
        steps = [o.next_step.rstrip(".") for o in options if o.next_step]
        # The word between alternatives ("…; or …") is the reader's, like the sentence around it.
        step = _("Any one of these: %(steps)s.", steps=_("; or ").join(steps)) if steps else ""
        return [Item(f"any:{self.spec.label}", self.label(self.spec.label), False, _("None of the options met yet"), step,
                     children=options)]


RULES = {cls.kind: cls for cls in (CourseRule, TrainingHoursRule, WorkHoursRule, SupervisionHoursRule,
                                   SupervisionFrequencyRule, ExamRule, ExternalExamRule, DocumentRule, SignatureRule,
                                   PriorCredentialRule, GroupRule, AnyOfRule)}


def build(spec, credential):
    """The rule object for one requirement of a validated file."""
    return RULES[spec.kind](spec, credential)


class RenewalRule:
    """Continuing education in the current cycle, with minimums per category chosen on each entry."""

    def __init__(self, spec, credential=None):
        self.spec = spec
        self.credential = credential  # the compiled credential, which translates category labels

    def category_label(self, category):
        return self.credential.label_name(category.label) if self.credential is not None else category.label

    def cycle_start(self, issued_on, today):
        if self.spec.cycle == "from_issue":
            return issued_on
        if self.spec.cycle == "calendar_year":
            return date(today.year, 1, 1)
        return date(today.year - 1, 1, 1)

    def cycle_text(self, start):
        if self.spec.cycle == "from_issue":
            return _("since %(day)s", day=format_date(start))
        if self.spec.cycle == "calendar_year":
            return _("in %(year)s", year=start.year)
        return _("in %(first)s and %(second)s", first=start.year, second=start.year + 1)

    def describe(self):
        cycle = {"calendar_year": _("every calendar year"), "two_calendar_years": _("every two calendar years"),
                 "from_issue": _("between issue and renewal")}[self.spec.cycle]
        text = _("Renewal: %(hours)s of continuing education %(cycle)s", hours=format_hours(minutes(self.spec.hours)),
                 cycle=cycle)
        parts = [f"{self.category_label(c)} {format_hours(minutes(c.hours))}"
                 for c in self.spec.categories.values() if c.hours]
        if parts:
            text += _(", including %(parts)s", parts=", ".join(parts))
        return text + "."

    def evaluate(self, facts, issued_on, today):
        start = self.cycle_start(issued_on, today)
        rows = [r for r in facts.hours if r.kind == "training" and start <= r.day <= today]
        total = sum(r.minutes for r in rows)
        need = minutes(self.spec.hours)
        when = self.cycle_text(start)
        items = [Item("renewal", _("Continuing education %(when)s", when=when), total >= need, _of(total, need),
                      "" if total >= need else _("Log %(more)s of continuing education.", more=more_hours(need - total)),
                      total, need)]
        for key, category in self.spec.categories.items():
            if not category.hours:
                continue
            need = minutes(category.hours)
            done = sum(r.minutes for r in rows if r.category == key)
            label = self.category_label(category)
            items.append(Item(f"renewal:{key}", _("Continuing education in %(category)s", category=label), done >= need,
                              _of(done, need), "" if done >= need else
                              _("Log %(more)s of continuing education in the category “%(category)s”.",
                                more=more_hours(need - done), category=label), done, need))
        return items


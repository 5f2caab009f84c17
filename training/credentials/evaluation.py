"""Evaluate credentials for many trainees at once: the one place requirements are decided.

The checklist, the progress page and dashboard, the eligibility list, a certificate's frozen
hours, renewal, the Open Badges criteria, the burnout frequency signal and the supervision
report all read ``evaluate`` (or the compiled credential's rules); nothing else computes
requirements.

Each enrolment keeps its latest result (eligible, items met, the next step in every language). It is refreshed
in the same transaction as any change to the facts it depends on (hour entries, course
completions and credits, exam attempts, evidence, certificates, enrolments), so counting
everyone eligible is one indexed query. ``flask --app app credentials refresh`` re-evaluates
everyone; run it daily, as windows close with time alone.
"""
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, g, has_app_context
from sqlalchemy import event, select

from training.credentials import facts as facts_module
from training.credentials.models import Credential, Enrolment
from training.credentials.rules import Context, RenewalRule, SupervisionFrequencyRule, build, messages
from training.db_types import utcnow
from training.extensions import db
from training.i18n import LANGUAGES, current_language, default_locale, in_language


def _in_reader_language(names, english, slug):
    """``slug``'s name from ``names`` ({language: {slug: name}}) in the reader's language, else the
    English one, else the slug."""
    return (names.get(current_language(), {}).get(slug) if names else None) or english.get(slug, slug)


@dataclass
class Compiled:
    """A credential with its rules built and the names its checklist needs."""

    credential: Credential
    rules: list
    renewal: RenewalRule | None
    course_titles: dict = field(default_factory=dict)
    credential_titles: dict = field(default_factory=dict)
    exam_pass_marks: dict = field(default_factory=dict)
    # Plain copies, so a compiled credential outlives the database session it was read in.
    id: int = 0
    slug: str = ""
    domains: list = field(default_factory=list)
    attribute_labels: dict = field(default_factory=dict)
    # Language -> {domain as the file names it: its name in that language}; the same for course titles.
    domain_names: dict = field(default_factory=dict)
    course_names: dict = field(default_factory=dict)
    credential_names: dict = field(default_factory=dict)
    # Language -> {a label or title as the file writes it: the same words in that language}.
    label_names: dict = field(default_factory=dict)
    # Language -> {a signature's, document's or attribute's key: its longer text in that language}.
    texts: dict = field(default_factory=dict)

    def all_rules(self):
        """Every rule, those inside alternatives and groups included."""
        stack = list(self.rules)
        while stack:
            rule = stack.pop(0)
            yield rule
            stack[0:0] = getattr(rule, "rules", None) or getattr(rule, "options", None) or []

    def first(self, kind):
        return next((r for r in self.all_rules() if r.kind == kind), None)

    def domain_name(self, domain):
        """A domain's name in the reader's language, where the credential file translates it."""
        if not self.domain_names:
            return domain
        return self.domain_names.get(current_language(), {}).get(domain, domain)

    def label_name(self, text):
        """A label or title of the file (a requirement's, an evidence title, a category's) in the
        reader's language, where the file translates it."""
        if not self.label_names or not text:
            return text
        return self.label_names.get(current_language(), {}).get(text, text)

    def text_digest(self, spec, language):
        """The SHA-256 of a signature's text as a reader of ``language`` was shown it (the file's
        English where it gives no translation): what a signature in that language must match."""
        import hashlib

        digests = self.__dict__.setdefault("_digests", {})
        if (spec.key, language) not in digests:
            text = self.texts.get(language or "", {}).get(spec.key) or spec.text
            digests[spec.key, language] = hashlib.sha256(text.encode()).hexdigest()
        return digests[spec.key, language]

    def attribute_label(self, key):
        """An hour attribute's label in the reader's language."""
        return self.label_name(self.attribute_labels.get(key, key))

    def course_title(self, slug):
        """A course's title in the reader's language where the course has a version in it."""
        return _in_reader_language(self.course_names, self.course_titles, slug)

    def credential_title(self, slug):
        """Another credential's title in the reader's language where its file translates it."""
        return _in_reader_language(self.credential_names, self.credential_titles, slug)

    def criteria(self):
        """Every requirement in words, in the file's order: the credential page and the badge's criteria."""
        return [rule.describe() for rule in self.rules]

    @property
    def frequency(self):
        rule = self.first("supervision_frequency")
        return rule if isinstance(rule, SupervisionFrequencyRule) else None


def compile_credentials(credentials):
    """``Compiled`` for each credential, by id, with course and credential names in two statements."""
    from training.courses.models import Course, CourseTranslation
    from training.quizzes.models import Quiz

    cache = g.setdefault("_compiled_credentials", {}) if has_app_context() else {}
    version = {c.id: (c.id, c.synced_at, repr(c.definition)) for c in credentials}
    wanted = [c for c in credentials if version[c.id] not in cache]
    if wanted:
        courses, translated = {}, {}
        for slug, title, mark, language, translation in db.session.execute(
                select(Course.slug, Course.title, Quiz.pass_mark, CourseTranslation.locale, CourseTranslation.title)
                .outerjoin(Quiz, (Quiz.course_id == Course.id) & Quiz.module_id.is_(None) & Quiz.active)
                .outerjoin(CourseTranslation, CourseTranslation.course_id == Course.id)):
            courses[slug] = (title, mark)
            if language:
                translated.setdefault(language, {})[slug] = translation
        titles, credential_names = {}, {}
        for slug, title, definition in db.session.execute(
                select(Credential.slug, Credential.title, Credential.definition)):
            titles[slug] = title
            for language, words in ((definition or {}).get("translations") or {}).items():
                if words.get("title"):
                    credential_names.setdefault(language, {})[slug] = words["title"]
        for credential in wanted:
            compiled = compile_definition(
                credential, {slug: title for slug, (title, _) in courses.items()},
                {slug: mark for slug, (_, mark) in courses.items() if mark is not None}, titles)
            compiled.course_names, compiled.credential_names = translated, credential_names
            cache[version[credential.id]] = compiled
    return {c.id: cache[version[c.id]] for c in credentials}


def compile_definition(credential, course_titles=None, exam_pass_marks=None, credential_titles=None):
    """Build a credential's rules with the names given (no database): for evaluation and tests."""
    spec = credential.spec
    compiled = Compiled(credential, [], None, course_titles or {}, credential_titles or {}, exam_pass_marks or {},
                        credential.id, credential.slug, list(spec.domains),
                        {a.key: a.label for a in spec.hour_attributes},
                        {language: dict(words.domains) for language, words in spec.translations.items()})
    compiled.label_names = {language: dict(words.labels) for language, words in spec.translations.items()}
    compiled.texts = {language: dict(words.texts) for language, words in spec.translations.items()}
    compiled.rules = [build(requirement, compiled) for requirement in spec.requirements]
    compiled.renewal = RenewalRule(spec.renewal, compiled) if spec.renewal else None
    return compiled


def compiled(credential):
    return compile_credentials([credential])[credential.id]


@dataclass
class Evaluation:
    """Where one trainee stands toward one credential."""

    user: object
    credential: Credential
    compiled: Compiled
    enrolment: Enrolment | None
    started_on: date
    items: list
    snapshot: dict
    facts: object = field(default=None, repr=False)  # what the evaluation read, for ``store_after_issue``

    @property
    def eligible(self):
        return all(item.met for item in self.items)

    @property
    def unmet(self):
        return [item for item in self.items if not item.met]

    @property
    def next_step(self):
        return next((item.next_step for item in self.items if not item.met and item.next_step), "")

    def held(self, today=None):
        """The trainee's valid certificate of this credential (a ``facts.HeldCertificate``), or None."""
        today = today or date.today()
        return max((c for c in self._certificates() if c.valid(today)), key=lambda c: c.expires_on, default=None)

    def last_certificate(self):
        """The trainee's latest certificate of this credential, valid, expired or revoked, or None."""
        return max(self._certificates(), key=lambda c: c.cycle, default=None)

    def _certificates(self):
        slug = self.credential.slug
        return [c for c in getattr(self.facts, "certificates", ()) if c.credential == slug]

    @property
    def hour_items(self):
        """Items measured in hours, for progress bars and charts."""
        return [item for item in self.items if item.is_hours]


def default_credential():
    slug = current_app.config["DEFAULT_CREDENTIAL"]
    return db.session.scalar(select(Credential).where(Credential.slug == slug, Credential.active))


def _started_on(user):
    return user.programme_started_on or (user.created_at.date() if user.created_at else date.today())


def _prior_issued(facts):
    issued = {}
    for certificate in facts.certificates:
        if certificate.status != "revoked":
            issued[certificate.credential] = min(issued.get(certificate.credential, certificate.issued_on),
                                                 certificate.issued_on)
    return issued


def _snapshot(comp, facts, ctx):
    """Hours frozen on a certificate: training by domain, supervised work and supervision counted."""
    training = comp.first("training_hours")
    if training is not None:
        by_domain = training.counted(facts, ctx)
    else:
        by_domain = {d: 0 for d in comp.domains}
        for credit in facts.credits:
            if credit.domain in by_domain:
                by_domain[credit.domain] += credit.minutes
        for row in facts.hours:
            if row.kind == "training" and row.domain in by_domain:
                by_domain[row.domain] += row.minutes
    work = comp.first("work_hours")
    supervision = comp.first("supervision_hours")
    return {
        "training": {domain: minutes for domain, minutes in by_domain.items() if minutes},
        "service": work.snapshot_minutes(facts, ctx) if work else sum(r.minutes for r in facts.hours
                                                                      if r.kind == "service"),
        "supervision": supervision.counted(facts, ctx) if supervision else sum(r.minutes for r in facts.hours
                                                                               if r.kind == "supervision"),
    }


def _context(facts, enrolment, today):
    started = enrolment.started_on if enrolment else _started_on(facts.user)
    return Context(today, started, _prior_issued(facts))


def evaluate_facts(facts, comp, enrolment=None, today=None):
    today = today or date.today()
    ctx = _context(facts, enrolment, today)
    started = ctx.started_on
    items = [item for rule in comp.rules for item in rule.evaluate(facts, ctx)]
    # The credential as this session loaded it (a compiled one may come from an earlier session).
    credential = getattr(enrolment, "credential", None) if isinstance(enrolment, Enrolment) else None
    return Evaluation(facts.user, credential or comp.credential, comp, enrolment, started, items,
                      _snapshot(comp, facts, ctx), facts)


def evaluate(users, credential=None, today=None):
    """Every current enrolment of each user (or only ``credential``), by user id.

    A trainee with no enrolment at all is evaluated against the site's default credential
    from the day their programme started.
    """
    with messages():
        return _evaluate(users, credential, today)


def _evaluate(users, credential, today):
    today = today or date.today()
    users = list(users)
    if not users:
        return {}
    facts = facts_module.fetch(users)
    wanted = {credential.id: credential} if credential else {}
    for f in facts.values():
        for enrolment in f.enrolments:
            if credential is None and (enrolment.ended_on is None or enrolment.ended_on >= today):
                wanted[enrolment.credential_id] = enrolment.credential
    fallback = None
    if credential is None and any(not f.enrolments for f in facts.values()):
        fallback = default_credential()
        if fallback is not None:
            wanted[fallback.id] = fallback
    comps = compile_credentials(list(wanted.values()))
    results = {}
    for user_id, f in facts.items():
        out = []
        if credential is not None:
            result = evaluate_facts(f, comps[credential.id], f.enrolment(credential.id), today)
            result.credential = credential
            out.append(result)
        elif f.enrolments:
            for enrolment in f.enrolments:
                if enrolment.ended_on is None or enrolment.ended_on >= today:
                    out.append(evaluate_facts(f, comps[enrolment.credential_id], enrolment, today))
        elif fallback is not None:
            result = evaluate_facts(f, comps[fallback.id], None, today)
            result.credential = fallback
            out.append(result)
        results[user_id] = out
    return results


def evaluate_one(user, credential=None, today=None):
    """One trainee toward ``credential`` (by default their first current credential), or None."""
    found = evaluate([user], credential, today).get(user.id) or []
    return found[0] if found else None


def renewal_items(certificate, today=None):
    """Whether the renewal rules of a certificate's credential are met, as checklist items."""
    return renewal_items_of([certificate], today)[certificate.id]


def renewal_items_of(certificates, today=None):
    """Renewal checklist items of each certificate, by id: the holders' facts are read once for all."""
    today = today or date.today()
    certificates = list(certificates)
    comps = compile_credentials(list({c.credential_id: c.credential for c in certificates}.values()))
    renewable = [c for c in certificates if comps[c.credential_id].renewal is not None]
    facts = facts_module.fetch(list({c.user_id: c.holder for c in renewable}.values())) if renewable else {}
    return {c.id: comps[c.credential_id].renewal.evaluate(facts[c.user_id], c.issued_on, today)
            if c.user_id in facts and comps[c.credential_id].renewal else [] for c in certificates}


# --- Stored status ----------------------------------------------------------------------------------

def refresh(user_ids, today=None):
    """Re-evaluate the enrolments of ``user_ids`` and store the results; enrol trainees who have
    no enrolment in the default credential. Runs a fixed number of statements per 500 people."""
    from training.auth.models import User, UserRole

    ids = sorted(set(user_ids))
    if not ids:
        return 0
    users = list(db.session.scalars(select(User).where(User.id.in_(ids))))
    trainees = set(db.session.scalars(select(UserRole.user_id).where(UserRole.user_id.in_(ids),
                                                                     UserRole.role == "trainee")))
    default = None
    enrolled = set(db.session.scalars(select(Enrolment.user_id).where(Enrolment.user_id.in_(ids))))
    for user in users:
        if user.id in trainees and user.id not in enrolled:
            default = default or default_credential()
            if default is None:
                break
            db.session.add(Enrolment(user_id=user.id, credential_id=default.id, started_on=_started_on(user)))
    db.session.flush()
    today = today or date.today()
    facts = facts_module.fetch(users)
    comps = compile_credentials(list({e.credential_id: e.credential for f in facts.values() for e in f.enrolments}
                                     .values()))
    _store(facts, comps, today, utcnow())
    db.session.flush()
    return len(users)


def store_after_issue(evaluation, certificate, today=None):
    """Store the holder's enrolment results now that ``certificate`` exists, from the facts that the
    eligibility check read and the certificate itself, instead of reading them all again at commit.

    Call it after the certificate is flushed and before anything else changes the holder's facts:
    a later change marks them for the usual refresh at commit again. A trainee with no enrolment
    is left to that refresh, which enrols them in the default credential."""
    facts = evaluation.facts
    if facts is None or not facts.enrolments:
        return
    facts.certificates.append(facts_module.HeldCertificate(
        certificate.credential_slug, certificate.issued_on, certificate.expires_on, certificate.status,
        certificate.cycle))
    comps = compile_credentials(list({e.credential_id: e.credential for e in facts.enrolments}.values()))
    with _refreshing():
        _store({facts.user.id: facts}, comps, today or date.today(), utcnow())
        db.session.flush()
    db.session.info.get("credentials_pending", set()).discard(facts.user.id)


def _store(facts, comps, today, now):
    """Store each enrolment's result; its next step in every language, for whoever reads the lists."""
    site = default_locale()
    steps = {}
    with in_language(site), messages():
        for f in facts.values():
            for enrolment in f.enrolments:
                result = evaluate_facts(f, comps[enrolment.credential_id], enrolment, today)
                enrolment.eligible = result.eligible
                enrolment.items_met = sum(1 for i in result.items if i.met)
                enrolment.items_total = len(result.items)
                enrolment.evaluated_at = now
                steps[enrolment] = {site: result.next_step[:300]} if result.next_step else {}
    # In the other languages only the step is worked out, and only for those who have one.
    for language in LANGUAGES:
        if language == site:
            continue
        with in_language(language), messages():
            for f in facts.values():
                for enrolment in f.enrolments:
                    if steps[enrolment]:
                        steps[enrolment][language] = _next_step(f, comps[enrolment.credential_id], enrolment,
                                                                today)[:300]
    for enrolment, texts in steps.items():
        enrolment.next_steps = texts


def _next_step(facts, comp, enrolment, today):
    """The evaluation's ``next_step``, reading the rules only as far as the first unmet item with one."""
    ctx = _context(facts, enrolment, today)
    for rule in comp.rules:
        step = next((item.next_step for item in rule.evaluate(facts, ctx) if not item.met and item.next_step), "")
        if step:
            return step
    return ""


def refresh_all(batch=500, today=None):
    """Re-evaluate every trainee; returns how many. For a daily job and after credential changes."""
    from training.auth.models import UserRole

    ids = list(db.session.scalars(select(UserRole.user_id).where(UserRole.role == "trainee").order_by(UserRole.user_id)))
    for start in range(0, len(ids), batch):
        with _refreshing():
            refresh(ids[start:start + batch], today)
        db.session.commit()
    return len(ids)


class _refreshing:
    def __enter__(self):
        db.session.info["credentials_refreshing"] = True

    def __exit__(self, *exc):
        db.session.info.pop("credentials_refreshing", None)


def _affected(instance):
    """The trainee whose credential facts a changed row touches, or None."""
    from training.auth.models import UserRole
    from training.certificates.models import Certificate
    from training.courses.models import CourseCompletion, TrainingCredit
    from training.credentials.models import Evidence
    from training.quizzes.models import QuizAttempt
    from training.supervision.models import HourEntry

    if isinstance(instance, HourEntry):
        return instance.trainee_id
    if isinstance(instance, QuizAttempt):
        return instance.user_id if instance.submitted_at is not None else None
    if isinstance(instance, UserRole):
        return instance.user_id if instance.role == "trainee" else None
    if isinstance(instance, CourseCompletion | TrainingCredit | Evidence | Enrolment | Certificate):
        return instance.user_id
    return None


def _after_flush(session, flush_context):
    if session.info.get("credentials_refreshing"):
        return
    pending = session.info.setdefault("credentials_pending", set())
    for instance in (*session.new, *session.dirty, *session.deleted):
        user_id = _affected(instance)
        if user_id is not None:
            pending.add(user_id)


def _before_commit(session):
    if session.info.get("credentials_refreshing"):
        return
    session.flush()  # collects the last changes
    pending = session.info.pop("credentials_pending", None)
    if not pending:
        return
    session.info["credentials_refreshing"] = True
    try:
        refresh(pending)
    finally:
        session.info.pop("credentials_refreshing", None)
        session.info.pop("credentials_pending", None)


def _after_rollback(session):
    session.info.pop("credentials_pending", None)


def install():
    """Keep enrolments' stored results in step with every commit (called once by the factory)."""
    if not event.contains(db.session, "after_flush", _after_flush):
        event.listen(db.session, "after_flush", _after_flush)
        event.listen(db.session, "before_commit", _before_commit)
        event.listen(db.session, "after_soft_rollback", lambda session, previous: _after_rollback(session))

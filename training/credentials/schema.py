"""The shape of a credential file, checked whole before anything is saved.

A credential file is YAML: the credential's domains, the attributes its hour entries may
carry, a list of requirements (each a mapping with a ``kind``), validity, stages and
renewal. Types, ranges and unknown keys are checked by pydantic; references between parts
(domains, attributes, courses, other credentials, evidence keys) by ``cross_check``. Every
problem is reported with its file, line and path, and one bad file loads nothing.
"""
import re
from typing import Annotated, Literal

import yaml
from flask_babel import gettext as _
from flask_babel import ngettext
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
KEY = r"^[a-z][a-z0-9_]*$"
ENTRY_KINDS = ("service", "training", "supervision")

Hours = Annotated[float, Field(gt=0, le=100_000, description="hours")]
CapHours = Annotated[float, Field(ge=0, le=100_000, description="hours, 0 for none")]
Months = Annotated[int, Field(gt=0, le=600)]
Days = Annotated[int, Field(gt=0, le=3650)]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Slug = Annotated[str, Field(pattern=SLUG, max_length=100)]
Key = Annotated[str, Field(pattern=KEY, max_length=50)]


class FileProblem(ValueError):
    """A problem a validator finds in a credential file, in words for the person who wrote it."""


class Strict(BaseModel):
    """Unknown keys are errors, and values are never coerced ("24" is not 24)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)


class Window(Strict):
    """A period that starts at the trainee's enrolment or when a prior credential was issued."""

    months: Months
    start: Literal["enrolment"] | Annotated[str, Field(pattern=r"^credential:[a-z0-9]+(?:-[a-z0-9]+)*$")] = "enrolment"

    @property
    def prior_credential(self):
        return self.start.split(":", 1)[1] if self.start.startswith("credential:") else None


class HourAttribute(Strict):
    """A yes/no fact about an hour entry that the hour form asks for (for example "with people
    who share a similar lived experience")."""

    key: Key
    label: Text
    kinds: list[Literal["service", "training", "supervision"]] = Field(default=["service"], min_length=1)
    help: str = Field(default="", max_length=500)


class _Requirement(Strict):
    label: Text | None = None


class CourseRequirement(_Requirement):
    kind: Literal["course"]
    course: Slug


class TrainingHours(_Requirement):
    """Training hours: a total and per-domain minimums together, from courses and approved training."""

    kind: Literal["training_hours"]
    total: Hours | None = None
    domains: dict[str, Hours] = {}
    # Course credit in a domain the credential names differently counts in the mapped domain.
    course_domains: dict[str, str] = {}
    within_years: Annotated[int, Field(gt=0, le=50)] | None = None

    @model_validator(mode="after")
    def _something_required(self):
        if self.total is None and not self.domains:
            raise FileProblem(_("give a total, hours per domain, or both"))
        if self.total is not None and self.domains and self.total < sum(self.domains.values()):
            raise FileProblem(_("the total is less than the sum of the per-domain minimums"))
        return self


class WorkHours(_Requirement):
    """Supervised peer-support work: a total, per domain, in a window, with sub-minimums and caps
    over the attributes of hour entries."""

    kind: Literal["work_hours"]
    total: Hours | None = None
    domains: dict[str, Hours] = {}
    window: Window | None = None
    supervision_counts_as_work: bool = False
    at_least: dict[str, Hours] = {}
    at_most: dict[str, CapHours] = {}

    @model_validator(mode="after")
    def _something_required(self):
        if self.total is None and not self.domains:
            raise FileProblem(_("give a total, hours per domain, or both"))
        return self


class SupervisionHours(_Requirement):
    kind: Literal["supervision_hours"]
    total: Hours
    individual_at_least: Hours | None = None
    group_at_most: CapHours | None = None
    domains: dict[str, Hours] = {}
    window: Window | None = None


class SupervisionFrequency(_Requirement):
    """Supervision at least every N days in an initial period, and every M days after it."""

    kind: Literal["supervision_frequency"]
    initial_months: Months
    initial_every_days: Days
    after_every_days: Days | None = None
    start: Literal["enrolment"] = "enrolment"


class ExamRequirement(_Requirement):
    """A course's final exam, with this credential's own pass mark and a window after training."""

    kind: Literal["exam"]
    course: Slug
    pass_mark: Annotated[int, Field(ge=1, le=100)] | None = None
    within_months_of_training: Months | None = None


class ExternalExam(_Requirement):
    """An exam taken elsewhere; an administrator records the result, its date and evidence."""

    kind: Literal["external_exam"]
    key: Key
    title: Text
    pass_score: Annotated[float, Field(ge=0, le=1000)] | None = None
    within_months: Months | None = None


class Document(_Requirement):
    """Evidence an administrator verifies: a diploma, a background check, letters of recommendation."""

    kind: Literal["document"]
    key: Key
    title: Text
    description: str = Field(default="", max_length=1000)
    count: Annotated[int, Field(gt=0, le=20)] = 1
    provided_by: Literal["trainee", "administrator"] = "trainee"
    quantity_label: Text | None = None
    quantity_at_least: Annotated[float, Field(gt=0, le=100_000)] | None = None

    @model_validator(mode="after")
    def _quantity_pair(self):
        if (self.quantity_label is None) != (self.quantity_at_least is None):
            raise FileProblem(_("quantity_label and quantity_at_least go together"))
        return self


class Signature(_Requirement):
    """A text the trainee reads and signs by typing their name (a code of ethics, an attestation)."""

    kind: Literal["signature"]
    key: Key
    title: Text
    text: Annotated[str, Field(min_length=1, max_length=20_000)]


class PriorCredential(_Requirement):
    """A certificate of an earlier stage (for example an initial certification before the full one)."""

    kind: Literal["credential"]
    credential: Slug


class AnyOf(_Requirement):
    """Alternatives: any one option meets the requirement (12 months of work or 24 college credits)."""

    kind: Literal["any_of"]
    label: Text
    options: list["Requirement"] = Field(min_length=2)


class AllOf(_Requirement):
    """Several requirements that count as one, usually an option of ``any_of``."""

    kind: Literal["all_of"]
    label: Text
    items: list["Requirement"] = Field(min_length=1)


Requirement = Annotated[
    CourseRequirement | TrainingHours | WorkHours | SupervisionHours | SupervisionFrequency | ExamRequirement
    | ExternalExam | Document | Signature | PriorCredential | AnyOf | AllOf,
    Field(discriminator="kind"),
]
AnyOf.model_rebuild()
AllOf.model_rebuild()


class Category(Strict):
    label: Text
    hours: CapHours = 0


class Renewal(Strict):
    """Continuing education per cycle, with minimums per named category chosen on each entry."""

    cycle: Literal["calendar_year", "two_calendar_years", "from_issue"]
    hours: Hours
    categories: dict[str, Category] = {}
    validity_months: Months | None = None

    @field_validator("categories")
    @classmethod
    def _keys(cls, value):
        for key in value:
            if not re.match(KEY, key):
                raise FileProblem(_("category key '%(key)s' must be lowercase letters, digits and underscores", key=key))
        return value


class Extension(Strict):
    """How often, and by how much, an administrator may extend a certificate of this credential."""

    months: Months
    count: Annotated[int, Field(gt=0, le=5)] = 1


class CredentialTranslation(Strict):
    """The credential's words in another language: printed on its certificates and shown on the
    verification page to people reading that language."""

    title: Text | None = None
    description: str = Field(default="", max_length=5000)
    # A domain as the credential names it -> its name in this language.
    domains: dict[str, Text] = {}
    # A label or title as the file writes it (a requirement's label, the title of a document,
    # signature or external exam, a document's quantity_label, an hour attribute's or a renewal
    # category's label) -> the same words in this language, for checklists and evidence pages.
    labels: dict[Text, Text] = {}
    # A signature's, document's or hour attribute's key -> the longer text it carries, in this
    # language: the signature's text (what a reader of this language reads and signs), the
    # document's description, the attribute's help.
    texts: dict[Key, Annotated[str, Field(min_length=1, max_length=20_000)]] = {}


class CredentialFile(Strict):
    slug: Slug
    title: Text
    description: str = Field(default="", max_length=5000)
    # Language code (other than English, the language credential files are written in) -> its words.
    translations: dict[Annotated[str, Field(pattern=r"^[a-z]{2}$")], CredentialTranslation] = {}
    certificate_prefix: Annotated[str, Field(pattern=r"^[A-Z]{1,10}$")]
    design: Slug | None = None
    domains: list[Text] = Field(min_length=1)
    hour_attributes: list[HourAttribute] = []
    requirements: list[Requirement] = Field(min_length=1)
    validity_months: Months
    extension: Extension | None = None
    renewal: Renewal | None = None

    @field_validator("domains")
    @classmethod
    def _distinct(cls, value):
        if len(set(value)) != len(value):
            raise FileProblem(_("domains must be distinct"))
        return value

    @field_validator("translations")
    @classmethod
    def _known_languages(cls, value):
        from training.i18n import CONTENT_LANGUAGE, LANGUAGES

        others = sorted(set(LANGUAGES) - {CONTENT_LANGUAGE})
        for language in value:
            if language not in others:
                raise FileProblem(_("'%(language)s' is not a language credentials are translated into "
                                    "(use one of: %(languages)s)", language=language, languages=", ".join(others)))
        return value


# --- Cross-references ------------------------------------------------------------------------------

def walk(requirements, path=("requirements",)):
    """Every requirement with its path, alternatives and groups included."""
    for index, requirement in enumerate(requirements):
        here = (*path, index)
        yield here, requirement
        if isinstance(requirement, AnyOf):
            yield from walk(requirement.options, (*here, "options"))
        elif isinstance(requirement, AllOf):
            yield from walk(requirement.items, (*here, "items"))


def file_labels(definition):
    """Every label and title a reader sees from the file, as written: what ``translations.<language>.labels``
    may translate."""
    found = set()
    for _path, requirement in walk(definition.requirements):
        for field in ("label", "title", "quantity_label"):
            text = getattr(requirement, field, None)
            if text:
                found.add(text)
    found.update(attribute.label for attribute in definition.hour_attributes)
    if definition.renewal:
        found.update(category.label for category in definition.renewal.categories.values())
    return found


def file_texts(definition):
    """Key -> the longer text it carries in the file (a signature's text, a document's description,
    an hour attribute's help), for what ``translations.<language>.texts`` may translate. A key
    that carries two texts (an attribute and a requirement sharing it) maps to None."""
    found = {}

    def add(key, text):
        if text:
            found[key] = None if key in found else text

    for _path, requirement in walk(definition.requirements):
        if isinstance(requirement, Signature):
            add(requirement.key, requirement.text)
        elif isinstance(requirement, Document):
            add(requirement.key, requirement.description)
    for attribute in definition.hour_attributes:
        add(attribute.key, attribute.help)
    return found


def _not_a_domain(name):
    return _("'%(name)s' is not one of this credential's domains", name=name)


def cross_check(definition, courses=None, credentials=None):
    """Problems between parts of a valid file, as (path, message); ``courses`` and ``credentials``
    are the slugs that exist (None: not checked)."""
    problems = []
    domains = set(definition.domains)
    attributes = {a.key: a for a in definition.hour_attributes}
    keys = {}
    if len(attributes) != len(definition.hour_attributes):
        problems.append((("hour_attributes",), _("attribute keys must be distinct")))

    def domain_keys(path, mapping, what="domain"):
        for name in mapping:
            if name not in domains:
                problems.append(((*path, name), _not_a_domain(name)))

    labels = file_labels(definition)
    texts = file_texts(definition)
    for language, words in definition.translations.items():
        domain_keys(("translations", language, "domains"), words.domains)
        for text in words.labels:
            if text not in labels:
                problems.append((("translations", language, "labels", text),
                                 _("'%(text)s' is not a label or title in this file (translate a requirement's "
                                   "label, a document's, signature's or exam's title, a quantity_label, or an hour "
                                   "attribute's or renewal category's label, written exactly as in the file)", text=text)))
        for key in words.texts:
            if key not in texts:
                problems.append((("translations", language, "texts", key),
                                 _("'%(key)s' is not the key of a text in this file (translate a signature's text, "
                                   "a document's description or an hour attribute's help, under the key of its "
                                   "signature, document or attribute)", key=key)))
            elif texts[key] is None:
                problems.append((("translations", language, "texts", key),
                                 _("'%(key)s' is the key of both an hour attribute and a requirement: give them "
                                   "different keys, so that it is clear which text is translated", key=key)))

    for path, req in walk(definition.requirements):
        if isinstance(req, TrainingHours | WorkHours | SupervisionHours):
            domain_keys((*path, "domains"), req.domains)
        if isinstance(req, TrainingHours):
            for source, target in req.course_domains.items():
                if target not in domains:
                    problems.append(((*path, "course_domains", source), _not_a_domain(target)))
        if isinstance(req, WorkHours):
            for field in ("at_least", "at_most"):
                for key in getattr(req, field):
                    attribute = attributes.get(key)
                    if attribute is None:
                        problems.append(((*path, field, key),
                                         _("'%(key)s' is not one of this credential's hour_attributes", key=key)))
                    elif "service" not in attribute.kinds:
                        problems.append(((*path, field, key),
                                         _("attribute '%(key)s' is not asked for on work entries", key=key)))
            if req.total is not None:
                too_big = [k for k, v in req.at_least.items() if v > req.total]
                for key in too_big:
                    problems.append(((*path, "at_least", key), _("a sub-minimum cannot exceed the total")))
        if isinstance(req, CourseRequirement | ExamRequirement) and courses is not None and req.course not in courses:
            problems.append(((*path, "course"), _("there is no course '%(slug)s' in the courses folder",
                                                  slug=req.course)))
        if isinstance(req, PriorCredential):
            if req.credential == definition.slug:
                problems.append(((*path, "credential"), _("a credential cannot require itself")))
            elif credentials is not None and req.credential not in credentials:
                problems.append(((*path, "credential"), _("there is no credential '%(slug)s'", slug=req.credential)))
        window = getattr(req, "window", None)
        if window and window.prior_credential:
            required = {r.credential for _path, r in walk(definition.requirements) if isinstance(r, PriorCredential)}
            if window.prior_credential not in required:
                problems.append(((*path, "window", "start"),
                                 _("the window starts at credential '%(slug)s', which is not required",
                                   slug=window.prior_credential)))
        key = getattr(req, "key", None)
        if key is not None:
            if key in keys:
                problems.append(((*path, "key"), _("evidence key '%(key)s' is used twice", key=key)))
            keys[key] = path
    return problems


# --- Loading with line numbers ----------------------------------------------------------------------

class FileError(Exception):
    """Every problem of one file, each as (line, path, message)."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("; ".join(f"{line}: {message}" for line, _, message in problems))


def _node_line(root, path):
    """The line (1-based) of the deepest YAML node that ``path`` reaches."""
    node, line = root, root.start_mark.line + 1 if root is not None else 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                continue  # a union's tag or a validator's name in pydantic's path
            key, node = match
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def describe_path(path):
    """``requirements[2].window.months`` for a path of keys and indexes."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in str(part):  # a validator's name in pydantic's path
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


KIND_TAGS = {"course", "training_hours", "work_hours", "supervision_hours", "supervision_frequency", "exam",
             "external_exam", "document", "signature", "credential", "any_of", "all_of"}


# Pydantic's words for the usual mistakes, said for the person who wrote the file.
TYPE_MESSAGES = {
    "missing": lambda ctx: _("this key is required"),
    "extra_forbidden": lambda ctx: _("unknown key"),
    "string_type": lambda ctx: _("must be text"),
    "int_type": lambda ctx: _("must be a whole number"),
    "int_from_float": lambda ctx: _("must be a whole number"),
    "float_type": lambda ctx: _("must be a number"),
    "bool_type": lambda ctx: _("must be true or false"),
    "list_type": lambda ctx: _("must be a list"),
    "dict_type": lambda ctx: _("must be a mapping of keys to values"),
    "model_type": lambda ctx: _("must be a mapping of keys to values"),
    "model_attributes_type": lambda ctx: _("must be a mapping of keys to values"),
    "greater_than": lambda ctx: _("must be more than %(limit)s", limit=ctx["gt"]),
    "greater_than_equal": lambda ctx: _("must be %(limit)s or more", limit=ctx["ge"]),
    "less_than": lambda ctx: _("must be less than %(limit)s", limit=ctx["lt"]),
    "less_than_equal": lambda ctx: _("must be %(limit)s or less", limit=ctx["le"]),
    "string_too_short": lambda ctx: _("must not be empty") if ctx["min_length"] == 1 else ngettext(
        "must be at least %(num)d character long", "must be at least %(num)d characters long", ctx["min_length"]),
    "string_too_long": lambda ctx: ngettext("must be at most %(num)d character long",
                                            "must be at most %(num)d characters long", ctx["max_length"]),
    "too_short": lambda ctx: ngettext("must have at least %(num)d item", "must have at least %(num)d items",
                                      ctx["min_length"]),
    "too_long": lambda ctx: ngettext("must have at most %(num)d item", "must have at most %(num)d items",
                                     ctx["max_length"]),
    "literal_error": lambda ctx: _("must be one of: %(values)s", values=_listed(ctx["expected"])),
    "union_tag_invalid": lambda ctx: _("'%(tag)s' is not a kind this file knows (use one of: %(values)s)",
                                       tag=ctx["tag"], values=_listed(ctx["expected_tags"])),
    "union_tag_not_found": lambda ctx: _("give its kind"),
    "string_pattern_mismatch": lambda ctx: _pattern_message(ctx["pattern"]),
    "value_error": lambda ctx: str(ctx["error"]),
}


def _listed(expected):
    """Pydantic's "'a', 'b' or 'c'" as "'a', 'b', 'c'" (its "or" is English)."""
    return ", ".join(re.split(r", | or ", expected))


def _pattern_message(pattern):
    words = {
        SLUG: lambda: _("must be lowercase letters and digits, in words joined by hyphens"),
        KEY: lambda: _("must start with a lowercase letter, followed by lowercase letters, digits and underscores"),
        r"^[A-Z]{1,10}$": lambda: _("must be 1 to 10 capital letters"),
        r"^[a-z]{2}$": lambda: _("must be a two-letter language code"),
    }
    found = words.get(pattern)
    return found() if found else _("does not have the expected form (%(pattern)s)", pattern=pattern)


def validation_message(item):
    """One of pydantic's errors in words for the file's author (pydantic's own, in English, for a
    rare kind of error)."""
    words = TYPE_MESSAGES.get(item["type"])
    try:
        return words(item.get("ctx") or {}) if words else item["msg"]
    except KeyError:
        return item["msg"]


# Files that passed, by their text and the slugs they were checked against: a file read again
# unchanged (each sync, each check) is not parsed again. The definitions are never modified.
_PARSED = {}


def parse(text, courses=None, credentials=None):
    """A validated ``CredentialFile`` from YAML text, or ``FileError`` listing every problem."""
    key = (text, None if courses is None else frozenset(courses),
           None if credentials is None else frozenset(credentials))
    definition = _PARSED.get(key)
    if definition is None:
        definition = _parse(text, courses, credentials)
        if len(_PARSED) >= 64:
            _PARSED.clear()
        _PARSED[key] = definition
    return definition


def _parse(text, courses, credentials):
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise FileError([((mark.line + 1) if mark else 1, (),
                          _("invalid YAML: %(problem)s", problem=getattr(error, "problem", error)))]) from None
    if not isinstance(data, dict):
        raise FileError([(1, (), _("a credential file must be a YAML mapping"))])
    try:
        definition = CredentialFile.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = _without_tags(item["loc"])
            problems.append((_node_line(root, loc), loc, validation_message(item)))
        raise FileError(sorted(_dedupe(problems), key=lambda p: p[0])) from None
    problems = [(_node_line(root, path), path, message) for path, message in cross_check(definition, courses, credentials)]
    if problems:
        raise FileError(problems)
    return definition


def _without_tags(loc):
    """Pydantic's path without the union's tags it inserts after a list index."""
    return tuple(part for i, part in enumerate(loc)
                 if not (part in KIND_TAGS and i > 0 and isinstance(loc[i - 1], int)))


def _dedupe(problems):
    seen, out = set(), []
    for problem in problems:
        key = (problem[0], describe_path(problem[1]), problem[2])
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out


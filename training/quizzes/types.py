"""Question types: everything the platform knows about a type lives in its class.

Each class reads its answers from GIFT and writes them back, defines the data stored with
a question, prepares that data for an attempt, reads a trainee's response from the form,
grades it, gives a full-marks answer, and describes answers for the review. The classes
are registered in ``QUESTION_TYPES``; the rest of the platform asks the registry and
never branches on a type's name.

Graders are pure: they read the question's data and the response, change neither, and
return a :class:`~training.quizzes.grading.Grade`. Saving the result is the caller's job.
Weights are percentages, as in Moodle. Every piece of text is stored as written, in the
question's format (``data["format"]``) unless it carries its own ``<key>_format``.

Stored data by type:

- ``single_choice`` / ``multiple_choice``: ``{"choices": [{"id", "text", "weight", "feedback"}]}``;
  the response is one choice id, or a list of ids.
- ``true_false``: ``{"answer": bool, "feedback_right", "feedback_wrong"}``; the response is
  ``"true"`` or ``"false"``.
- ``short_answer``: ``{"answers": [{"text", "weight", "feedback"}]}`` where ``*`` in a text
  stands for any run of characters; the response is text.
- ``matching``: ``{"pairs": [{"item", "match"}], "distractors": [str]}``; the response maps an
  item's index (as a string) to the chosen match.
- ``numerical``: ``{"answers": [{"value", "tolerance"} or {"min", "max"} or {"any": true}, with
  "weight" and "feedback"]}``; the response is a number as text.
- ``essay`` and ``description``: a bank may hold them; quizzes never draw them.
"""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from training.quizzes import gift
from training.quizzes.gift import GiftError
from training.quizzes.grading import (
    Grade,
    clamp,
    numerical_answer_matches,
    parse_number,
    short_answer_matches,
    wildcard_parts,
)
from training.quizzes.text import piece, plain
from training.templating import format_number


class BadResponse(Exception):
    """A submitted form that no page of ours could have sent."""


def _joined(parts, separator):
    return Markup(separator).join(parts)


class QuestionType:
    name = ""
    label = ""
    delivered = True
    # Whether the question has an answer block in GIFT ({...}); a description has none.
    has_answers = True
    # The partial that shows the question in an attempt, and read-only in the review.
    template = ""
    # The partial that describes the trainee's answer in the review.
    review_template = "quizzes/review/_answer.html"

    # --- GIFT ---------------------------------------------------------------------------
    def claims_gift(self, answers):
        """Whether Moodle reads an answer block (escapes protected, general feedback removed)
        as this type. The registry asks the types in Moodle's order."""
        return False

    def parse_gift(self, answers, fmt, warnings):
        """The stored data for an answer block; raises GiftError, appends to ``warnings``."""
        return {}

    def gift_answers(self, data):
        """The answer block's content, as Moodle writes it (without the general feedback)."""
        return ""

    def as_json(self, data):
        """Type-specific keys of the public JSON shape (``questions import --dry-run --json``)."""
        return {}

    # --- Attempts ---------------------------------------------------------------------------
    def prepare(self, data, shuffle, rng):
        """The data frozen into an attempt: a copy, with choices in the order shown."""
        return dict(data)

    def read_response(self, data, fields):
        """The response from the form values sent for one question.

        ``fields`` maps the part after ``q<slot id>`` (``""`` for the field itself, ``_<n>`` for
        sub-items) to the list of values sent.
        """
        if set(fields) - {""}:
            raise BadResponse(_("An answer was sent for a part of a question that does not exist. "
                                "Nothing was saved."))
        return fields[""][-1] if fields.get("") else None

    def grade(self, data, response):
        raise NotImplementedError

    def model_answer(self, data):
        """A response that earns full marks: for demonstrations and for checking graders."""
        raise NotImplementedError

    # --- Display ---------------------------------------------------------------------------
    def answer_html(self, data, response):
        """The trainee's answer in words."""
        return escape(response)

    def right_html(self, data):
        """The answer that earns full marks, in words."""
        return Markup("")

    def feedback(self, data, response):
        """Feedback written for the answer given, as HTML."""
        if response is None:
            return []
        return self.grade(data, response).feedback

    def preview(self, data):
        """The answers in one line of plain text, for the import preview."""
        return ""

    def picked_options(self, response):
        """Keys of the options a response picked, for pick rates in item statistics."""
        return []

    def option_labels(self, data):
        return {}


def _only_offered(values, offered):
    """``values`` when each is one of the options the page offered; else the form was not ours."""
    if any(value not in offered for value in values):
        raise BadResponse(_("An answer was sent that is not one of the question's choices. Nothing was saved."))


def _feedback_of(data, holder, key="feedback"):
    return [piece(data, holder, key)] if holder.get(key) else []


# --- Choices ------------------------------------------------------------------------------------

class ChoiceType(QuestionType):
    template = "quizzes/types/choices.html"

    def claims_gift(self, answers):
        return "~" in answers

    def parse_gift(self, answers, fmt, warnings):
        # As Moodle: every '=' starts an answer worth 100%, every '~' one worth its %weight%.
        tokens = answers.replace("=", "~=").split("~")
        tokens[0] = tokens[0].strip()
        if tokens[0]:
            warnings.append(_("'%(text)s' before the first ~ or = is read as a wrong answer, as Moodle "
                              "reads it", text=gift.restore(tokens[0])[:40]))
        else:
            tokens.pop(0)
        if len(tokens) < 2:
            raise GiftError(_("a multiple-choice question needs at least two choices"))
        choices = []
        for index, token in enumerate(tokens):
            token = token.strip()
            if token.startswith("="):
                weight, rest = 100, token[1:]
                if re.match(r"\s*%[-+0-9., ]*%", rest):
                    raise GiftError(_("answer %(n)d: in a multiple-choice question = always means 100%%; "
                                      "write ~%%50%%answer for part marks", n=index + 1))
            else:
                weight, rest = gift.read_weight(token, warnings)
                weight = 0 if weight is None else weight
            text, feedback = gift.split_feedback(rest)
            choice = {"id": chr(ord("a") + index) if index < 26 else f"c{index}", "weight": weight}
            gift.formatted(choice, "text", text, fmt)
            gift.formatted(choice, "feedback", feedback, fmt)
            if not choice["text"]:
                raise GiftError(_("answer %(n)d has no text", n=index + 1))
            choices.append(choice)
        self.check(choices)
        return {"choices": choices}

    def check(self, choices):
        pass

    def gift_answers(self, data):
        lines = []
        fmt = data.get("format", "moodle")
        for choice in data["choices"]:
            lines.append("\t" + self.marker(choice) + gift.write_piece(choice, "text", fmt)
                         + (f"#{gift.write_piece(choice, 'feedback', fmt)}" if choice.get("feedback") else ""))
        return "\n".join(lines)

    def marker(self, choice):
        return "~" if choice["weight"] == 0 else f"~%{gift.weight_text(choice['weight'])}%"

    def as_json(self, data):
        return {"choices": [{k: v for k, v in c.items() if k != "id"} for c in data["choices"]]}

    def prepare(self, data, shuffle, rng):
        data = dict(data)
        if shuffle:
            choices = list(data["choices"])
            rng.shuffle(choices)
            data["choices"] = choices
        return data

    multiple = False

    def read_response(self, data, fields):
        response = super().read_response(data, fields)
        _only_offered([response] if response else [], {c["id"] for c in data["choices"]})
        return response

    def options(self, data):
        """(value, label as HTML) of each option shown."""
        return [(c["id"], piece(data, c, "text")) for c in data["choices"]]

    def _texts(self, data, ids):
        by_id = {c["id"]: c for c in data.get("choices", [])}
        return [piece(data, by_id[i], "text") for i in ids if i in by_id]

    def preview(self, data):
        return "; ".join(f"{plain(piece(data, c, 'text'))} ({gift.weight_text(c['weight'])}%)"
                         for c in data["choices"])

    def picked_options(self, response):
        return [r for r in (response if isinstance(response, list) else [response]) if isinstance(r, str)]

    def option_labels(self, data):
        return {c["id"]: plain(piece(data, c, "text")) for c in data["choices"]}


class SingleChoice(ChoiceType):
    name = "single_choice"
    label = _l("Single choice")

    def claims_gift(self, answers):
        return "~" in answers and "=" in answers

    def check(self, choices):
        if not any(c["weight"] == 100 for c in choices):
            raise GiftError(_("no answer is marked right: use = or %100%"))

    def marker(self, choice):
        return "=" if choice["weight"] == 100 else super().marker(choice)

    def grade(self, data, response):
        if not isinstance(response, str):
            return Grade(0.0, answered=False)
        for choice in data["choices"]:
            if choice["id"] == response:
                return Grade(clamp(choice["weight"] / 100), _feedback_of(data, choice))
        return Grade(0.0, answered=False)

    def model_answer(self, data):
        return max(data["choices"], key=lambda c: c["weight"])["id"]

    def answer_html(self, data, response):
        return _joined(self._texts(data, [response]), ", ") or None

    def right_html(self, data):
        return piece(data, max(data["choices"], key=lambda c: c["weight"]), "text")


class MultipleChoice(ChoiceType):
    name = "multiple_choice"
    label = _l("Multiple answers")
    multiple = True

    def claims_gift(self, answers):
        return "~" in answers and "=" not in answers

    def check(self, choices):
        positive = [c["weight"] for c in choices if c["weight"] > 0]
        if not positive:
            raise GiftError(_("no answer is marked right: use = or a positive %weight%"))
        if abs(sum(positive) - 100) > 0.5:
            raise GiftError(_("the positive weights of a multiple-answer question must add up to 100%"))

    def read_response(self, data, fields):
        if set(fields) - {""}:
            return super().read_response(data, fields)
        # The page always sends an empty value too, so that clearing every box clears the answer.
        picked = [v for v in fields.get("", []) if v]
        _only_offered(picked, {c["id"] for c in data["choices"]})
        return picked

    def grade(self, data, response):
        """Sum of the picked choices' weights; negative weights subtract; floored at 0."""
        if isinstance(response, str):
            response = [response]
        if not isinstance(response, list | tuple) or not response:
            return Grade(0.0, answered=False)
        picked = {r for r in response if isinstance(r, str)}
        chosen = [c for c in data["choices"] if c["id"] in picked]
        if not chosen:
            return Grade(0.0, answered=False)
        total = sum(c["weight"] for c in chosen) / 100
        return Grade(clamp(total), [f for c in chosen for f in _feedback_of(data, c)])

    def model_answer(self, data):
        return [c["id"] for c in data["choices"] if c["weight"] > 0]

    def answer_html(self, data, response):
        ids = response if isinstance(response, list) else [response]
        return _joined(self._texts(data, ids), " · ") or None

    def right_html(self, data):
        return _joined([piece(data, c, "text") for c in data["choices"] if c["weight"] > 0], " · ")


class TrueFalse(QuestionType):
    name = "true_false"
    label = _l("True or false")
    template = "quizzes/types/choices.html"
    multiple = False
    WORDS = ("T", "TRUE", "F", "FALSE")

    def claims_gift(self, answers):
        # Moodle's test: the text before the first '#', exactly T, TRUE, F or FALSE.
        return answers.split("#", 1)[0].strip() in self.WORDS

    def parse_gift(self, answers, fmt, warnings):
        # GIFT: the first feedback is shown for a wrong answer, the second for a right one.
        word, wrong, right = gift.split_feedback(answers, 3)
        data = {"answer": word.strip().startswith("T")}
        gift.formatted(data, "feedback_right", right, fmt)
        gift.formatted(data, "feedback_wrong", wrong, fmt)
        return data

    def gift_answers(self, data):
        fmt = data.get("format", "moodle")
        text = "TRUE" if data["answer"] else "FALSE"
        if data.get("feedback_wrong") or data.get("feedback_right"):
            text += "#" + gift.write_piece(data, "feedback_wrong", fmt)
        if data.get("feedback_right"):
            text += "#" + gift.write_piece(data, "feedback_right", fmt)
        return text

    def as_json(self, data):
        return {"answer": data["answer"],
                "feedback": {"right": data.get("feedback_right", ""), "wrong": data.get("feedback_wrong", "")}}

    def read_response(self, data, fields):
        response = super().read_response(data, fields)
        _only_offered([response] if response else [], {"true", "false"})
        return response

    def options(self, data):
        return [("true", _("True")), ("false", _("False"))]

    def grade(self, data, response):
        if response not in ("true", "false"):
            return Grade(0.0, answered=False)
        right = (response == "true") == data["answer"]
        return Grade(1.0 if right else 0.0, _feedback_of(data, data, "feedback_right" if right else "feedback_wrong"))

    def model_answer(self, data):
        return "true" if data["answer"] else "false"

    def answer_html(self, data, response):
        return {"true": _("True"), "false": _("False")}.get(response)

    def right_html(self, data):
        return _("True") if data["answer"] else _("False")

    def preview(self, data):
        return _("True") if data["answer"] else _("False")

    def picked_options(self, response):
        return [response] if response in ("true", "false") else []

    def option_labels(self, data):
        return {"true": _("True"), "false": _("False")}


class ShortAnswer(QuestionType):
    name = "short_answer"
    label = _l("Short answer")
    template = "quizzes/types/text.html"
    inputmode = "text"

    def claims_gift(self, answers):
        return True  # Moodle's last resort

    def parse_gift(self, answers, fmt, warnings):
        tokens = answers.split("=")
        tokens[0] = tokens[0].strip()
        if not tokens[0]:
            tokens.pop(0)
        if not tokens:
            raise GiftError(_("a short-answer question needs an answer after ="))
        result = []
        for index, token in enumerate(tokens):
            weight, rest = gift.read_weight(token.strip(), warnings)
            text, feedback = gift.split_feedback(rest)
            answer = {"text": gift.text_with_format(text, fmt)[0], "weight": 100 if weight is None else weight}
            gift.formatted(answer, "feedback", feedback, fmt)
            if not answer["text"]:
                raise GiftError(_("answer %(n)d has no text", n=index + 1))
            result.append(answer)
        if not any(a["weight"] > 0 for a in result):
            raise GiftError(_("no answer is worth marks: give one a positive weight, or give none a weight"))
        if len(result) == 1 and result[0]["text"].upper() in TrueFalse.WORDS:
            warnings.append(_("{%(word)s} is read, as Moodle reads it, as a short-answer question whose answer "
                              "is the word '%(word)s'; write {T} or {F} for a true-or-false question",
                              word=result[0]["text"]))
        return {"answers": result}

    def gift_answers(self, data):
        fmt = data.get("format", "moodle")
        return "\n".join(f"\t=%{gift.weight_text(a['weight'])}%{gift.escape(a['text'])}"
                         + (f"#{gift.write_piece(a, 'feedback', fmt)}" if a.get("feedback") else "")
                         for a in data["answers"])

    def as_json(self, data):
        return {"choices": [dict(a) for a in data["answers"]]}

    def grade(self, data, response):
        """The first answer that matches, in the order written, as Moodle grades."""
        if not isinstance(response, str) or not response.strip():
            return Grade(0.0, answered=False)
        for answer in data["answers"]:
            if short_answer_matches(answer["text"], response):
                return Grade(clamp(answer["weight"] / 100), _feedback_of(data, answer))
        return Grade(0.0)

    def model_answer(self, data):
        best = max(data["answers"], key=lambda a: a["weight"])
        return " ".join(wildcard_parts(best["text"])).strip()

    def right_html(self, data):
        texts = [" … ".join(wildcard_parts(a["text"])).strip() for a in data["answers"] if a["weight"] == 100]
        return escape(_(" or ").join(texts))

    def preview(self, data):
        return "; ".join(f"{a['text']} ({gift.weight_text(a['weight'])}%)" for a in data["answers"])


class Matching(QuestionType):
    name = "matching"
    label = _l("Matching")
    template = "quizzes/types/matching.html"
    review_template = "quizzes/review/_matching.html"

    def claims_gift(self, answers):
        return "=" in answers and "->" in answers

    def parse_gift(self, answers, fmt, warnings):
        tokens = answers.split("=")
        tokens[0] = tokens[0].strip()
        if not tokens[0]:
            tokens.pop(0)
        pairs, distractors = [], []
        for token in tokens:
            if "->" not in token:
                raise GiftError(_("every answer of a matching question needs the form =item -> match"))
            item, match = token.split("->", 1)
            match = gift.restore(match)
            if not match:
                raise GiftError(_("each matching pair needs a match after ->"))
            pair = gift.formatted({}, "item", item, fmt)
            if pair["item"]:
                pairs.append({**pair, "match": match})
            else:
                distractors.append(match)
        if len(pairs) < 2:
            raise GiftError(_("a matching question needs at least two pairs"))
        return {"pairs": pairs, "distractors": distractors}

    def gift_answers(self, data):
        fmt = data.get("format", "moodle")
        return "\n".join([f"\t={gift.write_piece(p, 'item', fmt)} -> {gift.escape(p['match'])}" for p in data["pairs"]]
                         + [f"\t= -> {gift.escape(d)}" for d in data.get("distractors", [])])

    def as_json(self, data):
        result = {"pairs": [dict(p) for p in data["pairs"]]}
        if data.get("distractors"):
            result["distractors"] = list(data["distractors"])
        return result

    def prepare(self, data, shuffle, rng):
        options = [p["match"] for p in data["pairs"]] + list(data.get("distractors", []))
        rng.shuffle(options)
        return dict(data, options=sorted(set(options), key=options.index))

    def read_response(self, data, fields):
        response = {}
        for suffix, values in fields.items():
            item = suffix[1:]
            if not suffix.startswith("_") or not item.isdigit() or int(item) >= len(data["pairs"]):
                raise BadResponse(_("An answer was sent for a part of a question that does not exist. "
                                    "Nothing was saved."))
            if values[-1]:
                response[str(int(item))] = values[-1]
        return response

    def grade(self, data, response):
        """One share of the marks for each item matched correctly."""
        if not isinstance(response, dict) or not response:
            return Grade(0.0, answered=False)
        pairs = data["pairs"]
        right = sum(1 for index, pair in enumerate(pairs) if response.get(str(index)) == pair["match"])
        return Grade(right / len(pairs))

    def model_answer(self, data):
        return {str(i): pair["match"] for i, pair in enumerate(data["pairs"])}

    def rows(self, data, response):
        """Each item with the trainee's match, the right one, and whether they agree."""
        response = response if isinstance(response, dict) else {}
        return [{"item": piece(data, pair, "item"), "given": response.get(str(i)), "right": pair["match"],
                 "correct": response.get(str(i)) == pair["match"]} for i, pair in enumerate(data["pairs"])]

    def answer_html(self, data, response):
        return _joined([Markup("{} → {}").format(row["item"], row["given"] or _("(none)"))
                        for row in self.rows(data, response)], "; ")

    def right_html(self, data):
        return _joined([Markup("{} → {}").format(piece(data, p, "item"), p["match"]) for p in data["pairs"]], "; ")

    def preview(self, data):
        pairs = [f"{plain(piece(data, p, 'item'))} → {p['match']}" for p in data["pairs"]]
        extra = [_("extra answer: %(text)s", text=d) for d in data.get("distractors", [])]
        return "; ".join(pairs + extra)


class Numerical(QuestionType):
    name = "numerical"
    label = _l("Numerical")
    template = "quizzes/types/text.html"
    inputmode = "decimal"
    NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")

    def claims_gift(self, answers):
        return answers.startswith("#")

    def _number(self, text):
        text = text.strip()
        value = float(text) if self.NUMBER.fullmatch(text) else None
        if value is None or value in (float("inf"), float("-inf")):
            raise GiftError(_("'%(text)s' is not a number", text=text))
        return value

    def _spec(self, spec):
        if spec.strip() == "*":
            return {"any": True}
        if spec.find("..") > 0:
            low, high = spec.split("..", 1)
            low, high = self._number(low), self._number(high)
            if low > high:
                raise GiftError(_("a numerical range must go from low to high"))
            return {"min": low, "max": high}
        if spec.find(":") > 0:
            value, tolerance = spec.split(":", 1)
            tolerance = self._number(tolerance)
            if tolerance < 0:
                raise GiftError(_("a tolerance cannot be negative"))
            return {"value": self._number(value), "tolerance": tolerance}
        return {"value": self._number(spec), "tolerance": 0.0}

    def parse_gift(self, answers, fmt, warnings):
        body = answers[1:]
        # As Moodle: everything from the first '~' is feedback for any other answer.
        body, tilde, other = body.partition("~")
        tokens = body.split("=")
        tokens[0] = tokens[0].strip()
        if not tokens[0]:
            tokens.pop(0)
        if not tokens:
            raise GiftError(_("a numerical question needs an answer after #"))
        result = []
        for token in tokens:
            weight, rest = gift.read_weight(token.strip(), warnings)
            spec, feedback = gift.split_feedback(rest)
            # Moodle reads the number after undoing the escapes, so '\:' is a colon here too.
            answer = {**self._spec(gift.text_with_format(spec, fmt)[0]), "weight": 100 if weight is None else weight}
            result.append(gift.formatted(answer, "feedback", feedback, fmt))
        if tilde:
            ignored, feedback = gift.split_feedback(other)
            if ignored.strip():
                warnings.append(_("after ~ Moodle reads only #feedback for any other answer, so "
                                  "'%(text)s' is left out", text=gift.restore(ignored)[:40]))
            result.append(gift.formatted({"any": True, "weight": 0}, "feedback", feedback, fmt))
        if not any(a["weight"] > 0 for a in result):
            raise GiftError(_("a numerical question needs an answer worth marks"))
        return {"answers": result}

    def gift_answers(self, data):
        fmt = data.get("format", "moodle")
        lines = []
        for a in data["answers"]:
            feedback = f"#{gift.write_piece(a, 'feedback', fmt)}" if a.get("feedback") else ""
            if a.get("any") and a["weight"] == 0:
                lines.append(f"\t~{feedback or '#'}")
                continue
            spec = ("*" if a.get("any") else f"{_number(a['min'])}..{_number(a['max'])}" if "min" in a
                    else f"{_number(a['value'])}:{_number(a.get('tolerance', 0))}")
            lines.append(f"\t=%{gift.weight_text(a['weight'])}%{spec}{feedback}")
        return "#\n" + "\n".join(lines)

    def as_json(self, data):
        return {"answers": [dict(a) for a in data["answers"]]}

    def grade(self, data, response):
        """The first answer the number falls within, in the order written, as Moodle grades."""
        value = parse_number(response)
        if value is None:
            return Grade(0.0, answered=bool(isinstance(response, str) and response.strip()))
        for answer in data["answers"]:
            if numerical_answer_matches(answer, value):
                return Grade(clamp(answer["weight"] / 100), _feedback_of(data, answer))
        return Grade(0.0)

    def _best(self, data):
        return max((a for a in data["answers"] if not a.get("any")), key=lambda a: a["weight"],
                   default=max(data["answers"], key=lambda a: a["weight"]))

    def model_answer(self, data):
        best = self._best(data)
        return "0" if best.get("any") else str(best["min"] if "min" in best else best["value"])

    def right_html(self, data):
        answer = self._best(data)
        if answer.get("any"):
            return escape(_("any number"))
        if "min" in answer:
            return escape(_("between %(low)s and %(high)s", low=_shown(answer["min"]), high=_shown(answer["max"])))
        tolerance = f" (± {_shown(answer['tolerance'])})" if answer.get("tolerance") else ""
        return escape(_shown(answer["value"]) + tolerance)

    def preview(self, data):
        parts = []
        for a in data["answers"]:
            spec = (_("any other number") if a.get("any") else f"{a['min']:g}..{a['max']:g}" if "min" in a
                    else f"{a['value']:g} ± {a.get('tolerance', 0):g}")
            parts.append(f"{spec} ({gift.weight_text(a['weight'])}%)")
        return "; ".join(parts)


def _shown(value):
    """A number as the reader's language writes it ('2.5', '2,5')."""
    return format_number(value, places=6)


def _number(value):
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


class Essay(QuestionType):
    name = "essay"
    label = _l("Essay")
    delivered = False

    def claims_gift(self, answers):
        return answers == ""

    def gift_answers(self, data):
        return ""


class Description(QuestionType):
    """Text without a question (no answer block at all)."""

    name = "description"
    label = _l("Description")
    delivered = False
    has_answers = False


# In Moodle's order of recognition (essay, numerical, multiple choice, matching, true/false,
# short answer); description is the block without braces, recognised before any of them.
QUESTION_TYPES = {t.name: t for t in (Essay(), Numerical(), SingleChoice(), MultipleChoice(), Matching(),
                                      TrueFalse(), ShortAnswer(), Description())}
DELIVERED = [name for name, t in QUESTION_TYPES.items() if t.delivered]


def question_type(name):
    """The class registered for ``name``; an unknown name is an error."""
    return QUESTION_TYPES[name]


def gift_type(answers):
    """The type Moodle reads an answer block as."""
    return next(t for t in QUESTION_TYPES.values() if t.claims_gift(answers))


def grade(qtype, data, response):
    """Grade ``response`` to a question of type ``qtype``."""
    return QUESTION_TYPES[qtype].grade(data, response)


def model_answer(qtype, data):
    """A response to a question of type ``qtype`` that earns full marks."""
    return QUESTION_TYPES[qtype].model_answer(data)

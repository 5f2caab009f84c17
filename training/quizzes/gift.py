"""The pieces of Moodle's GIFT syntax that every question type reads and writes.

Follows Moodle's own reader (``question/format/gift/format.php``): the escapes, the
``[format]`` prefix of each piece of text, ``#feedback``, and ``%weight%`` with Moodle's
fixed list of answer weights.
"""
import re

from flask_babel import gettext as _

from training.quizzes.text import FORMATS

# Moodle's escapes: \~ \= \# \{ \} \: stand for the character itself, \n for a line break
# and \\ for a backslash. Private-use characters stand in for them while the structure is read.
ESCAPABLE = "~=#{}:"
_PLACEHOLDER = {ch: chr(0xE000 + i) for i, ch in enumerate(ESCAPABLE)}
_BACKSLASH = "\uE0FF"
_RESTORE = {v: k for k, v in _PLACEHOLDER.items()} | {_BACKSLASH: "\\"}


class GiftError(Exception):
    """A mistake in one question; ``line_offset`` counts lines from the question's first."""

    def __init__(self, message, line_offset=0):
        super().__init__(message)
        self.message = message
        self.line_offset = line_offset


def protect(text):
    text = text.replace("\\\\", _BACKSLASH)
    for ch, placeholder in _PLACEHOLDER.items():
        text = text.replace("\\" + ch, placeholder)
    return text.replace("\\n", "\n")


def restore(text):
    for placeholder, ch in _RESTORE.items():
        text = text.replace(placeholder, ch)
    return text.strip()


def text_with_format(raw, default):
    """(text, format) of a piece, as Moodle's ``parse_text_with_format``.

    A leading ``[html]``, ``[moodle]``, ``[plain]`` or ``[markdown]`` (exactly so spelled)
    sets the piece's format; any other bracketed word is part of the text.
    """
    raw = raw.strip()
    if raw.startswith("[") and "]" in raw:
        name = raw[1:raw.index("]")]
        if name in FORMATS:
            return restore(raw[len(name) + 2:]), name
    return restore(raw), default


def split_feedback(text, parts=2):
    """Split 'answer#feedback' at unescaped '#' (true/false uses three parts)."""
    return (text.split("#", parts - 1) + [""] * parts)[:parts]


def formatted(holder, key, raw, question_format):
    """Store a piece's text under ``key``, and its format under ``<key>_format`` when it differs."""
    text, fmt = text_with_format(raw, question_format)
    holder[key] = text
    if fmt != question_format:
        holder[f"{key}_format"] = fmt
    return holder


# --- Weights ------------------------------------------------------------------------------------

# Moodle's fixed list of answer weights (question_bank::fraction_options_full), as
# percentages and in Moodle's order, which decides ties when snapping to the nearest.
_POSITIVE = [90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667,
             14.28571, 12.5, 11.11111, 10, 5]
MOODLE_WEIGHTS = [0, 100, *_POSITIVE, *[-w for w in reversed(_POSITIVE)], -100]
# Moodle's pattern for a weight: '%', minus signs, one or two digits, an optional point, digits, '%'.
_WEIGHT = re.compile(r"^%(-*[0-9]{1,2}\.?[0-9]*)%")
_LOOKS_LIKE_WEIGHT = re.compile(r"^%([-+0-9., ]*)%")


def nearest_weight(percent):
    """The Moodle weight nearest ``percent``, or None when none is within 200 points (as Moodle)."""
    best, mismatch = None, 2.0
    for weight in MOODLE_WEIGHTS:
        distance = abs(percent / 100 - weight / 100)
        if distance < mismatch:
            best, mismatch = weight, distance
    return best


def is_moodle_weight(percent):
    return any(abs(percent / 100 - w / 100) < 0.00001 for w in MOODLE_WEIGHTS)


def read_weight(token, warnings):
    """(weight or None, rest of the token) for a token that may start with ``%weight%``.

    A weight off Moodle's list is snapped to the nearest one, with a warning.
    """
    match = _WEIGHT.match(token)
    if not match:
        odd = _LOOKS_LIKE_WEIGHT.match(token)
        if odd:
            raise GiftError(_("'%%%(weight)s%%' is not a weight Moodle can read; write it like %%50%% or "
                              "%%-33.33333%%", weight=odd.group(1)))
        return None, token
    text = match.group(1)
    try:
        percent = float(text)
    except ValueError:
        raise GiftError(_("weight '%(weight)s%%' is not a number", weight=text)) from None
    weight = nearest_weight(percent)
    if weight is None:
        raise GiftError(_("weight %(weight)s%% is too far from any weight Moodle allows (-100%% to 100%%)",
                          weight=text))
    if not is_moodle_weight(percent):
        warnings.append(_("weight %(weight)s%% is not one of Moodle's weights; it is read as %(nearest)s%%, "
                          "the nearest", weight=text, nearest=weight_text(weight)))
    else:
        weight = next(w for w in MOODLE_WEIGHTS if abs(percent - w) < 0.001)
    return weight, token[match.end():]


def weight_text(weight):
    """A weight as GIFT writes it: always one of Moodle's, like 50 or 33.33333."""
    snapped = nearest_weight(float(weight))
    snapped = 100 if snapped is None and weight > 0 else -100 if snapped is None else snapped
    return f"{snapped:.5f}".rstrip("0").rstrip(".")


# --- Writing ------------------------------------------------------------------------------------

def escape(text):
    """Escape GIFT's special characters (and line breaks) in plain text."""
    text = str(text).replace("\\", "\\\\")
    for ch in ESCAPABLE:
        text = text.replace(ch, "\\" + ch)
    return text.replace("\r", "").replace("\n", "\\n")


def write_piece(holder, key, question_format):
    """A piece of text with its ``[format]`` prefix when it differs from the question's."""
    fmt = holder.get(f"{key}_format")
    prefix = f"[{fmt}]" if fmt and fmt != question_format else ""
    return prefix + escape(holder.get(key, ""))

"""Nothing shown to people is left in English only: every text is marked for translation, and the
Spanish catalogue translates every entry.

The two scans read the code rather than pages, so they also see the branches no test reaches:

- templates (templates/ and the certificate designs): the text between tags and the attributes
  people read or hear (title, alt, placeholder, aria-label, ...), plus quoted strings written out
  by an expression, must come from ``_()``/``ngettext``/``{% trans %}``;
- Python (training/): the strings given to ``flash``, ``abort``, form fields and validators,
  ``ValidationError``, ``render_template`` and ``send_mail``, the errors whose message a page shows,
  what the administration commands print (``click.echo``, ``ClickException``, the ``help`` of commands
  and options), and the messages put in lists that are shown (``errors``, ``problems``, ...);

- JavaScript (static/): the words a script writes into the page (``textContent``, ``title``, a dialog,
  ``aria-label``): they come from the page, rendered there with ``_()``, never from the script.

What is not language (a brand, a standard's name, a unit) is allowed in ``NOT_LANGUAGE`` below,
each with its reason. When a scan fails it lists file:line and the text: mark it, run
`make translations`, translate the new entry.
"""
import ast
import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

ROOT = Path(__file__).resolve().parent.parent
SPANISH_PO = ROOT / "training" / "translations" / "es" / "LC_MESSAGES" / "messages.po"

# Texts that read the same in every language, each with the reason it is not translated.
NOT_LANGUAGE = {
    "English": "the language picker names each language in itself",
    "Español": "the language picker names each language in itself",
    "Open Badges 3.0": "the name of a published standard",
    "Open Badges": "the name of a published standard",
    "JSON": "the name of a file format",
    "JSON-LD": "the name of a file format",
    "PDF": "the name of a file format",
    "CSV": "the name of a file format",
    "GIFT": "the name of a question file format",
    "Aiken": "the name of a question file format",
    "Moodle": "the name of a product",
    "LinkedIn": "the name of a site (a share link)",
    "Facebook": "the name of a site (a share link)",
    "SHA-256": "the name of a hash algorithm",
    "UTC": "the name of a time standard, written the same in Spanish",
    "h": "the abbreviation of hours, written the same in Spanish",
    "min": "the abbreviation of minutes, written the same in Spanish",
}

# Words a machine reads, written in the page for it: never shown as text.
MACHINE_WORDS = re.compile(r"^(?:[a-z0-9]+(?:[-_.:/#][a-z0-9]+)+/?|[./][a-z0-9]+(?:[-_.:/#][a-z0-9]+)*/?|https?://\S+)$")
WORD = re.compile(r"[^\W\d_]{2,}")
# What a {{ ... }} writes is replaced by one of these characters (Unicode's private use area),
# so a sentence around it still shows, and each expression is known by its character.
FIRST_EXPRESSION = 0xE000
EXPRESSIONS = re.compile("[\ue000-\uf8ff]")


ALLOWED = re.compile("|".join(rf"(?<!\w){re.escape(t)}(?!\w)" for t in sorted(NOT_LANGUAGE, key=len, reverse=True)))


def is_language(text):
    """True when ``text`` holds words a person reads (and is not one of the allowed exceptions)."""
    text = " ".join(ALLOWED.sub(" ", EXPRESSIONS.sub(" ", text)).split())
    return bool(WORD.search(text)) and not all(MACHINE_WORDS.match(w) for w in text.split())


# --- Templates -----------------------------------------------------------------------------------

TEMPLATES = sorted((ROOT / "templates").rglob("*.html")) + sorted((ROOT / "certificates").glob("*/template.html"))

GETTEXT_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext", "lazy_gettext", "_l", "N_"}
# Calls whose string arguments are addresses, names or formats, never shown as they are.
MACHINE_CALLS = {"url_for", "static_url", "get", "startswith", "endswith", "split", "replace", "strftime",
                 "format_date", "format_datetime", "date", "datetime", "dateformat", "datetimeformat", "timeformat",
                 "attr", "selectattr", "rejectattr",
                 "map", "sort", "groupby", "sum", "dictsort", "has_role", "get_flashed_messages", "csrf_token",
                 "join", "tr", "content_language", "range", "items", "lower", "upper", "count"}
# Keyword arguments that carry CSS classes, identifiers or HTML attributes, never shown as they are.
MACHINE_KEYWORDS = {"class", "class_", "classes", "id", "type", "name", "autocomplete", "inputmode", "pattern",
                    "for", "form", "rel", "target", "method", "action", "status", "kind", "role", "accept",
                    "slug", "endpoint", "anchor", "_anchor", "tone", "size", "variant", "icon", "level",
                    "spellcheck", "dir", "lang", "style"}
# HTML attributes a person reads or hears.
HUMAN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription",
                    "aria-valuetext", "label", "summary"}
SHOWN_INPUT_VALUES = {"submit", "button", "reset"}


class _Markup(HTMLParser):
    """Collects the text and the human-facing attribute values of one template's markup, and which
    expressions write into text a person reads."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []  # (line in the reconstructed source, text)
        self.shown_expressions = set()
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self.hidden += 1
        attributes = dict(attrs)
        line = self.getpos()[0]
        for name, value in attrs:
            shown = name in HUMAN_ATTRIBUTES or (
                name == "value" and tag == "input" and (attributes.get("type") or "").lower() in SHOWN_INPUT_VALUES)
            if shown and value:
                self.shown_expressions |= set(EXPRESSIONS.findall(value))
                if is_language(value):
                    self.found.append((line, f'{name}="{_readable(value)}"'))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in {"script", "style"}:
            self.hidden -= 1

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if self.hidden:
            return
        self.shown_expressions |= set(EXPRESSIONS.findall(data))
        if is_language(data):
            self.found.append((self.getpos()[0], _readable(data)))


def _readable(text):
    return " ".join(EXPRESSIONS.sub("{…}", text).split())


def _template_environment():
    return Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do", "jinja2.ext.loopcontrols"])


def _markup(tree):
    """The template's markup in source order, each {{ ... }} replaced by a character of its own.

    Returns the pieces as (template line, text) and the expression nodes by their character.
    """
    pieces, expressions = [], {}

    def walk(node):
        if isinstance(node, nodes.TemplateData):
            pieces.append((node.lineno, node.data))
        elif isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    pieces.append((child.lineno, child.data))
                else:
                    mark = chr(FIRST_EXPRESSION + len(expressions))
                    expressions[mark] = child
                    pieces.append((child.lineno, mark))
        else:
            for child in node.iter_child_nodes():
                walk(child)

    walk(tree)
    return pieces, expressions


def _markup_offenders(tree):
    """(line, text) of the unmarked text and attributes, and the expressions that write into text."""
    pieces, expressions = _markup(tree)
    source, starts = "", []  # starts: (line in `source`, template line)
    for lineno, text in pieces:
        starts.append((source.count("\n") + 1, lineno))
        source += text
    parser = _Markup()
    parser.feed(source)
    parser.close()
    offenders = []
    for line, text in parser.found:
        own_line, template_line = max((s for s in starts if s[0] <= line), default=(1, 1))
        offenders.append((template_line + line - own_line, text))
    shown = {id(expressions[mark]) for mark in parser.shown_expressions if mark in expressions}
    return offenders, shown


def _is_phrase(text):
    """A quoted string that is surely words: capitalised, or several words none of which is a CSS
    class or a name (``'badge badge-done'`` is not a phrase)."""
    words = text.split()
    return bool(re.search(r"[A-Z]", text)) or (len(words) > 1 and not any(re.search(r"[-_]", w) for w in words))


def _expression_offenders(tree, shown):
    """Quoted strings an expression writes out: ``{{ 'Start' if new else 'Continue' }}``, a macro's
    label argument, ``{% set title = "..." %}``.

    A single lowercase word (``'people'``, ``'open'``) counts only where the expression writes it
    straight into text a person reads (``shown``): elsewhere it is usually a CSS class or a key.
    """
    offenders = []

    def walk(node, machine=False, in_call=False, in_text=False):
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                walk(child, machine, in_call, id(child) in shown)
            return
        if isinstance(node, nodes.Call):
            name = getattr(node.node, "name", None) or getattr(node.node, "attr", None)
            if name in GETTEXT_CALLS:
                return
            walk(node.node, machine, in_call, in_text)
            for arg in node.args:
                walk(arg, machine or name in MACHINE_CALLS, True, in_text)
            for keyword in node.kwargs:
                walk(keyword.value, machine or name in MACHINE_CALLS or keyword.key in MACHINE_KEYWORDS, True, in_text)
            return
        if isinstance(node, nodes.Filter | nodes.Test):
            if node.node is not None:
                walk(node.node, machine, in_call, in_text)
            for arg in node.args:
                walk(arg, machine or node.name in MACHINE_CALLS, True, in_text)
            for keyword in node.kwargs:
                walk(keyword.value, machine or keyword.key in MACHINE_KEYWORDS, True, in_text)
            return
        if isinstance(node, nodes.Compare | nodes.Include | nodes.Import | nodes.FromImport | nodes.Extends):
            return
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            walk(node.node, machine, in_call, in_text)
            return
        if isinstance(node, nodes.Dict):  # keys are names; values may be text
            for pair in node.items:
                walk(pair.value, machine, in_call, in_text)
            return
        if isinstance(node, nodes.CondExpr):  # the condition is never written out
            walk(node.expr1, machine, in_call, in_text)
            if node.expr2 is not None:
                walk(node.expr2, machine, in_call, in_text)
            return
        if isinstance(node, nodes.Keyword):
            walk(node.value, machine or node.key in MACHINE_KEYWORDS, in_call, in_text)
            return
        if isinstance(node, nodes.Const):
            text = node.value
            if isinstance(text, str) and not machine and is_language(text) and (
                    _is_phrase(text) or (in_text and not in_call)):
                offenders.append((node.lineno, repr(text)))
            return
        for child in node.iter_child_nodes():
            walk(child, machine, in_call, in_text)

    walk(tree)
    return offenders


def template_offenders():
    environment = _template_environment()
    found = []
    for path in TEMPLATES:
        tree = environment.parse(path.read_text(encoding="utf-8"), name=str(path))
        shown = path.relative_to(ROOT)
        markup, written = _markup_offenders(tree)
        found += [(shown, line, text) for line, text in markup + _expression_offenders(tree, written)]
    return [f"{path}:{line}: {text}" for path, line, text in sorted(found, key=lambda f: (str(f[0]), f[1]))]



def test_every_text_in_a_template_is_marked_for_translation():
    offenders = template_offenders()
    assert not offenders, (f"{len(offenders)} texts in templates are not marked for translation "
                           "(wrap them in {{ _('...') }} or {% trans %}):\n" + "\n".join(offenders))


# --- Python --------------------------------------------------------------------------------------

PYTHON_FILES = sorted(p for p in (ROOT / "training").rglob("*.py") if "migrations" not in p.parts)

# The errors whose message a page or a flash shows as it is: a view catches them and shows
# ``error.message`` or ``str(error)``. Every class deriving from one of these counts too.
USER_FACING_ERRORS = {
    "ServiceError",      # training/errors.py: shown beside a field or at the top of the form
    "AccountError",      # auth: flashed or shown on the sign-in, invitation and admin pages
    "CohortError",       # cohorts: flashed
    "QuizRefused",       # quizzes: flashed when a quiz cannot be taken
    "BadResponse",       # quizzes: the message of the "answer could not be saved" page
    "ReflectionError",   # courses: flashed on the module page
    "GiftError",         # quizzes: listed on the question import preview
    "ConfigurationError",  # i18n: a setting the platform refuses to start with, in the default language
    "FileProblem",       # credentials: a credential file's problem, printed by `credentials check` and `sync`
}
FLASH_LIKE = {"flash": (0,), "send_mail": (1, 2), "ValidationError": (0,), "ParseError": (1,), "notify": (3,),
              "ContentError": (2,), "FileError": (0,)}
FIELD = re.compile(r"^[A-Z]\w*Field$")
VALIDATORS = {"DataRequired", "InputRequired", "Optional", "Length", "Email", "NumberRange", "EqualTo",
              "Regexp", "AnyOf", "NoneOf", "URL", "FileRequired", "FileAllowed", "FileSize"}
RENDER_CALLS = {"render_template", "render_template_string"}
# What the administration commands print: click's messages and errors, and the help of commands and options.
CLICK_MESSAGES = {"echo": (0,), "secho": (0,), "ClickException": (0,), "UsageError": (0,), "BadParameter": (0,),
                  "confirm": (0,), "prompt": (0,)}
CLICK_HELP_CALLS = {"option", "password_option", "argument", "command", "group", "Group", "AppGroup", "Option",
                    "Command", "progressbar"}
# Lists whose items are shown as they are (a form's errors, a file's problems, a command's warnings).
SHOWN_LISTS = {"errors", "problems", "messages", "warnings"}
# render_template keywords that name things for the template (a tab, a mode), never shown.
RENDER_MACHINE_KEYWORDS = {"active", "tab", "mode", "kind", "status", "section", "view", "endpoint", "anchor",
                           "action", "method", "format", "current"}


def _call_name(call):
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _user_facing_errors(trees):
    """USER_FACING_ERRORS and every class in training/ that derives from one of them."""
    bases = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", None) for b in node.bases}
    facing = set(USER_FACING_ERRORS)
    while True:
        more = {name for name, parents in bases.items() if parents & facing} - facing
        if not more:
            return facing
        facing |= more


def _module_constants(tree):
    """A module's top-level ``NAME = value`` assignments: a shown argument is often one of them."""
    return {target.id: node.value for node in tree.body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)}


def _imported_constants(tree, trees):
    """The constants a module imports by name from another module of training/."""
    imported = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("training"):
            base = ROOT / node.module.replace(".", "/")
            source = trees.get(base.with_suffix(".py")) or trees.get(base / "__init__.py")
            if source is not None:
                constants = _module_constants(source)
                imported |= {a.asname or a.name: constants[a.name] for a in node.names if a.name in constants}
    return imported


def _unmarked_strings(node, constants=None, seen=()):
    """(node, text) of the string literals (and f-strings) in ``node`` that reach a person without
    gettext, following a name to the module constant it stands for."""
    constants = constants or {}

    def inner(child):
        return _unmarked_strings(child, constants, seen)

    if node is None:
        return []
    if isinstance(node, ast.Constant):
        text = node.value
        # Through a constant, a single lowercase word is usually a key ("energy"), not a text.
        shown = isinstance(text, str) and is_language(text) and (not seen or _is_phrase(text))
        return [(node, repr(text))] if shown else []
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else "{…}" for v in node.values)
        return [(node, f"f{text!r}")] if is_language(text.replace("{…}", " ")) else []
    if isinstance(node, ast.Name) and node.id in constants and node.id not in seen:
        return _unmarked_strings(constants[node.id], constants, (*seen, node.id))
    if isinstance(node, ast.Call):
        name = _call_name(node)
        if name in GETTEXT_CALLS:
            return []
        if name == "format" and isinstance(node.func, ast.Attribute):
            return inner(node.func.value)
        if name in {"Markup", "str", "escape"}:
            return [s for arg in node.args for s in inner(arg)]
        return []
    if isinstance(node, ast.BinOp):
        return inner(node.left) + inner(node.right)
    if isinstance(node, ast.IfExp):
        return inner(node.body) + inner(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [s for value in node.values for s in inner(value)]
    if isinstance(node, ast.List | ast.Tuple):
        return [s for element in node.elts for s in inner(element)]
    return []


def _choice_labels(choices, constants):
    """The labels of a field's ``choices``: the second item of each pair, through ``choices(...)``
    helpers and module constants."""
    seen = set()
    while True:
        if isinstance(choices, ast.Call) and isinstance(choices.func, ast.Attribute) and choices.func.attr in {
                "items", "values"}:
            choices = choices.func.value
        elif isinstance(choices, ast.Call) and choices.args:
            choices = choices.args[0]
        elif isinstance(choices, ast.Name) and choices.id in constants and choices.id not in seen:
            seen.add(choices.id)
            choices = constants[choices.id]
        else:
            break
    if isinstance(choices, ast.Dict):
        return list(choices.values)
    return [e.elts[1] for e in getattr(choices, "elts", []) if isinstance(e, ast.Tuple) and len(e.elts) == 2]


def _list_name(node):
    """``errors`` for ``errors`` and for ``self.errors``."""
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _shown_arguments(call, user_facing_errors, constants=None):
    """The arguments of ``call`` whose text a person reads."""
    name = _call_name(call)
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    positional = call.args
    if name in FLASH_LIKE:
        return [positional[i] for i in FLASH_LIKE[name] if i < len(positional)] + [
            keywords.get(k) for k in ("message", "subject", "body")]
    if name in user_facing_errors:
        return positional[:1] + [keywords.get("message")]
    if name == "abort":
        return positional[1:2] + [keywords.get("description")]
    if name in VALIDATORS:
        return [keywords.get("message")]
    if name and FIELD.match(name):
        render_kw = keywords.get("render_kw")
        return positional[:1] + [keywords.get(k) for k in ("label", "description", "invalid_value_message")] + (
            _choice_labels(keywords.get("choices"), constants or {})) + [
            v for k, v in zip(getattr(render_kw, "keys", []) or [], getattr(render_kw, "values", []) or [],
                              strict=False) if isinstance(k, ast.Constant) and k.value in HUMAN_ATTRIBUTES]
    if name in CLICK_MESSAGES:
        return [positional[i] for i in CLICK_MESSAGES[name] if i < len(positional)] + [keywords.get("message")]
    if name in CLICK_HELP_CALLS:
        return [keywords.get(k) for k in ("help", "short_help", "epilog", "prompt", "label")]
    if name == "append" and _list_name(call.func.value) in SHOWN_LISTS and positional:
        item = positional[0]  # a (field or path, message) pair shows its message only
        return item.elts[-1:] if isinstance(item, ast.Tuple) else [item]
    if name in RENDER_CALLS:  # a lowercase word here is usually a key the template compares
        return [v for k, v in keywords.items() if k not in RENDER_MACHINE_KEYWORDS
                and not (isinstance(v, ast.Constant) and isinstance(v.value, str) and not _is_phrase(v.value))]
    return []


def python_offenders():
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for path in PYTHON_FILES}
    user_facing_errors = _user_facing_errors(trees)
    for path, tree in trees.items():
        for node in ast.walk(tree):
            node.source_file = path.relative_to(ROOT)  # where a constant used elsewhere is written
    found = set()
    for tree in trees.values():
        constants = _imported_constants(tree, trees) | _module_constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for argument in _shown_arguments(node, user_facing_errors, constants):
                    for literal, text in _unmarked_strings(argument, constants):
                        found.add((str(literal.source_file), literal.lineno, text))
    return [f"{path}:{line}: {text}" for path, line, text in sorted(found)]


def test_the_user_facing_errors_named_by_the_scan_still_exist():
    """The Python scan finds errors by class name: a renamed class must not silently leave it."""
    defined = {node.name for path in PYTHON_FILES for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.ClassDef)}
    assert USER_FACING_ERRORS <= defined, f"rename these in USER_FACING_ERRORS: {USER_FACING_ERRORS - defined}"


def test_every_text_python_shows_to_people_is_marked_for_translation():
    offenders = python_offenders()
    assert not offenders, (f"{len(offenders)} texts in Python reach people without gettext (use _() at request "
                           "time, _l() at import time, with %(name)s placeholders):\n" + "\n".join(offenders))


NAMES_FROM_STRFTIME = re.compile(r"%[aAbBp]")


def strftime_name_offenders():
    """Formats that write month or day names (or AM/PM) in English whatever the page's language."""
    found = []
    for path in PYTHON_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            spec = None
            if isinstance(node, ast.FormattedValue) and isinstance(node.format_spec, ast.JoinedStr):
                spec = "".join(v.value for v in node.format_spec.values if isinstance(v, ast.Constant))
            elif isinstance(node, ast.Call) and _call_name(node) == "strftime" and node.args and isinstance(
                    node.args[0], ast.Constant):
                spec = node.args[0].value
            if spec and NAMES_FROM_STRFTIME.search(str(spec)):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {spec!r}")
    for path in TEMPLATES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"strftime\([^)]*%[aAbBp]", line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    return found


def test_no_month_or_day_name_comes_from_strftime():
    """strftime writes English names: dates go through the Babel filters (date, datetime) or format_date."""
    offenders = strftime_name_offenders()
    assert not offenders, "English month or day names from strftime:\n" + "\n".join(offenders)


# --- JavaScript ----------------------------------------------------------------------------------

SCRIPTS = sorted((ROOT / "static").rglob("*.js"))
# Where a script puts text in front of people: a property that is written on the page, a dialog,
# an attribute people read or hear, and the English fallback of a word taken from the page.
SHOWN_PROPERTY = re.compile(r"\.(?:textContent|innerText|innerHTML|outerHTML|title|placeholder|alt|ariaLabel|"
                            r"ariaDescription|ariaValueText)\s*\+?=(?!=)")
DIALOG = re.compile(r"\b(?:alert|confirm|prompt)\s*\(")
SHOWN_ATTRIBUTE = re.compile(r"""setAttribute\(\s*["'](?:""" + "|".join(map(re.escape, HUMAN_ATTRIBUTES)) + r""")["']\s*,""")
FALLBACK_TO_PAGE_WORDS = re.compile(r"(?:getAttribute\(\s*[\"']data-[^)]*\)|\.dataset\.\w+)\s*\|\|\s*$")


def _script_literals(source):
    """(line, text, the code of its statement before it) of each string literal outside comments;
    a template literal's ``${...}`` parts count as expressions."""
    found, i, statement = [], 0, ""
    while i < len(source):
        char = source[i]
        if source.startswith("//", i):
            i = source.find("\n", i) if "\n" in source[i:] else len(source)
            continue
        if source.startswith("/*", i):
            i = source.find("*/", i + 2) + 2 if "*/" in source[i + 2:] else len(source)
            continue
        if char in "\"'`":
            end, text = i + 1, ""
            while end < len(source) and source[end] != char:
                if source[end] == "\\":
                    text += source[end:end + 2]
                    end += 2
                    continue
                if char == "`" and source.startswith("${", end):
                    close = source.find("}", end)
                    text, end = text + "\ue000", close + 1
                    continue
                text += source[end]
                end += 1
            found.append((source.count("\n", 0, i) + 1, text, statement))
            statement += char + text + char
            i = end + 1
            continue
        statement = "" if char in ";{}" else statement + char
        i += 1
    return found


def _shown_in_script(text, statement):
    if not is_language(text) or statement.rstrip().endswith("["):  # a key: sums["return"]
        return False
    if FALLBACK_TO_PAGE_WORDS.search(statement):
        return True
    return bool(SHOWN_PROPERTY.search(statement) or DIALOG.search(statement) or SHOWN_ATTRIBUTE.search(statement))


def script_offenders(scripts=None):
    found = []
    for path in scripts or SCRIPTS:
        source = path.read_text(encoding="utf-8")
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
        found += [f"{shown}:{line}: {text.replace(chr(FIRST_EXPRESSION), '{…}')!r}"
                  for line, text, statement in _script_literals(source) if _shown_in_script(text, statement)]
    return found


def test_scripts_take_the_words_they_show_from_the_page():
    """A script writes no English of its own: the template renders the words with _() (in an element
    or a data- attribute) and the script takes them from the page, so they follow its language."""
    offenders = script_offenders()
    assert not offenders, (f"{len(offenders)} texts in static/*.js are shown without coming from the page (put "
                           "them in a data- attribute rendered with _() and read it):\n" + "\n".join(offenders))


# --- The scans themselves --------------------------------------------------------------------------

def test_the_template_scan_finds_text_attributes_and_written_strings_but_not_marked_text():
    environment = _template_environment()
    source = """{% extends "base.html" %}{% block title %}Hours{% endblock %}
<h1 class="page-title">{{ _("Marked") }}</h1>
<p>{{ count }} entries left</p>
<img alt="A photo" src="{{ url_for('static', filename='x.png') }}"><input type="submit" value="Save">
<button type="submit" name="decision" value="approve">{{ _("Approve") }}</button>
<script>const label = "Not for people";</script><!-- a note for us -->
{{ 'Start' if new else _('Continue') }}{% trans %}Hello {{ name }}{% endtrans %}
{{ p.bar(50, 'Progress in ' ~ title, class_="wide bar") }} {{ (x|hours) }} h · UTC
<p class="{{ 'met' if ok else 'unmet' }}">{{ n }} {{ 'person' if n == 1 else 'people' }} {{ piece(d, 'item') }}</p>"""
    tree = environment.parse(source)
    markup, written = _markup_offenders(tree)
    found = markup + _expression_offenders(tree, written)
    assert sorted(found) == [(1, "Hours"), (3, "{…} entries left"), (4, 'alt="A photo"'), (4, 'value="Save"'),
                             (7, "'Start'"), (8, "'Progress in '"), (9, "'people'"), (9, "'person'")]


def test_the_python_scan_finds_each_kind_of_shown_string_but_not_marked_ones():
    source = '''
DATE_INVALID = "Enter a date."
STATUS_CHOICES = [("", "Any status"), ("pending", "Waiting")]
flash("Saved.", "success")
flash(_("Saved."), "success")
abort(404, description="No such page")
raise EntryError(f"Entry {n} is locked", field="minutes")
name = StringField(_l("Name"), validators=[DataRequired(message="Enter a name")])
kind = SelectField("Kind", choices=[("a", "First kind"), ("b", _l("Second"))])
return render_template("x.html", title="Hello there", active="hours", message=_("Fine"))
status = SelectField(_l("Status"), choices=choices(STATUS_CHOICES), invalid_value_message=DATE_INVALID)
click.echo("Courses synced.")
click.echo(_("Courses synced."))
raise click.ClickException(f"No course {slug}")
@click.option("--path", help="Folder of courses.")
@users_cli.command("create", help=_l("Create an account."))
def create(path):
    pass
errors.append("the file is empty")
problems.append((("domains", name), f"{name} is unknown"))
self.warnings.append(_("Marked"))
rows.append("not shown as it is")
'''
    tree = ast.parse(source)
    constants = _module_constants(tree)
    texts = [text for node in ast.walk(tree) if isinstance(node, ast.Call)
             for argument in _shown_arguments(node, {"EntryError"}, constants)
             for _line, text in _unmarked_strings(argument, constants)]
    assert sorted(texts) == sorted(["'Saved.'", "'No such page'", "f'Entry {…} is locked'", "'Enter a name'",
                                    "'Kind'", "'First kind'", "'Hello there'", "'Enter a date.'", "'Any status'",
                                    "'Waiting'", "'Courses synced.'", "f'No course {…}'", "'Folder of courses.'",
                                    "'the file is empty'", "f'{…} is unknown'"])


def test_the_script_scan_finds_words_a_script_shows_but_not_words_from_the_page(tmp_path):
    script = tmp_path / "x.js"
    script.write_text("""// "A comment" is never shown
var one = box.getAttribute("data-entry") || "entry";
var lang = document.documentElement.lang || "en";
status.textContent = count + " entries saved";
button.textContent = button.getAttribute("data-copied");
alert('Something went wrong');
link.setAttribute("aria-label", `Open ${name} in a new tab`);
link.setAttribute("aria-expanded", "false");
nav.classList.toggle("nav-folded", true);
el.innerHTML = data.qr;
var total = amount + " h";
""")
    found = [line.split(": ", 1)[1] for line in script_offenders([script])]
    assert found == ["'entry'", "' entries saved'", "'Something went wrong'", "'Open {…} in a new tab'"]


# --- The Spanish catalogue -----------------------------------------------------------------------

def test_the_spanish_catalogue_translates_every_entry():
    """An entry without a translation shows English on a Spanish page: translate it in es/messages.po."""
    with SPANISH_PO.open("rb") as source:
        catalogue = read_po(source, locale="es")
    untranslated = [m.id for m in catalogue if m.id and (
        not all(m.string) if isinstance(m.string, tuple | list) else not m.string)]
    shown = [repr(i if isinstance(i, str) else i[0]) for i in untranslated]
    assert not untranslated, f"{len(untranslated)} untranslated entries in es/messages.po:\n" + "\n".join(shown)

"""The languages the platform speaks, and which one each page, e-mail and document uses.

A page's language is, in order: the person's own setting, the choice an anonymous visitor
made with the language picker (kept in the session), the browser's ``Accept-Language``, and
the site default (``DEFAULT_LOCALE``). E-mails and documents about a person are written in
that person's language, whoever's request produces them: wrap them in ``for_user(user)``.
"""
import os
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, has_request_context, request, session
from flask_babel import force_locale, get_locale

# Each language by its code, named in itself so that anyone can find their own in the picker.
LANGUAGES = {"en": "English", "es": "Español"}
SESSION_KEY = "locale"


TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def N_(message):
    """Marks a text for translation where it is written; it is translated where it is used."""
    return message


class ConfigurationError(RuntimeError):
    """A setting the platform cannot start with, said in the site's default language.

    It is raised before the app and Flask-Babel are ready, so the message (marked with ``N_``) is
    translated here, straight from the catalogue, into ``DEFAULT_LOCALE``: the configuration's
    when it is known, otherwise the environment's, otherwise English.
    """

    def __init__(self, message, config=None, **values):
        from babel.support import Translations

        language = (known(str((config or {}).get("DEFAULT_LOCALE"))) or known(os.environ.get("DEFAULT_LOCALE"))
                    or "en")
        text = Translations.load(str(TRANSLATIONS), [language]).gettext(message)
        super().__init__(text % values if values else text)


def check_locales(config):
    """Refuse to start with a default language the platform does not speak."""
    default = str(config.get("DEFAULT_LOCALE", "en"))
    if default not in LANGUAGES:
        raise ConfigurationError(N_("DEFAULT_LOCALE must be one of %(languages)s, not %(value)r."), config,
                                 languages=", ".join(LANGUAGES), value=default)
    config["BABEL_DEFAULT_LOCALE"] = default


def known(code):
    """``code`` when it is a language the platform speaks, otherwise None."""
    return code if code in LANGUAGES else None


def default_locale():
    return current_app.config["DEFAULT_LOCALE"]


def user_locale(user):
    """The language to write to ``user`` in when there is no browser to ask: their setting or the default."""
    return known(getattr(user, "locale", None)) or default_locale()


def select_locale():
    """The language of the current request (see the module docstring for the order)."""
    from flask_login import current_user

    if not has_request_context():
        return default_locale()
    if current_user and current_user.is_authenticated and known(current_user.locale):
        return current_user.locale
    chosen = known(session.get(SESSION_KEY))
    if chosen:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or default_locale()


def current_language():
    """The two-letter code of the language in use, for ``<html lang>`` and content lookups."""
    locale = get_locale()
    return locale.language if locale is not None else default_locale()


@contextmanager
def for_user(user):
    """Render e-mails and PDFs about ``user`` in their language, whatever the request's."""
    with force_locale(user_locale(user)):
        yield


@contextmanager
def in_language(code):
    with force_locale(known(code) or default_locale()):
        yield


# --- Content written in English, read in the reader's language where a version exists -----------

CONTENT_LANGUAGE = "en"


def translation_of(item, language=None):
    """``item``'s version in ``language`` (default: the page's), or None when there is none or
    when the language is the one content is written in."""
    language = language or current_language()
    if language == CONTENT_LANGUAGE:
        return None
    return next((t for t in getattr(item, "translations", ()) if t.locale == language), None)


def localized(item, field):
    """One of ``item``'s texts (``"title"``, ``"summary"``, ...) in the reader's language when a
    version exists, otherwise as written."""
    version = translation_of(item)
    return getattr(version if version is not None else item, field)


def content_language(item):
    """The language ``item`` is shown in on this page: the reader's when a version exists."""
    return current_language() if translation_of(item) is not None else CONTENT_LANGUAGE


def organisation_name(language=None):
    """The organisation's name in ``language`` (default: the page's), for pages, e-mails and documents.

    ORGANISATION_NAME_ES names it in Spanish; without it, a name that was set is used as set in every
    language, and the default name is translated. Certificates and badges name their issuer as
    ORGANISATION_NAME, the name that stays the same wherever the certificate is checked."""
    from flask_babel import gettext

    from training.config import DEFAULT_ORGANISATION_NAME

    config, language = current_app.config, language or current_language()
    name = config["ORGANISATION_NAME"]
    if language == CONTENT_LANGUAGE:
        return name
    if config.get(f"ORGANISATION_NAME_{language.upper()}"):
        return config[f"ORGANISATION_NAME_{language.upper()}"]
    return gettext("Peer Recovery Training Programme") if name == DEFAULT_ORGANISATION_NAME else name


def language_name(code):
    """A language's name as the current page's language writes it in a sentence ("español", "Spanish")."""
    from babel import Locale

    return Locale.parse(code).get_language_name(current_language())


class WordsInLanguages:
    """Title, description and domain names in a language, from ``words(language)`` (a dict with
    any of "title", "description" and "domains"), falling back to the English attributes named
    by ``english_title`` and ``english_description``."""

    english_title = "title"
    english_description = "description"

    def title_in(self, language):
        return self.words(language).get("title") or getattr(self, self.english_title)

    def description_in(self, language):
        return self.words(language).get("description") or getattr(self, self.english_description)

    def domain_in(self, language, domain):
        return self.words(language).get("domains", {}).get(domain, domain)


def _translations():
    """The current catalogue, looked up once per language in force rather than once per string.

    A page calls gettext hundreds of times; Flask-Babel finds the catalogue anew on every call.
    The catalogue is kept beside the locale it belongs to, so ``force_locale`` and ``refresh``
    (which replace that locale) are followed at once.
    """
    from flask import g
    from flask_babel import get_translations

    state = g.get("_flask_babel") if g else None
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        return get_translations()
    kept = getattr(state, "fast_translations", None)
    if kept is None or kept[0] is not locale:
        kept = (locale, get_translations())
        state.fast_translations = kept
    return kept[1]


def install_template_gettext(app):
    """Templates translate through ``_translations`` (the same catalogues, found faster).

    ``_()`` and ``gettext()`` are called directly: Jinja's own pair reaches the catalogue through
    two further calls of the template context for every string, and a page says a few hundred."""
    from jinja2 import pass_context
    from markupsafe import Markup

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @pass_context
    def gettext(context, string, **variables):
        text = _translations().ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables  # as Jinja's: always a format string, so "%%" reads "%" everywhere

    app.jinja_env.globals.update(gettext=gettext, _=gettext)


# --- Texts worked out once and stored, read later by anyone -----------------------------------------

def in_every_language(render):
    """``{code: render()}`` with ``render`` called in each language the platform speaks.

    For a text a worker or a refresh writes once into the database and many people read later:
    storing it in every language lets each reader see their own without working it out again."""
    texts = {}
    for code in LANGUAGES:
        with in_language(code):
            texts[code] = str(render())
    return texts


def text_in(texts, language=None):
    """From ``{code: text}``: the text in ``language`` (default: the reader's), else in the site's
    language, else in any language stored; "" when there is none."""
    texts = texts or {}
    return (texts.get(language or current_language()) or texts.get(default_locale())
            or next((text for text in texts.values() if text), ""))

"""Command-line help and messages in the site's default language (``DEFAULT_LOCALE``).

The administration commands are written with ``lazy_gettext`` help texts and ``gettext`` messages.
Outside a request the platform's language is the site default, so all that a command needs is the
app's context while click writes its help, asks its questions and runs. Click freezes an option's
help when the option is made (at import, before any app exists): ``option`` keeps it lazy. Click's
own words around the help (``Usage:``, the section headings, the --help option, ``default:``) come
from the platform's catalogue too.
"""
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

# Click's section headings, by the English name click gives them.
HEADINGS = {"Options": _l("Options"), "Commands": _l("Commands"), "Positional arguments": _l("Arguments")}


@contextmanager
def app_language(ctx=None):
    """The app's context (and so its default language) around click's work, when none is active."""
    ctx = ctx or click.get_current_context(silent=True)
    info = ctx.find_object(ScriptInfo) if ctx is not None else None
    if current_app or info is None:
        yield
        return
    with info.load_app().app_context():
        yield


class HelpFormatter(click.HelpFormatter):
    def write_usage(self, prog, args="", prefix=None):
        super().write_usage(prog, args, prefix if prefix is not None else gettext("Usage:") + " ")

    def write_heading(self, heading):
        super().write_heading(str(HEADINGS.get(heading, heading)))


class Context(click.Context):
    formatter_class = HelpFormatter


class _LazyHelp:
    """A command's or option's help kept as given (a lazy string) and read as words.

    Click runs regular expressions over the help, which need a str; turned into words each time
    it is read, the help follows the language in force.
    """

    def __get__(self, owner, cls=None):
        if owner is None:
            return self
        value = owner.__dict__.get("_lazy_help")
        return None if value is None else str(value)

    def __set__(self, owner, value):
        owner.__dict__["_lazy_help"] = value


class _InDefaultLanguage:
    """What a command or a group writes for people, in the site's default language."""

    context_class = Context

    help = _LazyHelp()

    def parse_args(self, ctx, args):
        # --help and prompts happen while the arguments are read, before the command runs.
        with app_language(ctx):
            return super().parse_args(ctx, args)

    def get_help(self, ctx):
        with app_language(ctx):
            return super().get_help(ctx)

    def get_usage(self, ctx):
        with app_language(ctx):
            return super().get_usage(ctx)

    def get_short_help_str(self, limit=45):
        with app_language():
            return super().get_short_help_str(limit)

    def get_help_option(self, ctx):
        help_option = super().get_help_option(ctx)
        if help_option is not None:
            help_option.help = gettext("Show this message and exit.")
        return help_option


class Command(_InDefaultLanguage, click.Command):
    pass


class Group(_InDefaultLanguage, AppGroup):
    """An ``AppGroup`` whose commands speak the site's default language."""

    command_class = Command


class Option(click.Option):
    """An option whose help stays a lazy string until click writes it."""

    help = _LazyHelp()

    def __init__(self, *args, help=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.help = help

    def get_help_record(self, ctx):
        if self.hidden:
            return None
        extra = self.get_help_extra(ctx)
        notes = [gettext("default: %(value)s", value=extra["default"])] if "default" in extra else []
        notes += [extra["range"]] if "range" in extra else []
        notes += [gettext("required")] if "required" in extra else []
        text = self.help or ""
        if notes:
            text = f"{text}  [{'; '.join(notes)}]" if text else f"[{'; '.join(notes)}]"
        return self.get_help_spec(ctx), text


def option(*param_decls, **attrs):
    """``click.option`` with a help text translated when it is written."""
    return click.option(*param_decls, cls=Option, **attrs)


def password_option(*param_decls, **attrs):
    return click.password_option(*param_decls, cls=Option, prompt=_l("Password"),
                                 confirmation_prompt=_l("Repeat for confirmation"), **attrs)

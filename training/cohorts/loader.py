"""Read live-only trainings from ``trainings/<slug>.yaml`` and check them before anything is saved.

A file gives the training's title, a summary and its plan of sessions: each session's topic,
its length in hours and the hours a full attendance credits per credential domain. Under
``translations``, each other language (``es:``) may give the title, the summary and the
session topics in the plan's order. Every problem is reported with its file and line; one
bad file means nothing is loaded.
"""
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from training import audit
from training.cohorts.models import LiveTraining
from training.courses.loader import (
    SLUG_RE,
    ContentError,
    ContentErrors,
    _Document,
    _hours_to_minutes,
    _relative,
)
from training.db_types import utcnow
from training.extensions import db

KEYS = {"slug", "title", "summary", "sessions", "translations"}
TRANSLATION_KEYS = {"title", "summary", "topics"}
SESSION_KEYS = {"topic", "hours", "credits"}


def _session(doc, index, item):
    line = doc.line("sessions")
    where = f"sessions[{index + 1}]"
    if not isinstance(item, dict):
        doc.error(line, f"{where} must be a mapping with topic, hours and credits")
        return None
    for key in item:
        if key not in SESSION_KEYS:
            doc.error(line, f"{where}: unknown key '{key}' (allowed: {', '.join(sorted(SESSION_KEYS))})")
    topic = item.get("topic")
    if not isinstance(topic, str) or not topic.strip() or len(topic) > 200:
        doc.error(line, f"{where}.topic must be text of at most 200 characters")
        return None
    minutes = _hours_to_minutes(item.get("hours"))
    if minutes is None or minutes > 24 * 60:
        doc.error(line, f"{where}.hours must be a positive number of quarter hours, at most 24")
        return None
    credits = {}
    raw = item.get("credits")
    if not isinstance(raw, dict) or not raw:
        doc.error(line, f"{where}.credits must map each domain to the hours a full attendance credits")
        return None
    for domain, value in raw.items():
        credit = _hours_to_minutes(value)
        if not isinstance(domain, str) or not domain.strip() or credit is None:
            doc.error(line, f"{where}.credits: hours for '{domain}' must be a positive number in quarter hours")
            return None
        credits[domain.strip()] = credit
    if sum(credits.values()) > minutes:
        doc.error(line, f"{where} credits {sum(credits.values()) / 60:g} hours but lasts only {minutes / 60:g}")
        return None
    return {"topic": topic.strip(), "minutes": minutes, "credits": credits}


def _translations(doc, sessions):
    """The ``translations`` mapping checked: {language: {"title", "summary", "topics"}}."""
    from training.i18n import CONTENT_LANGUAGE, LANGUAGES

    raw = doc.data.get("translations")
    if raw is None:
        return {}
    line = doc.line("translations")
    others = sorted(set(LANGUAGES) - {CONTENT_LANGUAGE})
    if not isinstance(raw, dict):
        doc.error(line, f"'translations' must map a language ({', '.join(others)}) to its title, summary and topics")
        return None
    result = {}
    for language, words in raw.items():
        where = f"translations.{language}"
        if language not in others:
            doc.error(line, f"{where}: unknown language (allowed: {', '.join(others)})")
            continue
        if not isinstance(words, dict) or not isinstance(words.get("title"), str) or not words["title"].strip():
            doc.error(line, f"{where} must give at least the title as text")
            continue
        unknown = sorted(set(words) - TRANSLATION_KEYS)
        if unknown:
            doc.error(line, f"{where}: unknown key '{unknown[0]}' (allowed: {', '.join(sorted(TRANSLATION_KEYS))})")
            continue
        summary, topics = words.get("summary") or "", words.get("topics") or []
        if not isinstance(summary, str):
            doc.error(line, f"{where}.summary must be text")
            continue
        if not isinstance(topics, list) or any(not isinstance(t, str) or not t.strip() or len(t) > 200
                                                for t in topics):
            doc.error(line, f"{where}.topics must be a list of texts of at most 200 characters")
            continue
        if topics and len(topics) != len(sessions):
            doc.error(line, f"{where}.topics must give one topic for each of the {len(sessions)} sessions, "
                            f"in the same order")
            continue
        result[language] = {"title": words["title"].strip(), "summary": summary.strip(),
                            "topics": [t.strip() for t in topics]}
    return result


def _load_file(path, root, errors):
    shown = _relative(path, root)
    doc = _Document(path.read_text(encoding="utf-8"), shown, 1, errors)
    if doc.data is None:
        return None
    doc.check_keys(KEYS, {"title", "sessions"})
    slug = doc.data.get("slug", path.stem)
    if slug != path.stem or not SLUG_RE.match(path.stem):
        doc.error(doc.line("slug"), f"slug must be lowercase-hyphenated and match the file name '{path.stem}'")
    title = doc.text("title")
    summary = doc.text("summary", required=False)
    raw = doc.data.get("sessions")
    if not isinstance(raw, list) or not raw:
        doc.error(doc.line("sessions"), "'sessions' must be a non-empty list")
        return None
    sessions = [_session(doc, i, item) for i, item in enumerate(raw)]
    translations = _translations(doc, raw)
    if title is None or None in sessions or translations is None:
        return None
    return {"slug": path.stem, "title": title, "summary": summary or "", "sessions": sessions,
            "translations": translations, "source_path": shown}


def load_trainings(root):
    """Read and check every ``*.yaml`` under ``root``; raise ContentErrors listing every problem."""
    root = Path(root)
    if not root.is_dir():
        raise ContentErrors([ContentError(str(root), 1, _("trainings folder not found"))])
    errors, items = [], []
    for path in sorted(root.glob("*.yaml")):
        item = _load_file(path, root, errors)
        if item:
            items.append(item)
    if errors:
        raise ContentErrors(errors)
    return items


def sync_trainings(root, actor=None):
    """Create, update and hide live trainings to match the files; idempotent.

    Returns (created, updated, hidden) counts. Cohorts keep the sessions they were given:
    a change to a file shapes only the sessions of cohorts created afterwards.
    """
    items = load_trainings(root)
    existing = {t.slug: t for t in db.session.scalars(select(LiveTraining))}
    created = updated = hidden = 0
    for item in items:
        training = existing.pop(item["slug"], None)
        values = {**item, "active": True}
        if training is None:
            db.session.add(LiveTraining(**values))
            created += 1
        elif any(getattr(training, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(training, key, value)
            training.synced_at = utcnow()
            updated += 1
    for training in existing.values():
        if training.active:
            training.active = False
            hidden += 1
    if created or updated or hidden:
        audit.record("trainings.synced", actor=actor, created=created, updated=updated, hidden=hidden)
    db.session.commit()
    return created, updated, hidden

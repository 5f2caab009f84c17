"""Pieces of pages kept rendered in this process, for pages read far more often than what they show
changes.

A piece is kept under a key that names everything it shows, so a change to any of it (a revocation,
the reader's language) is a different key and never an out-of-date piece. The least recently used
pieces make way when a cache is full.
"""
from threading import Lock

from cachetools import LRUCache
from flask import current_app
from markupsafe import Markup


class Fragments:
    def __init__(self, size):
        self._kept = LRUCache(size)
        self._lock = Lock()  # the development server answers requests in threads

    def get(self, key, render):
        """The piece kept under ``key``, rendered by ``render()`` the first time it is asked for."""
        with self._lock:
            piece = self._kept.get(key)
        if piece is None:
            piece = render()
            with self._lock:
                self._kept[key] = piece
        return piece


def fragments(name, size=1024):
    """The application's cache of pieces called ``name`` (made on first use, holding ``size``)."""
    kept = current_app.extensions.setdefault("training.fragments", {})
    cache = kept.get(name)
    if cache is None:
        cache = kept.setdefault(name, Fragments(size))
    return cache


def kept_markup(name, key, render):
    """``fragments(name).get(key, render)`` for HTML: the rendered text as Markup."""
    return fragments(name).get(key, lambda: Markup(render()))

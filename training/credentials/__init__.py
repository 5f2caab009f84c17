"""Credentials: their domains and requirements, loaded from ``certificates/credentials/``."""

"""Credentials: definitions, their rules and their evaluation, enrolments and evidence.

The blueprint lives in ``views`` and is imported by the factory only, so that the rest of
the platform can import the evaluation without pulling in pages.
"""

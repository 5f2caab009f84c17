"""Rows kept in step with others in the same commit: the trainees a commit touches are noted as
rows are flushed and as bulk statements run, and handled once before the commit ends.

``KeptInStep`` is given what to watch and what to do; ``training.supervision.summary`` (hour
totals) and ``training.supervision.assessments`` (burnout levels) each make one.
"""
from sqlalchemy import event

from training.extensions import db


class KeptInStep:
    """Note the trainees a commit changes, then call ``update(ids, session)`` before it ends, or
    ``update_everyone(session)`` when a change could concern anyone.

    ``affected(session)`` names the trainees behind the flushed rows (None for everyone).
    ``tables`` maps each watched table to the column naming the trainee of a row: a bulk INSERT
    that gives that column for every row notes them; any other bulk statement on the table
    concerns everyone. A table mapped to None concerns everyone on UPDATE or DELETE only.
    """

    def __init__(self, name, affected, tables, update, update_everyone):
        self.pending, self.everyone = f"{name}_pending", f"{name}_everyone"
        self.affected, self.tables = affected, tables
        self.update, self.update_everyone = update, update_everyone

    def note(self, session, ids):
        if ids is None:
            session.info[self.everyone] = True
        elif ids:
            session.info.setdefault(self.pending, set()).update(ids)

    def after_flush(self, session, flush_context):
        self.note(session, self.affected(session))

    def bulk_statement(self, state):
        table = getattr(getattr(state.statement, "table", None), "name", None)
        if state.is_select or table not in self.tables:
            return
        column = self.tables[table]
        if column is None:
            if not state.is_insert:  # a new row there changes nothing already kept
                self.note(state.session, None)
            return
        rows = state.parameters if isinstance(state.parameters, list) else [state.parameters or {}]
        if state.is_insert and rows and all(column in row for row in rows):
            self.note(state.session, {row[column] for row in rows})
        else:
            self.note(state.session, None)

    def before_commit(self, session):
        session.flush()
        everyone = session.info.pop(self.everyone, False)
        pending = session.info.pop(self.pending, set())
        if everyone:
            self.update_everyone(session)
        elif pending:
            self.update(pending, session)

    def forget(self, session, previous_transaction=None):
        session.info.pop(self.pending, None)
        session.info.pop(self.everyone, None)

    def install(self):
        """Listen to every commit of the app's sessions (called once by the factory)."""
        if not event.contains(db.session, "after_flush", self.after_flush):
            event.listen(db.session, "after_flush", self.after_flush)
            event.listen(db.session, "do_orm_execute", self.bulk_statement)
            event.listen(db.session, "before_commit", self.before_commit)
            event.listen(db.session, "after_soft_rollback", self.forget)

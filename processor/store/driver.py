"""Statements that stand alone, each committed by itself, sent on the pool's driver connection directly.

`run_alone(engine, statement, params)` is `db.autocommit` plus `conn.execute` for one statement, at
two thirds of its client CPU on PostgreSQL: SQLAlchemy's Connection spends ~110 µs a statement more
on its execution context, events and isolation-level switching (326 against 219 µs, a bare psycopg
round trip 135 µs: bench/store_statement_cpu.py), and a refund flow sends eleven such statements
(bench/README.md).

On PostgreSQL the Core statement is compiled once per process by SQLAlchemy (its SQL, and the bind
and result processors of its column types, so values go in and come out exactly as through Core)
and sent on a pooled psycopg connection switched to autocommit for it. The pool's checkout is the
same as everyone's (a connection idle for a while is pinged first, db.PING_AFTER_IDLE_SECONDS), and
driver errors are raised as SQLAlchemy raises them: wrapped in `sqlalchemy.exc.DBAPIError`'s
subclass, a lost connection invalidated with the pool's older ones. `before_cursor_execute`
listeners hear of each statement (with no Connection and no context), so statement counters still
count. Other backends (the embedded SQLite store) run it through `db.autocommit`, a transaction
begun IMMEDIATE as every write there is.

Only statements whose parameters are plain binds go this way: an `IN` with an expanding bind is
rendered per call by SQLAlchemy, so it is refused here (use `= ANY(array)` on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Dialect, Engine, Executable
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from processor.store.db import autocommit


@dataclass(frozen=True, slots=True)
class Ran:
    """What one statement gave: its rows (tuples, in the statement's column order) and its rowcount."""

    rows: list[tuple[Any, ...]]
    rowcount: int

    def first(self) -> tuple[Any, ...] | None:
        """The first row, or None."""
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        """The first column of the first row, or None when there is no row."""
        return self.rows[0][0] if self.rows else None


def run_alone(engine: Engine, statement: Executable, params: Mapping[str, Any] | None = None) -> Ran:
    """Run one statement that stands alone and commit it; its rows and rowcount (see the module)."""
    if engine.dialect.name != "postgresql":
        with autocommit(engine) as conn:
            result = conn.execute(statement, dict(params or {}))
            rows = [tuple(row) for row in result] if result.returns_rows else []
            return Ran(rows, result.rowcount)
    params = params or {}
    return _compiled(engine.dialect, statement, tuple(params)).run(engine, params)


Processor = Callable[[Any], Any]


class _DriverStatement:
    """A Core statement compiled for one dialect: its SQL and the processors of its binds and columns."""

    def __init__(self, dialect: Dialect, statement: Executable, names: tuple[str, ...]) -> None:
        # An INSERT or UPDATE without .values() writes the columns it is given, as through Core.
        element = cast(ClauseElement, statement)
        compiled = cast(SQLCompiler, element.compile(dialect=dialect, column_keys=list(names)))
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("run_alone: an expanding IN is rendered per call; use = ANY(array)")
        self.statement = statement  # kept so that its id() is not reused while this is cached
        self.sql = compiled.string
        self._compiled = compiled
        self._binds: dict[str, Processor] = {}
        for name, process in compiled._bind_processors.items():
            if not callable(process):  # a tuple's processors, one per element
                raise ValueError("run_alone: a tuple bind is rendered per call by SQLAlchemy")
            self._binds[name] = process
        processors = [
            column[3]._cached_result_processor(dialect, None) for column in compiled._result_columns or ()
        ]
        self._results: list[Any] | None = processors if any(processors) else None

    def parameters(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The driver's parameters: the statement's own literals and `params`, each processed."""
        values: dict[str, Any] = dict(self._compiled.construct_params(dict(params)) or {})
        for name, process in self._binds.items():
            if name in values:
                values[name] = process(values[name])
        return values

    def run(self, engine: Engine, params: Mapping[str, Any]) -> Ran:
        values = self.parameters(params)
        loaded = engine.dialect.loaded_dbapi
        try:
            fairy = engine.raw_connection()
        except loaded.Error as exc:  # the server is not there: as Engine.connect() reports it
            disconnect = engine.dialect.is_disconnect(exc, None, None)
            raise self._error(engine, values, exc, disconnect) from exc
        try:
            ran = self._send(engine, fairy, values)
        finally:
            fairy.close()  # back to the pool (an invalidated one is discarded there)
        return ran

    def _send(self, engine: Engine, fairy: Any, values: dict[str, Any]) -> Ran:
        dbapi = fairy.dbapi_connection
        cursor = None
        try:
            dbapi.autocommit = True
            cursor = dbapi.cursor()
            if engine._has_events:  # a statement counter (bench/processing/profile_refund)
                engine.dispatch.before_cursor_execute(None, cursor, self.sql, values, None, False)
            cursor.execute(self.sql, values)
            raw = cursor.fetchall() if cursor.description is not None else []
            ran = Ran(self._processed(raw), cursor.rowcount)
            cursor.close()
            dbapi.autocommit = False  # the pool's next user gets a transaction
            return ran
        except engine.dialect.loaded_dbapi.Error as exc:
            disconnect = engine.dialect.is_disconnect(exc, dbapi, cursor)
            if disconnect:  # as SQLAlchemy does: this connection and the pool's older ones go
                engine.pool._invalidate(fairy, exc)
            else:  # a refused statement leaves the connection idle and usable
                try:
                    dbapi.autocommit = False
                except engine.dialect.loaded_dbapi.Error:
                    fairy.invalidate(exc)  # in no state to hand on: the pool opens another
            raise self._error(engine, values, exc, disconnect) from exc
        except BaseException:  # stopped midway (a time limit raised into the call, a bug): the
            fairy.invalidate()  # connection's state is unknown, and it may still be in autocommit
            raise

    def _processed(self, raw: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if self._results is None:
            return raw
        processors = self._results
        return [
            tuple(value if p is None else p(value) for p, value in zip(processors, row, strict=True))
            for row in raw
        ]

    def _error(
        self, engine: Engine, values: dict[str, Any], exc: Exception, disconnect: bool
    ) -> StatementError:
        return DBAPIError.instance(
            self.sql,
            values,
            exc,
            engine.dialect.loaded_dbapi.Error,
            hide_parameters=engine.hide_parameters,
            connection_invalidated=disconnect,
            dialect=engine.dialect,
        )


_statements: dict[tuple[str, int, tuple[str, ...]], _DriverStatement] = {}
CACHED_STATEMENTS = 256  # far above the hot path's dozen; a caller building statements per call
# would otherwise grow the cache (and recompile: such callers belong on db.autocommit)


def _compiled(dialect: Dialect, statement: Executable, names: tuple[str, ...]) -> _DriverStatement:
    """The statement compiled for `dialect` and these parameter names, once per process (statements
    are module constants)."""
    key = (dialect.name, id(statement), names)
    found = _statements.get(key)
    if found is None or found.statement is not statement:
        if len(_statements) >= CACHED_STATEMENTS:
            _statements.clear()
        found = _statements[key] = _DriverStatement(dialect, statement, names)
    return found

"""The write DB's schema over time: Alembic migrations in migrations/versions/ (repo root).

- `upgrade(engine)`: bring any database to the newest migration, then make sure the singleton rows
  exist (log head, store identity). `./ripple run`, `./ripple prod` and `flask --app app init-db`
  run it. A database made by `create_all` before Ripple had migrations is recognised and stamped
  with the first migration (which is exactly that schema) before upgrading.
- `backend.write.models.init_db(engine)`: a brand-new database in one shot, `create_all` + stamp
  head. The in-process tests and benchmarks use it because it is fast; tests/integration/
  test_migrations.py proves that upgrading an empty database yields the models' schema exactly, so
  both paths make the same database.
"""
import functools
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from backend.config import ROOT
from backend.write.models import ensure_singleton_rows

MIGRATIONS = ROOT / "migrations"
BASELINE = "0001"  # the first migration: the schema `create_all` made before there were migrations
_PG_LOCK = 0x52_69_70_70  # pg_advisory_xact_lock key: two hosts upgrading at once take turns


def alembic_config(connection=None) -> AlembicConfig:
    """Alembic's Config for programmatic use: no ini file (so no logging set-up in our process);
    with `connection`, env.py runs the migrations on it, inside the caller's transaction."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    return script_directory().get_current_head()


def current(connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine) -> None:
    """Migrate to head (idempotent), then ensure the singleton rows."""
    _make_sqlite_dir(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        cfg = alembic_config(conn)
        if current(conn) is None and inspect(conn).has_table("log_head"):
            command.stamp(cfg, BASELINE)  # made by create_all before migrations existed
        command.upgrade(cfg, "head")
    ensure_singleton_rows(engine)


def _make_sqlite_dir(engine) -> None:
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)

"""Alembic's environment for Ripple's write DB.

The target is the models' metadata (backend/write/models.py). The database is, in this order: the
connection a caller passes in `config.attributes["connection"]` (backend/write/schema.py does, so a
migration shares the caller's transaction and lock), else DATABASE_URL through backend/config.py.
SQLite cannot ALTER most things in place, so migrations are rendered in batch mode there.
"""
from logging.config import fileConfig

from alembic import context

from backend.config import database_url_from_env
from backend.write.models import Base, make_engine

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and not config.attributes.get("connection"):
    fileConfig(config.config_file_name)  # the `alembic` command line only: never inside Ripple


def run_on(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL for a DBA instead of running it."""
    context.configure(url=database_url_from_env(), target_metadata=target_metadata,
                      literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
elif (shared := config.attributes.get("connection")) is not None:
    run_on(shared)
else:
    engine = make_engine(database_url_from_env())
    try:
        with engine.connect() as conn:
            run_on(conn)
            conn.commit()
    finally:
        engine.dispose()

"""Fixtures shared by every tier: a private Redis, a throw-away write DB, built services."""
import os
import shutil
import uuid

import pytest
import sqlalchemy as sa

from backend.config import Config
from backend.services import build_services
from backend.write.models import init_db
from tests.pg_server import PgServer, answers
from tests.support import CHROMIUM_FLAGS, RedisServer, sqlite_url

PG_URL = os.environ.get("RIPPLE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches Debian's Chromium (Playwright cannot download browsers here)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Debian's chromium is not installed (./ripple test installs it)")
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_admin_url():
    """PostgreSQL for this run: RIPPLE_TEST_PG_URL when a server answers there, else a throw-away
    server of our own (tests/pg_server.py). Never a skip: the PostgreSQL runs always run."""
    if answers(PG_URL):
        yield PG_URL
        return
    server = PgServer().start()
    print(f"\n[tests] no PostgreSQL at {PG_URL}: started a throw-away one on port {server.port}")
    yield server.url
    server.stop()


@pytest.fixture
def pg_database_url(pg_admin_url):
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    name = f"ripple_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return request.getfixturevalue("pg_database_url")


def make_config(redis_url: str, database_url: str, **overrides) -> Config:
    values = dict(redis_url=redis_url, database_url=database_url, secret_key="test-secret",
                  ratelimit_enabled=False, testing=True)
    values.update(overrides)
    return Config(**values)


@pytest.fixture
def config(redis_server, database_url):
    import redis
    redis.Redis.from_url(redis_server.url).flushall()
    return make_config(redis_server.url, database_url)


@pytest.fixture
def services(config):
    svc = build_services(config)
    init_db(svc.engine)
    yield svc
    svc.engine.dispose()

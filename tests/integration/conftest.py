"""Integration tier: real Redis, real write DB (SQLite and PostgreSQL), a real RQ worker."""
import pytest
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from tests.support import sqlite_url
from worker import jobs
from worker.emitter import make_emitter


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return request.getfixturevalue("pg_database_url")


@pytest.fixture
def worker_context(services):
    emitter = make_emitter(services.config.redis_url, services.config.socketio_channel)
    ctx = jobs.WorkerContext(services, emitter)
    jobs.use_context(ctx)
    yield ctx
    jobs.use_context(None)


@pytest.fixture
def run_worker(services, worker_context):
    """Run a real RQ SimpleWorker in this process until the queue is empty."""
    def run():
        worker = SimpleWorker([services.queue], connection=services.rq_redis,
                              serializer=JSONSerializer)
        worker.work(burst=True, logging_level="WARNING")
    return run


@pytest.fixture
def app(services):
    from backend import create_app
    application = create_app(services.config)
    application.extensions["ripple"] = services
    return application


@pytest.fixture
def client(app):
    return app.test_client()

"""Read models belong to one write DB: the same Redis pointed at another DATABASE_URL must not mix
the two (a demo restarted with a new SQLite file, a staging DB swapped in)."""
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from backend import create_app
from backend.read.projections import STORE
from backend.services import build_services
from backend.write.models import init_db
from tests.conftest import make_config
from tests.support import new_command, read_models_snapshot, sign_up, sqlite_url
from worker import jobs


def _client(svc):
    app = create_app(svc.config)
    app.extensions["ripple"] = svc
    return app.test_client()


def _post(client, run_worker_for, svc, handle, body):
    sign_up(client, handle)
    cmd = new_command(body=body)
    assert client.post("/api/commands", json=cmd).status_code == 202
    run_worker_for(svc)


def test_a_second_write_db_on_the_same_redis_gets_its_own_read_models(
        services, tmp_path, worker_context):
    def run_worker_for(svc):  # the real RQ worker, with the clients of the given write DB
        jobs.use_context(jobs.WorkerContext(svc, worker_context.emitter))
        SimpleWorker([svc.queue], connection=svc.rq_redis, serializer=JSONSerializer).work(
            burst=True, logging_level="WARNING")

    first = _client(services)
    _post(first, run_worker_for, services, "alice", "from the first DB")
    assert services.redis.get(STORE)

    other = build_services(make_config(services.config.redis_url, sqlite_url(tmp_path)))
    init_db(other.engine)
    second = _client(other)
    timeline = second.get("/api/timeline").get_json()
    assert timeline["posts"] == [] and timeline["version"] == 0  # not the first DB's posts
    assert second.get("/api/users/alice").status_code == 404

    _post(second, run_worker_for, other, "bob", "from the second DB")
    bodies = [p["body"] for p in second.get("/api/timeline").get_json()["posts"]]
    assert bodies == ["from the second DB"]
    live = read_models_snapshot(other.redis)
    other.projector.rebuild()
    assert read_models_snapshot(other.redis) == live
    other.engine.dispose()

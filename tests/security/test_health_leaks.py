"""Issue 11 item 7: /healthz is public, so it reports failures as error codes only; the exception
text (which names hosts, ports, paths) goes to the server log."""
import json
import logging

import pytest

from backend import create_app
from backend.services import build_services
from backend.write.models import init_db
from tests.conftest import make_config
from tests.support import RedisServer, free_port


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_healthz_names_error_codes_never_exception_text(database_url, caplog):
    redis_server = RedisServer().start()
    db_port, redis_port = free_port(), redis_server.port
    config = make_config(redis_server.url, database_url)
    init_db(build_services(config).engine)
    app = create_app(config)
    dead_db = make_config(redis_server.url,
                          f"postgresql+psycopg://ripple:secret@127.0.0.1:{db_port}/ripple")
    app.extensions["ripple"] = build_services(dead_db)  # a DB that refuses connections
    client = app.test_client()
    try:
        redis_server.stop()
        with caplog.at_level(logging.WARNING):
            r = client.get("/healthz")
        assert r.status_code == 503
        report = r.get_json()
        assert report["redis"] == {"ok": False, "error": "redis_unavailable"}
        assert report["db"] == {"ok": False, "error": "db_unavailable"}
        text = json.dumps(report)
        for leak in (str(db_port), str(redis_port), "127.0.0.1", "Error", "refused", "ripple:"):
            assert leak not in text, leak
        assert str(db_port) in caplog.text and str(redis_port) in caplog.text  # logged instead
    finally:
        redis_server.stop()

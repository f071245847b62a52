"""Gunicorn settings for `./ripple prod` (loaded with --config python:backend.gunicorn_conf).

Gunicorn names itself in a `Server:` header on every response, its own error pages included; the
software running a site is nobody's business, so it says "ripple" instead.

Once a worker has loaded the app, its startup heap (~136,000 objects: Flask, SQLAlchemy, the
app) lives as long as the process; `gc.freeze()` takes it out of the collector's walk. Without it
every full collection (every few seconds under load) walked it all: ~100 ms of CPU, 300+ ms on a
busy machine, during which a gevent process answers nothing (bench/reads_load.py saw these pauses
set the read p99).
"""
import gc

import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "ripple"


def post_worker_init(_worker) -> None:
    gc.collect()  # garbage from start-up is freed, not frozen
    gc.freeze()

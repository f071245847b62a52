"""The web process freezes its startup heap once the app is loaded (backend/gunicorn_conf.py).

Measured (bench/reads_load.py, the query process's `X-Bench-GC-Us`): without it, a full garbage
collection walks the ~136,000 objects of the loaded app, ~100 ms of CPU (300+ ms on a busy
machine) during which the process answers nothing: one such pause in a window set the read p99."""
import gc

from backend import gunicorn_conf


def test_post_worker_init_freezes_the_loaded_app():
    gc.unfreeze()
    try:
        junk = [[i] for i in range(1000)]
        gunicorn_conf.post_worker_init(None)
        assert gc.get_freeze_count() > len(junk)  # the startup objects are out of the GC's walk
    finally:
        gc.unfreeze()

"""The supervisord configuration `./ripple prod` runs (backend/prod.py): built, not started."""
from pathlib import Path

from backend.config import ProdConfig
from backend.prod import STOP_TIMEOUT_S, supervisord_config


def test_one_program_per_web_port_and_per_worker_restarted_with_backoff():
    prod = ProdConfig(port=8000, web_processes=2, rq_workers=3, start_secs=12, start_retries=7)
    conf = supervisord_config(prod, Path("/run/ripple"))
    programs = [s.split(":", 1)[1] for s in conf.sections() if s.startswith("program:")]
    assert programs == ["web-8000", "web-8001", "worker-0", "worker-1", "worker-2"]
    assert "--bind 127.0.0.1:8001" in conf["program:web-8001"]["command"]
    assert "--worker-class gevent" in conf["program:web-8000"]["command"]
    assert " -m worker --name prod-" in conf["program:worker-2"]["command"]
    # the workers yield the CPU to the web processes (config: RIPPLE_WORKER_NICE, default 10)
    assert conf["program:worker-2"]["command"].startswith("nice -n 10 ")
    assert not conf["program:web-8000"]["command"].startswith("nice")
    for name in programs:
        section = conf[f"program:{name}"]
        assert section["autorestart"] == "true"
        assert (section["startsecs"], section["startretries"]) == ("12", "7")
        assert (section["stopsignal"], section["stopwaitsecs"]) == ("TERM", str(STOP_TIMEOUT_S))
    assert conf["eventlistener:fatal"]["events"] == "PROCESS_STATE_FATAL"
    assert conf["supervisord"]["nodaemon"] == "true"
    assert conf["supervisorctl"]["serverurl"] == "unix:///run/ripple/supervisor.sock"


def test_threading_mode_and_percent_signs_survive_supervisord_expansion():
    conf = supervisord_config(ProdConfig(async_mode="threading", threads=64), Path("/tmp/50%"))
    assert "--worker-class gthread --threads 64" in conf["program:web-8000"]["command"]
    assert conf["supervisord"]["logfile"] == "/tmp/50%%/supervisord.log"


def test_the_workers_nice_level_is_a_setting_and_0_runs_them_plain(monkeypatch):
    monkeypatch.setenv("RIPPLE_WORKER_NICE", "0")
    conf = supervisord_config(ProdConfig.from_env(), Path("/run/ripple"))
    assert not conf["program:worker-0"]["command"].startswith("nice")
    monkeypatch.setenv("RIPPLE_WORKER_NICE", "5")
    conf = supervisord_config(ProdConfig.from_env(), Path("/run/ripple"))
    assert conf["program:worker-0"]["command"].startswith("nice -n 5 ")

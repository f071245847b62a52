"""Scale-out proof: the production launcher runs two web processes (gunicorn, ports A and B) and two
RQ workers sharing one Redis and one PostgreSQL database. A browser on A posts, a browser on B sees
it live; a burst of commands, each delivered to BOTH servers, is applied exactly once."""
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests
from playwright.sync_api import expect
from rq import Worker
from sqlalchemy import create_engine, func, select

from backend.write.models import Event, Post
from tests.support import (PYTHON, Proc, RedisServer, logged_in_page, new_command, process_env,
                           signup, wait_for)

pytestmark = pytest.mark.postgres
BURST = 30


def two_free_ports() -> int:
    """A port p with p and p+1 both free (the launcher binds WEB_PORT, WEB_PORT+1)."""
    for _ in range(50):
        with socket.socket() as a, socket.socket() as b:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            try:
                b.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports")


@pytest.fixture
def cluster(pg_database_url, tmp_path):
    redis_server = RedisServer().start()
    port = two_free_ports()
    env = process_env(redis_server.url, pg_database_url, WEB_PORT=port, WEB_PROCESSES=2,
                      RQ_WORKERS=2, RIPPLE_ASYNC_MODE="gevent", RIPPLE_RUN_DIR=tmp_path / "run",
                      RIPPLE_SECURE_COOKIES="0")  # plain HTTP here: production cookies are Secure
    # an empty database: the launcher migrates it before starting anything
    prod = Proc([PYTHON, "-m", "backend.prod"], env, tmp_path / "prod.log").start()
    bases = [f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"]
    try:
        for base in bases:
            wait_for(lambda b=base: requests.get(b + "/healthz", timeout=2).ok, timeout=60,
                     what=f"web process {base}")
        yield bases, prod, redis_server, pg_database_url
    finally:
        prod.stop(timeout=20)
        redis_server.stop()


def live_page(browser, base):
    page = logged_in_page(browser.new_context(base_url=base))
    page.goto("/explore")
    expect(page.locator("#connection")).to_have_text("live", timeout=15000)
    return page


def send_everywhere(bases, session, cmd):
    """The same command to both servers (a client retrying through another process)."""
    return [session.post(f"{b}/api/commands", json=cmd, timeout=20).status_code for b in bases]


def test_post_on_a_is_live_on_b_and_no_command_lost_or_doubled(cluster, browser):
    bases, prod, redis_server, db_url = cluster
    page_a, page_b = live_page(browser, bases[0]), live_page(browser, bases[1])

    page_a.fill("#composer-body", "hello from server A")
    page_a.click("#post-button")
    seen_on_b = page_b.locator("li.post", has_text="hello from server A")
    expect(seen_on_b).to_have_count(1, timeout=15000)  # live: page B never reloads
    expect(page_a.locator("li.post", has_text="hello from server A")).not_to_have_class(
        "post pending", timeout=15000)

    author = signup(bases[1])
    commands = [new_command(body=f"burst {i} {uuid.uuid4().hex[:6]}") for i in range(BURST)]
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda c: send_everywhere(bases, author, c), commands))
    assert all(c == [202, 202] for c in codes), codes

    def all_succeeded():
        statuses = [author.get(f"{bases[i % 2]}/api/commands/{c['command_id']}", timeout=5).json()
                    for i, c in enumerate(commands)]
        return all(s.get("status") == "succeeded" for s in statuses)
    wait_for(all_succeeded, timeout=60, interval=0.5, what="every burst command applied")

    engine = create_engine(db_url)
    with engine.connect() as conn:
        bodies = conn.execute(select(Post.body)).scalars().all()
        per_command = conn.execute(select(Event.command_id, func.count()).where(
            Event.type == "post_created").group_by(Event.command_id)).all()
    engine.dispose()
    expected = ["hello from server A"] + [c["payload"]["body"] for c in commands]
    assert sorted(bodies) == sorted(expected)
    assert len(per_command) == BURST + 1 and all(n == 1 for _, n in per_command)

    timeline = requests.get(f"{bases[0]}/api/timeline?limit=100", timeout=5).json()
    assert sorted(p["body"] for p in timeline["posts"]) == sorted(bodies)
    profile = requests.get(f"{bases[1]}/api/users/{author.handle}", timeout=5).json()
    assert profile["user"]["posts"] == BURST  # a counter: each event projected exactly once
    health = requests.get(f"{bases[1]}/healthz", timeout=5).json()
    assert (health["queue_depth"], health["read_model_lag"]) == (0, 0)
    expect(page_b.locator("li.post", has_text="burst ")).to_have_count(BURST, timeout=15000)

    workers = Worker.all(connection=redis.Redis.from_url(redis_server.url))
    assert len(workers) == 2
    # Both workers serve the queue; drain jobs, not commands, so how the 31 commands split between
    # them is up to timing (one drain job may take them all).
    assert sum(w.successful_job_count for w in workers) >= 1
    assert not page_a.errors and not page_b.errors

    prod.proc.send_signal(15)  # SIGTERM: supervisord stops every child, the launcher exits cleanly
    assert prod.proc.wait(30) == 0
    wait_for(lambda: not Worker.all(connection=redis.Redis.from_url(redis_server.url)),
             timeout=10, what="workers unregistered")

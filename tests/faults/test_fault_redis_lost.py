"""Scenario 2: Redis restarted empty in the middle of a stream (queue, outcomes, read models gone).

The web server and the workers keep running (they must reconnect by themselves); the read models come
back by themselves (whoever finds the checkpoint missing replays the event log); commands accepted but
lost with the queue are sent again by the clients that still hold them as pending (same command_id),
and each ends applied exactly once.
"""
import signal
import threading
import time

from playwright.sync_api import expect

from tests.faults.checks import Figures, exactly_once, rebuild_differences, report
from tests.faults.clients import Client, accepted_by_author, command
from tests.faults.harness import settle
from tests.support import logged_in_page, wait_for

CLIENTS = 4
PER_CLIENT = 100
SEND_INTERVAL_S = 0.15


def run_client(client: Client, stop: threading.Event):
    """Send the stream, then keep the watchdog going (an open tab) until told to stop."""
    for i in range(PER_CLIENT):
        client.submit(command("create_post", body=f"post {client.handle} #{i} {time.time()}"))
        if i % 5 == 4:
            client.watchdog()
        time.sleep(SEND_INTERVAL_S)
    client.stream_done = True
    while not stop.is_set():
        client.watchdog()
        time.sleep(0.3)


def all_confirmed(clients, ids=None) -> bool:
    """Every (given) accepted command has an outcome at its client, and nothing is left unsent."""
    return all(not c.unsent and all(cid in c.outcomes for cid in c.accepted
                                    if ids is None or cid in ids) for c in clients)


def hold_workers(stack, seconds: float) -> None:
    """SIGSTOP the workers for a moment (slow workers): a backlog builds up in the queue, so the
    restart surely loses accepted commands."""
    for w in stack.workers:
        w.proc.send_signal(signal.SIGSTOP)
    time.sleep(seconds)


def release_workers(stack) -> None:
    for w in stack.workers:
        w.proc.send_signal(signal.SIGCONT)


def test_redis_restarted_empty_mid_stream(fault_stack):
    stack = fault_stack(workers=2)
    stack.wait_workers_ready()
    clients = [Client(stack.base) for _ in range(CLIENTS)]
    first = clients[0].wait_for_result(command("create_post", body="made before Redis was lost"))
    pids = (stack.web.pid, [w.pid for w in stack.workers])
    stop = threading.Event()
    threads = [threading.Thread(target=run_client, args=(c, stop), daemon=True) for c in clients]
    for t in threads:
        t.start()

    time.sleep(5)
    hold_workers(stack, 1.5)  # a backlog builds up in the inbox ...
    before = set(accepted_by_author(clients))
    backlog = stack.queued_commands()
    stack.restart_redis_empty()  # ... and Redis loses it, and the workers' connections with it
    restarted = time.monotonic()
    release_workers(stack)  # (released after: a batch now takes ~1 ms per command, so a backlog
    # released first would be applied before the restart could catch any of it)
    try:
        converged = settle(lambda: all_confirmed(clients, before), 90, "earlier commands confirmed")
        recovered_s = time.monotonic() - restarted
        converged = converged and settle(
            lambda: all(c.stream_done for c in clients) and all_confirmed(clients), 120,
            "every command of the stream confirmed")
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    converged = converged and settle(stack.projected, 30, "read side caught up")
    stream_done_s = time.monotonic() - restarted  # includes the ~8 s of stream after the restart

    api, owner = clients[1].session, clients[0]  # read models from before the restart are back:
    first_post = api.get(f"{stack.base}/api/posts/{first['result']['post']['id']}")
    profile = api.get(f"{stack.base}/api/users/{owner.handle}").json()["user"]
    restarts = sum(open(w.log_path).read().count("quit unexpectedly") for w in stack.workers)
    survivors = (stack.web.alive() and stack.web.pid == pids[0]
                 and [w.pid for w in stack.workers if w.alive()] == pids[1])
    accepted = accepted_by_author(clients)
    stack.stop_workers()
    diff = rebuild_differences(stack.svc)
    effects = exactly_once(stack.svc.session_factory, accepted)
    fig = Figures("Redis restarted empty", "sqlite", sent=sum(c.sent for c in clients),
                  accepted=len(accepted), applied=effects.get("applied", 0),
                  lost=effects.get("lost", 0), duplicated=effects.get("duplicated", 0),
                  converge_s=recovered_s,  # restart -> every earlier command confirmed again
                  extra={"queued_at_restart": backlog, "resent": sum(c.resends for c in clients),
                         "send_errors": sum(c.errors for c in clients),
                         "all_confirmed_s": round(stream_done_s, 2),
                         "rq_worker_restarts_in_process": restarts,
                         "rebuild_diff_keys": len(diff)})
    report(fig)
    assert backlog > 0, "the test meant to lose queued commands with Redis"
    assert converged, "not every accepted command was confirmed (see the figures)"
    assert survivors, "the web server and both workers must survive a Redis restart"
    assert fig.lost == 0 and fig.duplicated == 0 and fig.applied == fig.accepted == fig.sent, effects
    assert effects.get("stray_rows", 0) == 0
    assert all(c.outcomes[cid]["status"] == "succeeded" for c in clients for cid in c.accepted)
    assert first_post.status_code == 200 and first_post.json()["post"]["body"] == \
        "made before Redis was lost", "read models did not come back"
    assert profile["posts"] == len(owner.accepted)
    assert not diff, f"read models differ from a rebuild: {diff[:10]}"


def test_pending_post_survives_redis_restart_in_the_browser(fault_stack, browser):
    """Chromium: a post pending (worker held back) when Redis restarts empty is re-sent by the
    page's watchdog and confirmed exactly once; live updates work again afterwards."""
    stack = fault_stack(workers=1)
    context = browser.new_context(base_url=stack.base)
    try:
        page = logged_in_page(context)
        page.goto("/explore")
        expect(page.locator("#connection")).to_have_text("live")
        stack.stop_workers()
        page.fill("#composer-body", "pending across a Redis restart")
        page.click("#post-button")
        item = page.locator("li.post", has_text="pending across a Redis restart")
        expect(item).to_have_class("post pending")
        envelope = page.evaluate("() => { const [c] = [...window.ripple.store.pending.values()];"
                                 " return {command_id: c.command_id, type: c.type,"
                                 " payload: c.payload}; }")
        cid = envelope["command_id"]
        wait_for(lambda: stack.queued_commands() == 1, what="the command waiting in the queue")

        stack.restart_redis_empty()
        restarted = time.monotonic()
        stack.start_worker()
        expect(item.locator(".status")).to_contain_text("visible to everyone", timeout=30000)
        confirmed_s = time.monotonic() - restarted
        expect(item).not_to_have_class("pending")
        expect(page.locator("li.post", has_text="pending across a Redis restart")).to_have_count(1)

        other = Client(stack.base)  # live updates still flow: web's Socket.IO listener is back
        other.wait_for_result(command("create_post", body="live after the Redis restart"))
        expect(page.locator("li.post", has_text="live after the Redis restart")).to_have_count(
            1, timeout=15000)
        accepted = {cid: (envelope, page.handle)} | accepted_by_author([other])
        effects = exactly_once(stack.svc.session_factory, accepted)
        report(Figures("Redis restarted (browser)", "sqlite", sent=2, accepted=len(accepted),
                       applied=effects.get("applied", 0), lost=effects.get("lost", 0),
                       duplicated=effects.get("duplicated", 0), converge_s=confirmed_s,
                       extra={"live_updates_after_restart": True}))
        posts = _post_count(stack, envelope["payload"]["body"])
        assert posts == 1 and effects == {"applied": 2, "stray_rows": 0}, effects
        assert not page.errors
    finally:
        context.close()


def _post_count(stack, body: str) -> int:
    from sqlalchemy import func, select

    from backend.write.models import Post
    with stack.svc.session_factory() as s:
        return s.scalar(select(func.count()).select_from(Post).where(Post.body == body))

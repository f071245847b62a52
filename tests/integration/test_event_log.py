"""The log, readable (GET /api/events), the histories, and the parameter rules of time travel."""
import contextlib
import time

import pytest

from tests.support import CommandClients


@pytest.fixture
def world(app, run_worker):
    w = CommandClients(app, run_worker, "ann", "ben", "cat")
    (keep,), = [[o["result"]["post"]["id"] for o in w.do(("ann", "create_post", {"body": "one two"}))]]
    gone = w.do(("ben", "create_post", {"body": "secret words"}))[0]["result"]["post"]["id"]
    w.do(("ann", "edit_post", {"post_id": keep, "body": "one three two"}),
         ("ann", "edit_post", {"post_id": keep, "body": "one three"}),
         ("cat", "like_post", {"post_id": keep}), ("ben", "like_post", {"post_id": keep}),
         ("cat", "unlike_post", {"post_id": keep}),
         ("cat", "create_comment", {"post_id": gone, "body": "a reply to the secret"}),
         ("ben", "edit_post", {"post_id": gone, "body": "secret words edited"}),
         ("cat", "follow_user", {"handle": "ann"}))
    w.do(("ben", "delete_post", {"post_id": gone}))
    w.keep, w.gone, w.guest = keep, gone, app.test_client()
    return w


def test_the_log_newest_first_with_cursor_and_head(world):
    ann = world.clients["ann"]
    body = ann.get("/api/events?limit=5").get_json()
    seqs = [e["seq"] for e in body["events"]]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == 5 and seqs[0] == body["head"]
    assert set(body["events"][0]) >= {"seq", "type", "at", "author", "command_id", "data"}
    rest = ann.get(f"/api/events?limit=200&before={body['next']}").get_json()
    assert [e["seq"] for e in rest["events"]] == list(range(body["next"] - 1, 0, -1))
    assert rest["next"] is None
    oldest = ann.get("/api/events?after=0&limit=3").get_json()
    assert [e["seq"] for e in oldest["events"]] == [1, 2, 3] and oldest["next"] == 3
    window = ann.get("/api/events?after=1&before=5").get_json()  # both: the events between them
    assert [e["seq"] for e in window["events"]] == [2, 3, 4]


def test_filters_by_type_member_and_post(world):
    c = world.guest
    edits = c.get("/api/events?type=post_edited").get_json()["events"]
    assert [e["data"]["post_id"] for e in edits] == [world.gone, world.keep, world.keep]
    follows = c.get("/api/events?handle=cat&type=user_followed").get_json()["events"]
    assert [(e["data"]["follower"], e["data"]["followee"]) for e in follows] == [("cat", "ann")]
    on_post = c.get(f"/api/events?post_id={world.keep}&after=0").get_json()["events"]
    assert [e["type"] for e in on_post] == ["post_created", "post_edited", "post_edited",
                                            "post_liked", "post_liked", "post_unliked"]


def test_likes_are_counts_not_likers_except_to_the_liker(world):
    likes = world.guest.get("/api/events?type=post_liked").get_json()["events"]
    assert [(e["author"], e["command_id"], e["data"]) for e in likes] == [
        (None, None, {"post_id": world.keep, "likes": 2}),
        (None, None, {"post_id": world.keep, "likes": 1})]
    own = world.clients["cat"].get("/api/events?type=post_liked").get_json()["events"]
    assert own[1]["author"] == "cat" and own[0]["author"] is None  # ben's like stays anonymous
    assert world.guest.get("/api/events?handle=cat&type=post_liked").get_json()["events"] == []
    def kinds(client):
        return [e["type"] for e in client.get("/api/users/cat/history").get_json()["events"]]
    assert kinds(world.clients["cat"]) == ["user_followed", "comment_created", "post_unliked",
                                           "post_liked", "user_registered"]
    assert kinds(world.guest) == ["user_followed", "comment_created", "user_registered"]


def test_a_deleted_posts_bodies_are_shown_to_its_author_alone(world):
    for who, client in (("guest", world.guest), ("cat", world.clients["cat"])):
        text = client.get(f"/api/events?post_id={world.gone}").get_data(as_text=True)
        assert "secret" not in text, who  # creation, edit and the comment on it
        hist = client.get(f"/api/posts/{world.gone}/history").get_json()
        assert hist["deleted"] and "secret" not in str(hist) and all("diff" not in e
                                                                      for e in hist["events"])
    mine = world.clients["ben"].get(f"/api/posts/{world.gone}/history").get_json()
    assert mine["events"][0]["body"] == "secret words"
    assert mine["events"][-1]["type"] == "post_deleted"


def test_post_history_with_word_diffs_and_paging(world):
    hist = world.guest.get(f"/api/posts/{world.keep}/history").get_json()
    assert hist["post_id"] == world.keep and hist["next"] is None
    kinds = [e["type"] for e in hist["events"]]
    assert kinds == ["post_created", "post_edited", "post_edited", "post_liked", "post_liked",
                     "post_unliked"]
    first, second = hist["events"][1]["diff"], hist["events"][2]["diff"]
    assert {"op": "insert", "text": "three "} in first
    assert {"op": "delete", "text": " two"} in second
    assert [e.get("likes") for e in hist["events"][3:]] == [1, 2, 1]
    page = world.guest.get(f"/api/posts/{world.keep}/history?limit=2").get_json()
    assert len(page["events"]) == 2 and page["next"] == page["events"][1]["seq"]
    more = world.guest.get(f"/api/posts/{world.keep}/history?limit=2&after={page['next']}")
    assert [e["type"] for e in more.get_json()["events"]] == ["post_edited", "post_liked"]
    assert more.get_json()["events"][0]["diff"] == second  # diffed against the body before the page
    assert world.guest.get("/api/posts/999999/history").status_code == 404


def test_member_history_newest_first(world):
    hist = world.guest.get("/api/users/ann/history").get_json()
    assert hist["handle"] == "ann"
    assert [e["type"] for e in hist["events"]] == ["post_edited", "post_edited", "post_created",
                                                   "user_registered"]
    assert world.guest.get("/api/users/nobody/history").status_code == 404


@pytest.mark.parametrize("query, field", [
    ("/api/events?limit=201", "limit"), ("/api/events?limit=0", "limit"),
    ("/api/events?before=x", "before"), ("/api/events?type=nope", "type"),
    ("/api/events?handle=no%20way", "handle"), ("/api/events?after=-1", "after"),
    ("/api/timeline?as_of=-1", "as_of"), ("/api/timeline?as_of=999999", "as_of"),
    ("/api/timeline?as_of=1&at=5", "at"), ("/api/users/ann?at=nan", "at"),
    ("/api/posts/1?as_of=x", "as_of"), ("/api/feed?at=-3", "at"),
    ("/api/posts/1/history?limit=500", "limit")])
def test_bad_parameters_are_400s(app, run_worker, query, field):
    resp = CommandClients(app, run_worker, "ann").clients["ann"].get(query)
    assert resp.status_code == 400, query
    assert resp.get_json()["error"]["field"] == field


def test_at_means_the_last_event_at_or_before_that_time(world):
    c = world.clients["ann"]
    now = c.get(f"/api/timeline?at={time.time() + 5}").get_json()
    assert now["as_of"] == c.get("/api/events?limit=1").get_json()["head"]
    assert c.get("/api/timeline?at=0").get_json() | {} == {"posts": [], "version": 0, "next": None,
                                                          "as_of": 0}
    past = c.get(f"/api/posts/{world.keep}?as_of=1")
    assert past.status_code == 404  # it did not exist yet


@contextlib.contextmanager
def commit_during_page_query(services, when: str, event: dict, author: str):
    """While this block runs, the first time the events page's own query (LIMIT 8: limit=7 plus
    one) is about to run (`when`="before_cursor_execute") or has just run ("after_..."), another
    writer commits `event`. Yields the list that then holds its seq."""
    from sqlalchemy import event as sa_event
    from sqlalchemy.orm import Session

    from backend.write.models import append_events, lock_log
    appended = []

    def commit_one(conn, cursor, statement, parameters, context, executemany):
        if appended or "FROM events" not in statement or 8 not in tuple(
                parameters.values() if isinstance(parameters, dict) else parameters):
            return
        with Session(services.engine) as session, session.begin():
            appended.append(append_events(session, lock_log(session), [event], None, author))

    sa_event.listen(services.engine, when, commit_one)
    try:
        yield appended
    finally:
        sa_event.remove(services.engine, when, commit_one)


def test_the_answers_head_is_a_safe_cursor_when_an_event_commits_during_the_read(app, services,
                                                                                run_worker):
    """The live /events page follows the log with after=<the last answer's head>. An event that
    commits while an answer is being made must be in that answer or after its head: never skipped."""
    ann = CommandClients(app, run_worker, "ann").clients["ann"]
    follow = {"type": "user_followed", "data": {"follower": "ann", "followee": "zed"}}
    with commit_during_page_query(services, "after_cursor_execute", follow, "ann") as appended:
        body = ann.get("/api/events?after=0&limit=7").get_json()
    assert appended, "the page's query ran"
    shown = [e["seq"] for e in body["events"]]
    assert appended[0] in shown or body["head"] < appended[0], (shown, body["head"], appended)


def test_a_deletion_committed_during_the_read_never_shows_with_the_deleted_body(app, services,
                                                                               run_worker):
    """One answer is one consistent cut of the log: a post's deletion that commits between the
    privacy index's catch-up and the page's query must not appear beside the post's body."""
    w = CommandClients(app, run_worker, "ann", "ben")
    pid = w.do(("ann", "create_post", {"body": "soon deleted words"}))[0]["result"]["post"]["id"]
    deletion = {"type": "post_deleted", "data": {"post_id": pid, "author": "ann"}}
    with commit_during_page_query(services, "before_cursor_execute", deletion, "ann") as deleted:
        body = w.clients["ben"].get("/api/events?after=0&limit=7").get_json()
    assert deleted, "the page's query ran"
    shown_deleted = any(e["type"] == "post_deleted" for e in body["events"])
    assert not (shown_deleted and "soon deleted words" in str(body)), body
    assert body["head"] < deleted[0] or shown_deleted  # and the head stays a safe cursor

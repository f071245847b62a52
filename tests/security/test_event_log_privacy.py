"""The event log surfaces from the attacker's side (issue 11 item 11, issue 14 "Privacy rules"):
GET /api/events, the histories of a post and a member (JSON and pages), and `as_of=` / `at=` on the
timeline, feed, profile and post (JSON and pages).

- deleted means deleted: whatever another member or a logged-out visitor asks, at any version, no
  raw response carries a deleted post's body, edit texts or its comments; its author still sees them;
- likers stay private: a like or unlike never names the liker, except to the liker;
- hostile parameters are a 400 JSON error or a 404, never a 500;
- these surfaces write nothing: other methods are refused and change nothing.

Commands go through POST /api/commands and a real RQ worker (tests/support.CommandClients)."""
import json
import re

import pytest

from tests.support import CommandClients

ORIGINAL, EDIT1, EDIT2 = "zqxoriginal wombat", "zqxfirstedit narwhal", "zqxsecondedit quokka"
COMMENT_BOB, COMMENT_ALICE = "zqxbobcomment axolotl", "zqxalicecomment pangolin"
SECRETS = ("zqxoriginal", "wombat", "zqxfirstedit", "narwhal", "zqxsecondedit", "quokka",
           "zqxbobcomment", "axolotl", "zqxalicecomment", "pangolin")
KEPT = "zqxkeptpost still here"
LIKE_TYPES = ("post_liked", "post_unliked")
STATE = re.compile(r'<script type="application/json" id="initial-state">(.*?)</script>', re.S)


def check(resp, url):
    assert resp.status_code < 500, (url, resp.status_code, resp.get_data(as_text=True)[:300])
    return resp


def page_state(resp) -> dict:
    """The initial state a page embeds (inert JSON), i.e. what its scripts render."""
    found = STATE.search(resp.get_data(as_text=True))
    assert found, resp.get_data(as_text=True)[:300]
    return json.loads(found.group(1))


@pytest.fixture
def world(app, run_worker):
    """alice posts (one post kept, one that she edits twice, bob and she comment on, then deletes);
    mallory follows alice, so alice's posts are in mallory's feed too."""
    w = CommandClients(app, run_worker, "alice", "bob", "mallory")
    w.do(("mallory", "follow_user", {"handle": "alice"}))
    w.kept = w.do(("alice", "create_post", {"body": KEPT}))[0]["result"]["post"]["id"]
    w.gone = w.do(("alice", "create_post", {"body": ORIGINAL}))[0]["result"]["post"]["id"]
    w.do(("alice", "edit_post", {"post_id": w.gone, "body": EDIT1}))
    w.do(("alice", "edit_post", {"post_id": w.gone, "body": EDIT2}))
    w.do(("bob", "create_comment", {"post_id": w.gone, "body": COMMENT_BOB}))
    w.do(("alice", "create_comment", {"post_id": w.gone, "body": COMMENT_ALICE}))
    w.do(("alice", "delete_post", {"post_id": w.gone}))
    w.guest = app.test_client()
    w.viewers = {"mallory": w.clients["mallory"], "anonymous": w.guest}
    log = w.guest.get("/api/events?after=0&limit=200").get_json()["events"]
    w.head = log[-1]["seq"]
    touching = [e for e in log if e["data"].get("post_id") == w.gone
                or e["data"].get("post", {}).get("id") == w.gone
                or e["data"].get("comment", {}).get("post_id") == w.gone]
    w.created, w.deleted = touching[0]["seq"], touching[-1]["seq"]
    assert [e["type"] for e in touching] == ["post_created", "post_edited", "post_edited",
                                             "comment_created", "comment_created", "post_deleted"]
    w.times = sorted({e["at"] for e in touching})
    return w


def log_urls(w) -> list[str]:
    """Every way to read the log and the histories (JSON and pages) that could show the post."""
    p = w.gone
    return [
        "/api/events", "/api/events?limit=200", "/api/events?after=0&limit=200",
        f"/api/events?post_id={p}", f"/api/events?post_id={p}&after=0",
        "/api/events?handle=alice&limit=200", "/api/events?handle=bob&limit=200",
        *[f"/api/events?type={t}&limit=200" for t in ("post_created", "post_edited",
                                                       "comment_created", "post_deleted")],
        f"/api/events?before={w.deleted}&limit=200", f"/api/events?after={w.created - 1}",
        f"/api/posts/{p}/history", f"/api/posts/{p}/history?after=0&limit=200",
        *[f"/api/posts/{p}/history?limit=1&after={s}" for s in range(w.created, w.deleted + 1)],
        "/api/users/alice/history?limit=200", "/api/users/bob/history?limit=200",
        "/events", "/events?handle=alice", "/events?handle=bob", "/events?type=post_edited",
        "/events?type=comment_created", "/events?type=post_created",
        f"/posts/{p}/history", "/users/alice/history", "/users/bob/history",
        f"/api/posts/{p}", f"/api/posts/{p}/comments", f"/posts/{p}",  # and live, for good measure
    ]


def as_of_urls(w, member: bool) -> list[str]:
    """The four time-travel reads and their pages, as of every event from the post's creation to
    its deletion (as_of=) and at every one of their times (at=)."""
    versions = [f"as_of={s}" for s in range(w.created - 1, w.deleted + 1)]
    versions += [f"at={t}" for t in w.times]
    urls = []
    for v in versions:
        urls += [f"/api/timeline?{v}", f"/api/timeline?{v}&limit=100", f"/api/users/alice?{v}",
                 f"/api/users/bob?{v}", f"/api/posts/{w.gone}?{v}", f"/explore?{v}",
                 f"/users/alice?{v}", f"/users/bob?{v}", f"/posts/{w.gone}?{v}"]
        if member:
            urls += [f"/api/feed?{v}", f"/?{v}"]
    return urls


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_a_deleted_posts_bodies_edits_and_comments_reach_no_one_but_its_author(world):
    for who, client in world.viewers.items():
        urls = log_urls(world) + as_of_urls(world, member=who == "mallory")
        for url in urls:
            resp = check(client.get(url), url)
            assert not leaks(resp.get_data(as_text=True)), (who, url, leaks(resp.get_data(True)))
        # the scan can see: the post that was not deleted is there, on the same surfaces
        assert KEPT in client.get("/api/events?limit=200").get_data(as_text=True)
        assert KEPT in client.get("/events").get_data(as_text=True)
        assert KEPT in client.get(f"/api/timeline?as_of={world.deleted}").get_data(as_text=True)
        # and at a version where the deleted post existed, it is a tombstone, not a hole
        past = client.get(f"/api/posts/{world.gone}?as_of={world.deleted - 1}").get_json()
        assert past["post"] == {"id": world.gone, "author": "alice", "deleted": True}, who
        hist = client.get(f"/api/posts/{world.gone}/history").get_json()
        assert hist["deleted"] is True and len(hist["events"]) == 6


def test_its_author_still_sees_her_own_bodies_in_her_history(world):
    alice = world.clients["alice"]
    hist = alice.get(f"/api/posts/{world.gone}/history").get_json()
    assert hist["events"][0]["body"] == ORIGINAL
    assert [e.get("comment") for e in hist["events"][3:5]] == [COMMENT_BOB, COMMENT_ALICE]
    text = json.dumps(hist)
    assert all(s in text for s in SECRETS)  # the diffs carry both edits' words
    mine = alice.get("/api/users/alice/history?limit=200").get_data(as_text=True)
    assert all(s in mine for s in ("zqxoriginal", "zqxfirstedit", "zqxsecondedit",
                                   "zqxalicecomment"))
    page = alice.get(f"/posts/{world.gone}/history").get_data(as_text=True)
    assert "zqxoriginal" in page and "zqxbobcomment" in page
    past = alice.get(f"/api/posts/{world.gone}?as_of={world.deleted - 1}").get_json()["post"]
    assert past["body"] == EDIT2
    assert [c["body"] for c in past["comment_list"]] == [COMMENT_BOB, COMMENT_ALICE]


@pytest.fixture
def liked(app, run_worker):
    """bob likes, unlikes and likes again alice's post; bob writes nothing else."""
    w = CommandClients(app, run_worker, "alice", "bob", "mallory")
    w.post = w.do(("alice", "create_post", {"body": "like me"}))[0]["result"]["post"]["id"]
    w.do(("bob", "like_post", {"post_id": w.post}))
    w.do(("bob", "unlike_post", {"post_id": w.post}))
    w.do(("bob", "like_post", {"post_id": w.post}))
    w.do(("mallory", "create_post", {"body": "unrelated"}))
    w.guest = app.test_client()
    w.viewers = {"mallory": w.clients["mallory"], "anonymous": w.guest}
    w.head = w.guest.get("/api/events?limit=1").get_json()["head"]
    return w


def event_lists(client, w) -> dict[str, list[dict]]:
    """Every JSON and page listing of events on which a like could show, by URL."""
    p = w.post
    out = {}
    for url in ("/api/events?limit=200", "/api/events?after=0&limit=200",
                f"/api/events?post_id={p}&after=0", "/api/events?type=post_liked",
                "/api/events?type=post_unliked", "/api/events?handle=bob&limit=200",
                "/api/events?handle=alice&limit=200", "/api/users/bob/history?limit=200",
                "/api/users/alice/history?limit=200", f"/api/posts/{p}/history?limit=200"):
        out[url] = check(client.get(url), url).get_json()["events"]
    for url in ("/events", "/events?type=post_liked", "/events?type=post_unliked",
                "/events?handle=bob", "/users/bob/history", f"/posts/{p}/history"):
        out[url] = page_state(check(client.get(url), url))["data"]["events"]
    return out


def test_likes_never_name_the_liker_to_anyone_else(liked):
    w = liked
    for who, client in w.viewers.items():
        seen = 0
        for url, events in event_lists(client, w).items():
            for ev in events:
                if ev["type"] in LIKE_TYPES:
                    seen += 1
                    assert "bob" not in json.dumps(ev), (who, url, ev)
                    assert ev.get("author") is None and ev.get("command_id") is None
            if "handle=bob" in url or "/users/bob/" in url:
                assert not [e for e in events if e["type"] in LIKE_TYPES], (who, url)
        assert seen >= 6, who  # the likes are shown, as counts
        # bob wrote nothing else, so these answers must not name him at all
        raw = [f"/api/posts/{w.post}/history", "/api/events?type=post_liked",
               "/api/events?type=post_unliked", f"/api/events?post_id={w.post}",
               f"/posts/{w.post}/history", "/events?type=post_liked", "/events?type=post_unliked"]
        for s in range(1, w.head + 1):
            raw += [f"/api/timeline?as_of={s}", f"/api/users/alice?as_of={s}",
                    f"/api/posts/{w.post}?as_of={s}", f"/posts/{w.post}?as_of={s}",
                    f"/users/alice?as_of={s}", f"/explore?as_of={s}"]
            if who == "mallory":
                raw += [f"/api/feed?as_of={s}", f"/?as_of={s}"]
        for url in raw:
            text = check(client.get(url), url).get_data(as_text=True)
            assert "bob" not in text, (who, url)


def test_the_liker_sees_his_own_likes(liked):
    bob = liked.clients["bob"]
    mine = bob.get("/api/users/bob/history?limit=200").get_json()["events"]
    likes = [e for e in mine if e["type"] in LIKE_TYPES]
    assert [(e["type"], e["author"], e["data"]["user"]) for e in likes] == [
        ("post_liked", "bob", "bob"), ("post_unliked", "bob", "bob"), ("post_liked", "bob", "bob")]
    assert all(e["command_id"] for e in likes)
    page = page_state(bob.get("/users/bob/history"))["data"]["events"]
    assert [e["type"] for e in page if e["type"] in LIKE_TYPES] == [
        "post_liked", "post_unliked", "post_liked"]
    assert bob.get(f"/api/posts/{liked.post}?as_of={liked.head}").get_json()["post"]["liked"]


# ---------------------------------------------------------------------------------------------
# Hostile parameters

HUGE = "9" * 5000
BIG = "1" * 25
JUNK = "%E2%80%AE%F0%9F%92%A9%00%EF%BF%BF%C3%A9%E2%80%8B"  # bidi override, emoji, NUL, U+FFFF, é, ZWSP
LONG = "a" * 10_240
BAD_PARAMS = [
    "limit=0", "limit=-1", "limit=201", f"limit={HUGE}", f"limit={BIG}", "limit=1e3", "limit=nan",
    "limit=%00", f"limit={LONG}", "before=0", "before=-5", f"before={HUGE}", f"before={BIG}",
    "after=-1", f"after={HUGE}", "after=inf", "before=5&after=1", f"post_id={HUGE}", "post_id=-1",
    "post_id=0", "post_id=nan", f"type={JUNK}", f"type={LONG}", "type=post_created%00",
    "type=POST_CREATED", f"handle={JUNK}", f"handle={LONG}", "handle=alice%0A", "handle=al",
    "handle=%C4%B0alice", "limit=x&limit=5", "type=nope&type=post_created",
]
AS_OF_BAD = [
    "as_of=-1", f"as_of={HUGE}", f"as_of={BIG}", "as_of=99999", "as_of=1.5", "as_of=nan",
    "as_of=inf", f"as_of={LONG}", f"as_of={JUNK}", "as_of=1&at=1", "at=1&as_of=1", "at=nan",
    "at=NaN", "at=inf", "at=-inf", "at=Infinity", "at=1e999", f"at={HUGE}", "at=-1", "at=0x10",
    f"at={JUNK}", f"at={LONG}", "as_of=x&as_of=1", "as_of=&at=nan",
    "as_of=-1&as_of=1", f"limit={HUGE}&as_of=1", "before=-1&as_of=1",
]
PAGES_IGNORE = {f"limit={HUGE}&as_of=1", "before=-1&as_of=1"}  # pages read no limit or before


def assert_refused(resp, url):
    """400 with the error body, or a 404; never a 500, never a 2xx for bad input."""
    assert resp.status_code in (400, 404), (url, resp.status_code)
    if resp.status_code == 400:
        err = resp.get_json()["error"]
        assert set(err) == {"code", "message", "field"}, (url, err)
        assert isinstance(err["code"], str) and isinstance(err["message"], str)
        assert err["field"], url


@pytest.fixture
def small_world(app, run_worker):
    w = CommandClients(app, run_worker, "alice", "mallory")
    w.post = w.do(("alice", "create_post", {"body": "hello"}))[0]["result"]["post"]["id"]
    w.do(("mallory", "follow_user", {"handle": "alice"}))
    w.viewers = {"mallory": w.clients["mallory"], "anonymous": app.test_client()}
    return w


LIMITS = ["limit=0", "limit=-1", "limit=201", f"limit={HUGE}", f"limit={BIG}", "limit=1e3",
          "limit=nan", "limit=%00", f"limit={LONG}", "limit=x&limit=5"]
CURSORS = {"before": ["before=0", "before=-5", f"before={HUGE}", f"before={BIG}", "before=nan",
                      f"before={JUNK}"],
           "after": ["after=-1", f"after={HUGE}", "after=inf", f"after={LONG}", "after=1.5"]}


def test_hostile_log_and_history_parameters_are_400s(small_world):
    w = small_world
    member_history, post_history = "/api/users/alice/history", f"/api/posts/{w.post}/history"
    for who, client in w.viewers.items():
        for params in BAD_PARAMS:
            assert_refused(client.get(f"/api/events?{params}"), (who, "/api/events", params))
            resp = client.get(f"/events?{params}")  # the page reads type and handle, nothing else
            if params.startswith(("type=", "handle=")):
                assert_refused(resp, (who, "/events", params))
            else:
                check(resp, params)
        for path, cursor in ((member_history, "before"), (post_history, "after")):
            for params in LIMITS + CURSORS[cursor]:
                assert_refused(client.get(f"{path}?{params}"), (who, path, params))
            for params in CURSORS["after" if cursor == "before" else "before"] + BAD_PARAMS:
                check(client.get(f"{path}?{params}"), (path, params))  # not theirs: ignored
        for params in LIMITS + CURSORS["before"] + CURSORS["after"] + BAD_PARAMS:
            for page in ("/users/alice/history", f"/posts/{w.post}/history"):  # read no params
                check(client.get(f"{page}?{params}"), (page, params))


def test_hostile_path_segments_are_404s(small_world):
    paths = [f"/api/posts/{HUGE}/history", f"/api/posts/{BIG}/history", "/api/posts/-1/history",
             "/api/posts/0/history", "/api/posts/1e3/history", f"/api/users/{JUNK}/history",
             f"/api/users/{LONG}/history", "/api/users/alice%0A/history", "/api/users/%00/history",
             f"/posts/{HUGE}/history", f"/users/{JUNK}/history",
             f"/users/{LONG}/history", "/users/alice%0A/history", f"/api/posts/{BIG}?as_of=1",
             f"/api/users/{JUNK}?as_of=1", f"/api/users/{LONG}?as_of=1", f"/posts/{BIG}?as_of=1",
             f"/users/{JUNK}?as_of=1", "/api/users/alice%0A?as_of=1", "/api/posts/999999?as_of=1"]
    for who, client in small_world.viewers.items():
        for url in paths:
            resp = client.get(url)
            assert resp.status_code == 404, (who, url, resp.status_code)


def test_hostile_time_travel_parameters_are_400s(small_world):
    w = small_world
    targets = ["/api/timeline", "/api/users/alice", f"/api/posts/{w.post}", "/explore",
               "/users/alice", f"/posts/{w.post}"]
    for who, client in w.viewers.items():
        for path in targets + (["/api/feed", "/"] if who == "mallory" else []):
            for params in AS_OF_BAD:
                url = f"{path}?{params}"
                resp = client.get(url)
                if path.startswith("/api/") or params not in PAGES_IGNORE:
                    assert_refused(resp, (who, url))
                else:
                    check(resp, url)


def test_repeated_parameters_use_the_first_and_never_fail(small_world):
    client = small_world.viewers["anonymous"]
    assert len(client.get("/api/events?limit=1&limit=99999").get_json()["events"]) == 1
    assert client.get("/api/timeline?as_of=1&as_of=-7").get_json()["as_of"] == 1
    assert client.get("/api/timeline?as_of=1&at=").get_json()["as_of"] == 1  # empty: absent
    many = "&".join(["type=post_created"] * 500)
    assert client.get(f"/api/events?{many}").status_code == 200
    assert client.get(f"/events?{many}").status_code == 200


# ---------------------------------------------------------------------------------------------
# Write nothing

def test_the_event_log_surfaces_are_read_only(small_world, run_worker):
    w = small_world
    p = w.post
    surfaces = ["/api/events", f"/api/posts/{p}/history", "/api/users/alice/history", "/events",
                f"/posts/{p}/history", "/users/alice/history", "/api/timeline?as_of=1",
                "/api/feed?as_of=1", "/api/users/alice?as_of=1", f"/api/posts/{p}?as_of=1",
                "/explore?as_of=1", "/users/alice?as_of=1", f"/posts/{p}?as_of=1", "/?as_of=1"]
    alice = w.clients["alice"]
    before = {u: alice.get(u).get_data() for u in surfaces}
    head = alice.get("/api/events?limit=1").get_json()["head"]
    bodies = [None, {"type": "delete_post", "payload": {"post_id": p}},
              {"events": [{"type": "post_deleted", "data": {"post_id": p}}]}]
    for who, client in {**w.viewers, "alice": alice}.items():
        for url in surfaces:
            for method in ("post", "put", "patch", "delete"):
                for body in bodies:
                    resp = getattr(client, method)(url, json=body)
                    assert resp.status_code in (404, 405), (who, method, url, resp.status_code)
    run_worker()
    assert alice.get("/api/events?limit=1").get_json()["head"] == head
    assert {u: alice.get(u).get_data() for u in surfaces} == before
    assert alice.get(f"/api/posts/{p}").status_code == 200

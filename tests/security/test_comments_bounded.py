"""Issue 11 item 4: comments are paginated (a cursor, like posts) and one member may add only a few
comments to one post per minute, so a post page stays under 64 KB whatever the comment count."""
import uuid

import pytest

from tests.support import CommandClients

PAGE_LIMIT = 64 * 1024


def _comment(body, post_id):
    return {"command_id": str(uuid.uuid4()), "type": "create_comment",
            "payload": {"post_id": post_id, "body": body}}


@pytest.mark.parametrize("filler", ["x", "<", "😀"])  # plain, HTML-escaped, \\ud83d\\ude00-escaped
def test_300_long_comments_keep_the_post_page_small_and_all_reachable(app, run_worker, filler):
    users = CommandClients(app, run_worker, "spammer", "reader")
    post = users.do(("spammer", "create_post", {"body": filler * 500}))[0]["result"]["post"]
    client = users.clients["spammer"]
    for start in range(0, 300, 100):
        for i in range(start, start + 100):
            r = client.post("/api/commands", json=_comment(f"{i:03d}" + filler * 497, post["id"]))
            assert r.status_code == 202
        run_worker()
    api = users.clients["reader"].get(f"/api/posts/{post['id']}")
    html = users.clients["reader"].get(f"/posts/{post['id']}")
    assert api.status_code == html.status_code == 200
    assert len(api.data) < PAGE_LIMIT and len(html.data) < PAGE_LIMIT, (len(api.data), len(html.data))
    detail = api.get_json()["post"]
    assert detail["comments"] == 300 and 0 < len(detail["comment_list"]) < 300
    seen, cursor = [c["body"][:3] for c in detail["comment_list"]], detail["comments_next"]
    pages = 0
    while cursor is not None:
        page = users.clients["reader"].get(f"/api/posts/{post['id']}/comments?after={cursor}")
        assert page.status_code == 200 and len(page.data) < PAGE_LIMIT
        data = page.get_json()
        seen += [c["body"][:3] for c in data["comments"]]
        cursor, pages = data["next"], pages + 1
    assert seen == [f"{i:03d}" for i in range(300)] and pages >= 1  # each once, oldest first


def test_comment_pages_answer_404_and_400_properly(app, client):
    assert client.get("/api/posts/999999/comments").status_code == 404
    assert client.get("/api/posts/1/comments?after=-1").status_code in (400, 404)
    assert client.get("/api/posts/1/comments?after=x").status_code in (400, 404)


def test_one_member_may_add_only_a_few_comments_a_minute_to_one_post(limited_app, run_worker):
    users = CommandClients(limited_app, run_worker, "chatty", "calm")
    first, second = (users.do(("chatty", "create_post", {"body": f"post {n}"}))[0]["result"]["post"]
                     for n in (1, 2))
    chatty = users.clients["chatty"]
    sent = [_comment(f"c{i}", first["id"]) for i in range(5)]
    assert [chatty.post("/api/commands", json=c).status_code for c in sent] == [202] * 5
    over = chatty.post("/api/commands", json=_comment("one too many", first["id"]))
    assert over.status_code == 429 and over.get_json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert chatty.post("/api/commands", json=sent[0]).status_code == 202  # a re-send is no new one
    assert chatty.post("/api/commands", json=_comment("elsewhere", second["id"])).status_code == 202
    calm = users.clients["calm"]
    assert calm.post("/api/commands", json=_comment("mine", first["id"])).status_code == 202


def test_the_post_page_loads_older_comments_on_demand(browser, stack):
    from playwright.sync_api import expect

    from tests.security.conftest import http_user
    from tests.support import wait_for
    author = http_user(stack.base)
    r = author.post(f"{stack.base}/api/commands", timeout=10, json={
        "command_id": str(uuid.uuid4()), "type": "create_post", "payload": {"body": "thread"}})
    assert r.status_code == 202
    post_id = wait_for(lambda: author.get(f"{stack.base}/api/users/{author.handle}", timeout=10
                                          ).json()["posts"][0]["id"], timeout=30, what="the post")
    for i in range(60):
        assert author.post(f"{stack.base}/api/commands", json=_comment(f"n{i:02d}", post_id),
                           timeout=10).status_code == 202
    wait_for(lambda: author.get(f"{stack.base}/api/posts/{post_id}", timeout=10
                                ).json()["post"]["comments"] == 60, timeout=60, what="60 comments")
    context = browser.new_context(base_url=stack.base)
    page = context.new_page()
    page.goto(f"/posts/{post_id}")
    expect(page.locator("#comments li.comment")).to_have_count(50)
    page.click("#more-comments")
    expect(page.locator("#comments li.comment")).to_have_count(60)
    expect(page.locator("#comments li.comment").last).to_contain_text("n59")
    expect(page.locator("#more-comments")).to_be_hidden()
    context.close()

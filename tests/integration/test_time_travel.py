"""Time travel, the core proof: every live answer recorded during a stream of 500+ mixed commands
(through the real HTTP -> RQ worker path) is given back exactly by `as_of=<its version>`, except that
posts deleted later are tombstones for everyone but their author. SQLite and PostgreSQL."""
import random

from tests.support import CommandClients

MEMBERS = ("ann", "ben", "cat", "dan")


class Stream(CommandClients):
    def __init__(self, app, run_worker, seed=14):
        super().__init__(app, run_worker, *MEMBERS)
        self.rng, self.live, self.ever, self.deleted = random.Random(seed), {}, {}, set()
        self.guest = app.test_client()

    def command(self):
        rng, who = self.rng, self.rng.choice(MEMBERS)
        mine = [p for p, a in self.live.items() if a == who]
        others = list(self.ever) or [1]
        roll = rng.random()
        if roll < 0.3 or not self.ever:
            return who, "create_post", {"body": f"{who} says {rng.randrange(10**6)} hello world"}
        if roll < 0.4 and mine:
            return who, "edit_post", {"post_id": rng.choice(mine),
                                      "body": f"edited {rng.randrange(1000)} words here"}
        if roll < 0.47 and mine:
            return who, "delete_post", {"post_id": rng.choice(mine)}
        if roll < 0.67:
            return who, "like_post", {"post_id": rng.choice(others)}
        if roll < 0.75:
            return who, "unlike_post", {"post_id": rng.choice(others)}
        if roll < 0.88:
            return who, "create_comment", {"post_id": rng.choice(others), "body": f"nice {who}"}
        them = rng.choice([m for m in MEMBERS if m != who])
        return who, ("follow_user" if roll < 0.96 else "unfollow_user"), {"handle": them}

    def track(self, cmd, outcome):
        who, kind, payload = cmd
        if outcome["status"] != "succeeded":
            return
        if kind == "create_post":
            pid = outcome["result"]["post"]["id"]
            self.live[pid] = self.ever[pid] = who
        elif kind == "delete_post":
            self.live.pop(payload["post_id"], None)
            self.deleted.add(payload["post_id"])

    def run(self, at_least: int, most: int) -> list:
        """Send at least `at_least` random commands, 1..`most` at a time; after each batch record
        every member's live answers. Returns the records."""
        records, sent = [], 0
        while sent < at_least:
            cmds = [self.command() for _ in range(self.rng.randint(1, most))]
            for cmd, outcome in zip(cmds, self.do(*cmds)):
                self.track(cmd, outcome)
            sent += len(cmds)
            records += self.record()
        return records

    def as_of(self, who, url: str, version: int):
        """`url` asked again as of `version`, by the same viewer (None: logged out)."""
        client = self.guest if who is None else self.clients[who]
        return client.get(f"{url}{'&' if '?' in url else '?'}as_of={version}")

    def record(self):
        """Every member's live answers now, each one snapshot with its version."""
        out = []
        post = self.rng.choice(list(self.ever)) if self.ever else None
        for who, client in [*self.clients.items(), (None, self.guest)]:
            urls = ["/api/timeline", f"/api/users/{self.rng.choice(MEMBERS)}"]
            if who:
                urls.append("/api/feed")
            if post is not None:
                urls.append(f"/api/posts/{post}")
            for url in urls:
                resp = client.get(url)
                if resp.status_code == 200:
                    out.append((who, url, resp.get_json()))
        return out


def expected(answer: dict, deleted: set, authors: dict, viewer) -> dict:
    def stone(p):
        if p["id"] in deleted and authors[p["id"]] != viewer:
            return {"id": p["id"], "author": p["author"], "deleted": True}
        return p
    out = dict(answer)
    if "posts" in out:
        out["posts"] = [stone(p) for p in out["posts"]]
    if "post" in out:
        out["post"] = stone(out["post"])
    return out | {"as_of": answer["version"], "version": answer["version"]}


def test_every_recorded_answer_comes_back_as_of_its_version(app, run_worker, services):
    stream = Stream(app, run_worker)
    records = stream.run(520, 6)
    assert stream.deleted and len(stream.ever) > 50
    versions, tombstones, checked = set(), 0, 0
    for who, url, answer in records:
        resp = stream.as_of(who, url, answer["version"])
        assert resp.status_code == 200, (url, resp.get_json())
        want = expected(answer, stream.deleted, stream.ever, who)
        assert resp.get_json() == want, (who, url, answer["version"])
        tombstones += sum(1 for p in want.get("posts", []) + [want.get("post", {})]
                          if p.get("deleted"))
        versions.add(answer["version"])
        checked += 1
    assert checked > 1000 and len(versions) > 80 and tombstones > 0

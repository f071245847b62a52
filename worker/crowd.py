"""The crowd (demo mode): simulated members of the seeded world post, like, comment and follow
through the real command path -- one action every 2-4 s, so a newcomer sees live updates arriving
without a second browser. One crowd per instance: a worker thread holding a Redis lock.

It acts only while demo mode is on and the crowd is on (RIPPLE_CROWD, or the inspector's control).
Its members are the seeded ones (backend/seed.py's names) that exist on this instance.
"""
import random

from backend import seed
from backend.read import queries
from backend.read.projections import user_key
from backend.read.system import demo_state
from worker.singleton import Singleton

LOCK = "ripple-crowd"
MIN_S, MAX_S = 2.0, 4.0


class Crowd:
    def __init__(self, services, rng: random.Random | None = None):
        self.svc, self.rng = services, rng or random.Random()

    def members(self) -> list[str]:
        candidates = seed.NAMES
        with self.svc.redis.pipeline(transaction=False) as p:
            for h in candidates:
                p.exists(user_key(h))
            found = p.execute()
        return [h for h, ok in zip(candidates, found) if ok]

    def action(self) -> tuple | None:
        """One (author, type, payload) in the seeded world, or None when there is nobody to act."""
        people = self.members()
        if len(people) < 2:
            return None
        who, rng = self.rng.choice(people), self.rng
        posts = queries.timeline(self.svc.redis, 20, None, who)["posts"]
        roll = rng.random()
        if roll < 0.35 or not posts:
            body = f"{rng.choice(seed.OPENERS)} {rng.choice(seed.TOPICS)} {rng.choice(seed.ENDINGS)}"
            return who, "create_post", {"body": body}
        post = rng.choice(posts)
        if roll < 0.7:
            return who, "like_post", {"post_id": post["id"]}
        if roll < 0.9:
            return who, "create_comment", {"post_id": post["id"], "body": rng.choice(seed.REPLIES)}
        other = rng.choice([h for h in people if h != who])
        return who, "follow_user", {"handle": other}

    def step(self) -> float:
        state = demo_state(self.svc.redis, self.svc.config)
        if state and state["crowd"]:
            act = self.action()
            if act:
                seed.enqueue(self.svc, [act])
        return self.rng.uniform(MIN_S, MAX_S)


def start(services) -> Singleton:
    crowd = Crowd(services)
    thread = Singleton(services.redis, LOCK, crowd.step, MIN_S, ttl_s=10.0)
    thread.start()
    return thread

"""Rate limits. Counters live in Redis so every web process shares them.

- Per IP (Flask-Limiter): commands 300 / 5 min per user, login 25 / 5 min, sign-up 5 / 30 min.
- Per account: failed logins back off exponentially (backend.web.login_backoff).
- Per member and post: at most RIPPLE_COMMENTS_PER_POST_MINUTE new comments a minute.
Reads are not limited: they are cheap Redis lookups. A breach is a 429 JSON error with Retry-After.
Redis (the limits' store) down means the limits cannot be checked: the request fails closed with a
503 (the RedisError handler in backend/__init__), never silently unlimited.
"""
from flask import current_app, g, request, session
from flask_limiter import Limiter

from backend.web.errors import ApiError


def _user_or_ip() -> str:
    handle = session.get("handle")
    return f"user:{handle}" if handle else f"ip:{request.remote_addr}"


def _ip() -> str:
    return f"ip:{request.remote_addr}"


def enabled() -> bool:
    return current_app.config["RIPPLE"].ratelimit_enabled


def check_comment(r, author: str, post_id: int, command_id: str, per_minute: int, now: float) -> None:
    """At most `per_minute` distinct comment commands from one member on one post per clock minute
    (a re-sent command_id is not counted twice)."""
    minute = int(now // 60)
    key = f"ripple-comment-rate:{author}:{post_id}:{minute}"
    with r.pipeline(transaction=True) as p:
        p.sadd(key, command_id)
        p.scard(key)
        p.expire(key, 120)
        _, count, _ = p.execute()
    if count > per_minute:
        r.srem(key, command_id)
        raise ApiError(429, "too_many_requests",
                       f"At most {per_minute} comments a minute on one post: try again soon.",
                       headers=exact_retry_after(60 - int(now) % 60))


def exact_retry_after(seconds: int) -> dict:
    """Retry-After for a 429 of our own: Flask-Limiter would overwrite it with its window's reset
    (_keep_exact_retry_after, registered before the Limiter, runs after it and puts it back)."""
    g.retry_after = str(seconds)
    return {"Retry-After": str(seconds)}


def _keep_exact_retry_after(resp):
    if g.get("retry_after"):
        resp.headers["Retry-After"] = g.retry_after
    return resp


def init(app, config) -> Limiter:
    app.after_request(_keep_exact_retry_after)  # before the Limiter's own: runs after it
    limiter = Limiter(
        _user_or_ip,
        app=app,
        storage_uri=config.redis_url,
        strategy="moving-window",
        headers_enabled=True,
        swallow_errors=False,  # store down: fail closed (503), never "no limits"
        key_prefix="ripple-ratelimit",
        enabled=config.ratelimit_enabled,
    )
    # The decorator returns a wrapper that does the checking: it must replace the registered view
    # (calling it and dropping the result registered the limits but never enforced them).
    views = app.view_functions
    for endpoint, limit, key in (("api.submit_command", config.ratelimit_commands, _user_or_ip),
                                 ("auth.login", config.ratelimit_login, _ip),
                                 ("auth.signup", config.ratelimit_signup, _ip),
                                 ("system.set_demo", config.ratelimit_demo, _user_or_ip),
                                 ("system.guest", config.ratelimit_signup, _ip)):
        views[endpoint] = limiter.limit(limit, key_func=key)(views[endpoint])
    app.extensions["ripple_limiter"] = limiter  # the limits hold it weakly; disabled, nothing else does
    return limiter

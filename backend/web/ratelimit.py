"""Rate limits (Flask-Limiter, counters in Redis so every web process shares them).

Modelled on what big networks allow: commands 300 / 5 min per user, login 25 / 5 min per IP,
sign-up 5 / 30 min per IP. Reads are not limited: they are cheap Redis lookups.
A breach is a 429 JSON error with Retry-After; the UI keeps the user's text and says when to retry.
"""
from flask import request, session
from flask_limiter import Limiter


def _user_or_ip() -> str:
    handle = session.get("handle")
    return f"user:{handle}" if handle else f"ip:{request.remote_addr}"


def _ip() -> str:
    return f"ip:{request.remote_addr}"


def init(app, config) -> Limiter:
    limiter = Limiter(
        _user_or_ip,
        app=app,
        storage_uri=config.redis_url,
        strategy="moving-window",
        headers_enabled=True,
        swallow_errors=True,  # a Redis hiccup must not turn into a 500
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

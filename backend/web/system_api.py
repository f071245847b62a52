"""Blueprint: the inspector's figures (`GET /api/system`), the demo controls (`POST /api/demo`) and
guest accounts (`POST /api/guest`). The last two exist only in demo mode (Config.demo).

Nothing here waits on a worker: the controls are written to one Redis hash (backend/demo.py) that
the workers read; it expires by itself after two minutes, so every control reverts on its own.
"""
import secrets

from flask import Blueprint, jsonify, session

from backend import demo
from backend.read.system import demo_state, system_report
from backend.web.http import ApiError, current_user, json_body, login_required, services
from backend.write import accounts

bp = Blueprint("system", __name__, url_prefix="/api")
BOOLS = ("workers_paused", "projection_paused", "crowd")


def _demo_on():
    if not services().config.demo:
        raise ApiError(404, "demo_off", "Demo mode is off on this instance.")


def is_guest() -> bool:
    return bool(session.get("guest"))


@bp.get("/system")
@login_required
def system():
    resp = jsonify(system_report(services()))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def parse_demo_changes(data) -> dict:
    """The validated subset of {"worker_delay_ms": 0..5000, "workers_paused", "projection_paused",
    "crowd": bool}; ApiError 400 naming the first bad field."""
    if not isinstance(data, dict) or not data:
        raise ApiError(400, "invalid_body", "Send one or more of worker_delay_ms, workers_paused, "
                       "projection_paused, crowd.")
    changes = {}
    for key, value in data.items():
        if key == "worker_delay_ms":
            if isinstance(value, bool) or not isinstance(value, int) \
                    or not 0 <= value <= demo.DELAY_MAX_MS:
                raise ApiError(400, "out_of_range",
                               f"worker_delay_ms is an integer from 0 to {demo.DELAY_MAX_MS}.", key)
        elif key in BOOLS:
            if not isinstance(value, bool):
                raise ApiError(400, "invalid_field", f"{key} is true or false.", key)
        else:
            raise ApiError(400, "unknown_field", "Unknown demo control.", str(key)[:40])
        changes[key] = value
    return changes


@bp.post("/demo")
@login_required
def set_demo():
    _demo_on()
    if is_guest():
        raise ApiError(403, "guest_forbidden", "Guests may watch the inspector but not use the "
                       "demo controls: sign up to use them.")
    changes = parse_demo_changes(json_body())
    svc = services()
    demo.write_controls(svc.redis, changes, current_user())
    return jsonify(demo_state(svc.redis, svc.config))


@bp.post("/guest")
def guest():
    """One click: a fresh guest account (random handle and password nobody knows), logged in."""
    _demo_on()
    json_body()  # state changes only as JSON (no form-post CSRF)
    svc = services()
    for _ in range(5):
        handle = f"guest_{secrets.token_hex(4)}"
        try:
            user = accounts.signup(svc.session_factory, svc.projector, handle,
                                   secrets.token_urlsafe(24))
            break
        except accounts.HandleTaken:
            continue
    else:
        raise ApiError(409, "handle_taken", "Try again.")
    session.clear()
    session["handle"], session["guest"] = user["handle"], True
    session.permanent = True
    return jsonify({"user": {"handle": user["handle"], "guest": True}}), 201

"""Blueprint: the inspector's figures (`GET /api/system`), the demo controls (`POST /api/demo`) and
guest accounts (`POST /api/guest`). The last two exist only in demo mode (Config.demo).

Nothing here waits on a worker: the controls are written to one Redis hash (backend/demo.py) that
the workers read; it expires by itself after two minutes, so every control reverts on its own.
"""
import secrets

import pydantic

from flask import Blueprint, jsonify

from backend import demo
from backend.read.system import demo_state, system_report
from backend.web.schemas import DemoControls
from backend.web.http import ApiError, current_user, json_body, login_required, services
from backend.web.login import GUEST_PREFIX, is_guest, start_session
from backend.write import accounts

bp = Blueprint("system", __name__, url_prefix="/api")


def _demo_on():
    if not services().config.demo:
        raise ApiError(404, "demo_off", "Demo mode is off on this instance.")





@bp.get("/system")
@login_required
def system():
    resp = jsonify(system_report(services()))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def parse_demo_changes(data) -> dict:
    """The validated subset of backend/web/schemas.DemoControls; ApiError 400 naming the first bad
    field (codes invalid_body, unknown_field, out_of_range, invalid_field)."""
    if not isinstance(data, dict) or not data:
        raise ApiError(400, "invalid_body", "Send one or more of worker_delay_ms, workers_paused, "
                       "projection_paused, crowd.")
    try:
        model = DemoControls.model_validate(data)
    except pydantic.ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = str(err["loc"][0])[:40] if err["loc"] else None
        if err["type"] == "extra_forbidden":
            raise ApiError(400, "unknown_field", "Unknown demo control.", key)
        if key == "worker_delay_ms":
            raise ApiError(400, "out_of_range",
                           f"worker_delay_ms is an integer from 0 to {demo.DELAY_MAX_MS}.", key)
        raise ApiError(400, "invalid_field", f"{key} is true or false.", key)
    changes = model.model_dump(exclude_unset=True)
    if any(v is None for v in changes.values()):
        key = next(k for k, v in changes.items() if v is None)
        raise ApiError(400, "invalid_field", f"{key} may not be null.", key)
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
        handle = f"{GUEST_PREFIX}{secrets.token_hex(4)}"
        try:
            user = accounts.signup(svc.session_factory, svc.projector, handle,
                                   secrets.token_urlsafe(24))
            break
        except accounts.HandleTaken:
            continue
    else:
        raise ApiError(409, "handle_taken", "Try again.")
    start_session(user["handle"])
    return jsonify({"user": {"handle": user["handle"], "guest": True}}), 201

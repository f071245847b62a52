"""Blueprint: sign-up, login, logout, log out everywhere, me.

The session cookie holds a random token naming a server-side session (backend/write/sessions).
"""
from flask import Blueprint, jsonify, request

from backend.read import queries
from backend.web import login_backoff
from backend.web.http import ApiError, current_user, json_body, login_required, require_json, services
from backend.web.login import end_all_sessions, end_session, start_session
from backend.write import accounts
from backend.write.commands import ValidationError

bp = Blueprint("auth", __name__, url_prefix="/api")


def _credentials():
    data = json_body()
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_body", "Send {\"handle\", \"password\"}.")
    return data.get("handle"), data.get("password")


def _me(handle: str) -> dict:
    svc = services()
    try:
        return queries.profile(svc.redis, handle, limit=0)["user"]
    except queries.NotFound:  # read side not there yet (e.g. Redis restarting): the basics
        return {"handle": handle}


@bp.post("/signup")
def signup():
    handle, password = _credentials()
    svc = services()
    try:
        user = accounts.signup(svc.session_factory, svc.projector, handle, password)
    except ValidationError as err:
        raise ApiError(400, err.code, err.message, err.field)
    except accounts.HandleTaken:
        raise ApiError(409, "handle_taken", "That handle is taken.", "handle")
    start_session(user["handle"])
    return jsonify({"user": _me(user["handle"])}), 201


@bp.post("/login")
def login():
    handle, password = _credentials()
    svc = services()
    account = login_backoff.account_key(handle)
    login_backoff.check_account(svc.redis, account)  # 429 while this account is backing off
    found = accounts.authenticate(svc.session_factory, handle, password)
    if not found:
        login_backoff.login_failed(svc.redis, account)
        raise ApiError(401, "invalid_credentials", "Wrong handle or password.")
    login_backoff.login_succeeded(svc.redis, account)
    start_session(found)
    return jsonify({"user": _me(found)})


@bp.post("/logout")
def logout():
    require_json()  # state changes only as JSON: no form-post CSRF
    end_session()
    return "", 204


@bp.post("/logout-all")
@login_required
def logout_all():
    """Log out everywhere: every session of this member ends, and their sockets are closed."""
    require_json()
    return jsonify({"ended": end_all_sessions(current_user())})


@bp.get("/me")
@login_required
def me():
    return jsonify({"user": _me(current_user())})

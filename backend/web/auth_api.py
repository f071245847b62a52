"""Blueprint: sign-up, login, logout, me. The session cookie holds only the handle (signed)."""
from flask import Blueprint, jsonify, request, session

from backend import demo
from backend.read import queries

from backend.write import accounts
from backend.write.commands import ValidationError
from backend.web.http import ApiError, current_user, json_body, login_required, services

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
        paused = svc.config.demo and demo.read_controls(svc.redis)["projection_paused"]
        user = accounts.signup(svc.session_factory, svc.projector, handle, password,
                               project=not paused)
    except ValidationError as err:
        raise ApiError(400, err.code, err.message, err.field)
    except accounts.HandleTaken:
        raise ApiError(409, "handle_taken", "That handle is taken.", "handle")
    session.clear()
    session["handle"] = user["handle"]
    session.permanent = True
    return jsonify({"user": _me(user["handle"])}), 201


@bp.post("/login")
def login():
    handle, password = _credentials()
    found = accounts.authenticate(services().session_factory, handle, password)
    if not found:
        raise ApiError(401, "invalid_credentials", "Wrong handle or password.")
    session.clear()
    session["handle"] = found
    session.permanent = True
    return jsonify({"user": _me(found)})


@bp.post("/logout")
def logout():
    if request.mimetype != "application/json":  # state changes only as JSON: no form-post CSRF
        raise ApiError(415, "unsupported_media_type", "Send JSON with Content-Type: application/json.")
    session.clear()
    return "", 204


@bp.get("/me")
@login_required
def me():
    return jsonify({"user": _me(current_user())})

"""Blueprint: the command endpoint and the JSON queries.

POST /api/commands only validates and queues (backend/command_queue): no SQL, no read-model write.
Every GET reads Redis.
"""
import time

from flask import Blueprint, current_app, jsonify

from backend.read import queries
from backend.web import ratelimit
from backend.web.as_of import as_of_arg, past
from backend.write.command_queue import queued_key, submit
from backend.write.commands import ValidationError, clean_command_id, parse_command
from backend.web.http import (ApiError, current_user, json_body, login_required, paged, query_args,
                              read_side, services)
from backend.web.schemas import CommentsQuery, FollowQuery, PageQuery
from backend.read.projections import command_key

bp = Blueprint("api", __name__, url_prefix="/api")
def _conflict():
    return ApiError(409, "command_id_conflict", "That command_id belongs to another command.",
                    "command_id")


def _known(command_id: str, author: str, outcome: dict | None, queued_by: str | None) -> dict | None:
    """What we know of a command: its recorded outcome, else "queued" while it is in the inbox
    (waiting, or being applied), else nothing (never sent, or lost with Redis). Another member's
    command_id is a conflict."""
    status = queries.parse_command_status(command_id, outcome)
    if status is not None:
        if status.pop("author", author) != author:
            raise _conflict()
        return status
    if queued_by is not None:
        if queued_by != author:
            raise _conflict()
        return {"command_id": command_id, "status": "queued"}
    return None


@bp.post("/commands")
@login_required
def submit_command():
    try:
        cmd = parse_command(json_body(), author=current_user())
    except ValidationError as err:
        raise ApiError(400, err.code, err.message, err.field)
    svc, queued = services(), {"command_id": cmd.command_id, "status": "queued"}
    config = current_app.config["RIPPLE"]
    if cmd.type == "create_comment" and config.ratelimit_enabled:
        ratelimit.check_comment(svc.redis, cmd.author, cmd.payload["post_id"], cmd.command_id,
                                config.comments_per_post_minute, time.time())
    envelope = cmd.envelope() | {"accepted_at": time.time() * 1000}  # the first stage's time (ms)
    kind, value = submit(svc.queue, svc.redis, envelope, command_key(cmd.command_id),
                         svc.config.job_timeout_s)
    if kind == "put":  # the usual case: new, now in the inbox
        return jsonify(queued), 202
    outcome, queued_by = (value, None) if kind == "recorded" else (None, value)
    return jsonify(_known(cmd.command_id, cmd.author, outcome, queued_by)), 202


@bp.get("/commands/<command_id>")
@login_required
def command_status(command_id):
    try:
        command_id = clean_command_id(command_id)
    except ValidationError as err:
        raise ApiError(400, err.code, err.message, err.field)
    with services().redis.pipeline(transaction=False) as p:  # one round trip for both
        p.hgetall(command_key(command_id))
        p.get(queued_key(command_id))
        outcome, marker = p.execute()
    status = _known(command_id, current_user(), outcome, marker)
    if status is None:
        raise ApiError(404, "command_not_found", "No such command (or it was lost: send it again).")
    return jsonify(status)


def _page_args():
    args = query_args(PageQuery)
    return args.limit, args.before


@bp.get("/timeline")
def timeline():
    limit, before = _page_args()
    if (seq := as_of_arg()) is not None:
        return jsonify(past("timeline", seq, None, limit, before, viewer=current_user()))
    return jsonify(paged(queries.timeline, limit, before, current_user()))


@bp.get("/feed")
@login_required
def feed():
    limit, before = _page_args()
    if (seq := as_of_arg()) is not None:
        return jsonify(past("feed", seq, current_user(), limit, before, viewer=current_user()))
    return jsonify(paged(queries.feed, current_user(), limit, before))


@bp.get("/users/<handle>")
def user(handle):
    limit, before = _page_args()
    if (seq := as_of_arg()) is not None:
        return jsonify(past("profile", seq, handle.lower(), limit, before, viewer=current_user()))
    return jsonify(queries.profile(read_side(), handle.lower(), current_user(), limit, before))


@bp.get("/users/<handle>/<any(followers, following):which>")
def follow_list(handle, which):
    args = query_args(FollowQuery)
    return jsonify(queries.follow_list(read_side(), handle.lower(), which, args.limit, args.offset))


@bp.get("/posts/<int:post_id>")
def post(post_id):
    if (seq := as_of_arg()) is not None:
        return jsonify(past("post", seq, post_id, viewer=current_user()))
    return jsonify(queries.post_detail(read_side(), post_id, current_user()))


@bp.get("/posts/<int:post_id>/comments")
def comments(post_id):
    """The next page of a post's comments: ?after=<comments_next of the previous page>."""
    args = query_args(CommentsQuery)
    return jsonify(queries.comment_page(read_side(), post_id, args.after, args.limit))

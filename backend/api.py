"""Blueprint: the command endpoint and the JSON queries.

POST /api/commands only validates and enqueues: no SQL, no read-model write. Every GET reads Redis.
"""
from flask import Blueprint, jsonify
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from . import queries
from .commands import ValidationError, clean_command_id, parse_command
from .http import ApiError, current_user, int_arg, json_body, login_required, services

bp = Blueprint("api", __name__, url_prefix="/api")
JOB_FUNC = "worker.jobs.process_command"
RETRY = Retry(max=6, interval=[1, 2, 4, 8, 16, 30])  # transient faults: DB or Redis briefly gone
LIVE_JOB_STATES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def _read_side():
    """The Redis client, after making sure the read models exist (rebuilt if Redis came back empty)."""
    svc = services()
    svc.projector.ensure_read_side()
    return svc.redis


def _paged(query, *args) -> dict:
    """A page query (timeline, feed) without _read_side's extra round trip: the page's own snapshot
    carries the checkpoint, so version 0 is the only case where the read side may be missing."""
    svc = services()
    svc.projector.ensure_store()  # once per process
    page = query(svc.redis, *args)
    if page["version"] == 0 and svc.projector.checkpoint() is None:
        page = query(_read_side(), *args)
    return page


def _job(command_id: str) -> Job | None:
    svc = services()
    try:
        return Job.fetch(command_id, connection=svc.rq_redis, serializer=svc.queue.serializer)
    except NoSuchJobError:
        return None


def _pending_status(command_id: str, author: str) -> dict | None:
    """What we know of a command: its recorded outcome, else a live job, else nothing."""
    status = queries.command_status(services().redis, command_id)
    if status is not None:
        if status.pop("author", author) != author:
            raise ApiError(409, "command_id_conflict", "That command_id belongs to another command.",
                           "command_id")
        return status
    job = _job(command_id)
    if job is not None and job.get_status(refresh=False) in LIVE_JOB_STATES:
        if job.args and job.args[0].get("author") != author:
            raise ApiError(409, "command_id_conflict", "That command_id belongs to another command.",
                           "command_id")
        return {"command_id": command_id, "status": "queued"}
    return None


@bp.post("/commands")
@login_required
def submit_command():
    try:
        cmd = parse_command(json_body(), author=current_user())
    except ValidationError as err:
        raise ApiError(400, err.code, err.message, err.field)
    known = _pending_status(cmd.command_id, cmd.author)
    if known is None:  # new (or lost with the queue): enqueue; the worker makes a re-run harmless
        svc = services()
        svc.queue.enqueue(JOB_FUNC, cmd.envelope(), job_id=cmd.command_id, retry=RETRY,
                          result_ttl=0, failure_ttl=7 * 24 * 3600,
                          job_timeout=svc.config.job_timeout_s)
        known = {"command_id": cmd.command_id, "status": "queued"}
    return jsonify(known), 202


@bp.get("/commands/<command_id>")
@login_required
def command_status(command_id):
    try:
        command_id = clean_command_id(command_id)
    except ValidationError as err:
        raise ApiError(400, err.code, err.message, err.field)
    status = _pending_status(command_id, current_user())
    if status is None:
        raise ApiError(404, "command_not_found", "No such command (or it was lost: send it again).")
    return jsonify(status)


def _page_args():
    return int_arg("limit", 20, 1, queries.MAX_LIMIT), int_arg("before", None, 1, 2**53)


@bp.get("/timeline")
def timeline():
    limit, before = _page_args()
    return jsonify(_paged(queries.timeline, limit, before, current_user()))


@bp.get("/feed")
@login_required
def feed():
    limit, before = _page_args()
    return jsonify(_paged(queries.feed, current_user(), limit, before))


@bp.get("/users/<handle>")
def user(handle):
    limit, before = _page_args()
    return jsonify(queries.profile(_read_side(), handle.lower(), current_user(), limit, before))


@bp.get("/users/<handle>/<any(followers, following):which>")
def follow_list(handle, which):
    limit, offset = int_arg("limit", 100, 1, 1000), int_arg("offset", 0, 0, 10**9)
    return jsonify(queries.follow_list(_read_side(), handle.lower(), which, limit, offset))


@bp.get("/posts/<int:post_id>")
def post(post_id):
    return jsonify(queries.post_detail(_read_side(), post_id, current_user()))

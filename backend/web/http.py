"""HTTP plumbing shared by the blueprints, re-exported from their own small modules
(errors, bodies, origin, login, args), plus access to this app's services and read side."""
from flask import current_app

from backend.web.args import int_arg, query_args  # noqa: F401
from backend.web.bodies import json_body, require_json  # noqa: F401
from backend.web.errors import ApiError, error_response  # noqa: F401
from backend.web.login import current_user, login_required  # noqa: F401
from backend.web.origin import check_host, check_origin, origin_allowed  # noqa: F401


def services():
    """This app's Services (backend.services), built once by create_app."""
    return current_app.extensions["ripple"]


def read_side():
    """The read-model Redis client, after making sure the read models exist (rebuilt if Redis came
    back empty): one extra round trip."""
    svc = services()
    svc.projector.ensure_read_side()
    return svc.redis


def paged(query, *args) -> dict:
    """A page query (queries.timeline, queries.feed) without read_side's extra round trip: the
    page's own snapshot carries the checkpoint, so version 0 is the only case where the read side
    may be missing."""
    svc = services()
    svc.projector.ensure_store()  # once per process
    page = query(svc.redis, *args)
    if page["version"] == 0 and svc.projector.checkpoint() is None:
        page = query(read_side(), *args)
    return page

"""The web layer's own inputs and outputs, declared once with pydantic v2: query parameters, the
Socket.IO `watch` request, the error body and /healthz. The request side is validated from these
(backend/web/http.query_args) and the OpenAPI / AsyncAPI documents are generated from them."""
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.read.projections import PROJECTIONS
from backend.read.schemas import DemoState, SystemInfo  # noqa: F401 -- part of this API
from backend.read.queries import COMMENT_PAGE, MAX_LIMIT
from backend.web.realtime import MAX_ROOMS, VIEW_ROOM
from backend.write.schemas import POST_ID_LIMIT

ROOM_PATTERN = f"^(?:{VIEW_ROOM.pattern})$"  # the handler's own rule (it uses fullmatch)


class PageQuery(BaseModel):
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description="Posts per page")
    before: int | None = Field(None, ge=1, le=POST_ID_LIMIT,
                               description="Only posts older than this id (the previous page's `next`)")


class CommentsQuery(BaseModel):
    after: int = Field(0, ge=0, le=10**9, description="The previous page's `next`")
    limit: int = Field(COMMENT_PAGE, ge=1, le=COMMENT_PAGE)


SEQ_MAX = 2**53


class AsOfQuery(BaseModel):
    as_of: int | None = Field(None, ge=0, le=SEQ_MAX,
                              description="Answer as of this event seq (≤ the log head)")
    at: float | None = Field(None, ge=0, description="Epoch seconds: as of the last event then "
                                                    "(not with as_of)")


class PageAsOfQuery(PageQuery, AsOfQuery):
    pass


class EventsQuery(BaseModel):
    limit: int = Field(50, ge=1, le=200)
    before: int | None = Field(None, ge=1, le=SEQ_MAX, description="Newest first, older than this")
    after: int | None = Field(None, ge=0, le=SEQ_MAX,
                              description="Oldest first, newer than this (with before: between)")
    type: Literal[tuple(sorted(PROJECTIONS))] | None = Field(None, description="An event type")
    handle: str | None = Field(None, pattern=r"^@?[A-Za-z0-9_]{3,20}$",
                               description="A member: their events")
    post_id: int | None = Field(None, ge=1, le=SEQ_MAX)


class PostHistoryQuery(BaseModel):
    limit: int = Field(50, ge=1, le=200)
    after: int | None = Field(None, ge=0, le=SEQ_MAX)


class MemberHistoryQuery(BaseModel):
    limit: int = Field(50, ge=1, le=200)
    before: int | None = Field(None, ge=1, le=SEQ_MAX)


class FollowQuery(BaseModel):
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=10**9)


class ErrorBody(BaseModel):
    code: str = Field(description="Stable, machine-readable; the operation lists its codes")
    message: str = Field(description="For people; may change")
    field: str | None = Field(description="The input at fault, e.g. payload.body, or null")


class ErrorResponse(BaseModel):
    """The body of every 4xx answer."""
    error: ErrorBody


class Check(BaseModel):
    ok: bool
    error: str | None = None


class Recovery(BaseModel):
    ok: bool
    last_pass_at: float | None = None
    error_code: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded", "unavailable"]
    recovery: Recovery | None = None
    redis: Check | None = None
    db: Check | None = None
    queue_depth: int | None = None
    log_head: int | None = None
    checkpoint: int | None = None
    read_model_lag: int | None = None
    took_ms: float | None = None


Room = Annotated[str, Field(pattern=ROOM_PATTERN,
                            description="timeline, profile:<handle>, post:<id>, log, or (members only) "
                                        "inspector")]


class WatchRequest(BaseModel):
    """Socket.IO `watch`: what this tab shows (it then hears only about that, and its own)."""
    model_config = ConfigDict(json_schema_extra={"examples": [{"rooms": ["timeline"]},
                                                              {"rooms": ["post:1"]}]})
    rooms: list[Room] = Field(max_length=MAX_ROOMS)


class SocketError(BaseModel):
    """The `error` event: the answer to a message the server could not take (e.g. invalid_rooms)."""
    code: str
    message: str


class WatchAck(BaseModel):
    """The acknowledgement of `watch`."""
    ok: bool
    error: SocketError | None = None


class DemoControls(BaseModel):
    """POST /api/demo: one or more instance-wide demo controls (demo mode only)."""
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "minProperties": 1, "examples": [{"workers_paused": True}, {"worker_delay_ms": 800}]})
    worker_delay_ms: int | None = Field(None, ge=0, le=5000)
    workers_paused: bool | None = None
    projection_paused: bool | None = None
    crowd: bool | None = None


class GuestUser(BaseModel):
    handle: str
    guest: bool


class GuestResponse(BaseModel):
    user: GuestUser

"""The inspector's live feed, from ONE emitter per instance (a worker thread holding a Redis lock):
to the Socket.IO room "inspector" only, so tabs with the inspector closed get none of it.

- `system`: the GET /api/system object, when it changed, at most 4 times a second;
- `events_appended {"events": [...]}`: the events appended since the last batch (summaries that
  follow the event log's privacy rules, backend/read/system.py).
And to every tab, only when the demo controls change (set, or reverted by themselves): `demo`, the
demo object, so every open page shows or drops the banner.
And to the public room "log" (the /events pages), only while some tab watches it: `log_head
{"head": N}` when the log head moved, at most 4 times a second whatever the command rate. It says
no more than that: each page then asks GET /api/events?after=<its newest seq> with its own filters,
so what it shows has gone through the log's privacy rules for that viewer (no deleted bodies, likes
as counts), exactly like the first page it loaded.
"""
from backend.read.system import demo_state, events_after, log_head, system_report
from worker.emitter import make_emitter
from worker.singleton import Singleton

LOCK = "ripple-inspector:emitter"
WATCHED = "ripple-inspector:watched"  # set (60 s) by the web side while some tab has it open
LOG_WATCHED = "ripple-log:watched"    # the same for the "log" room (backend/web/realtime.py)
ROOM = "inspector"
LOG_ROOM = "log"
PERIOD_S = 0.25  # 4 a second at most
BATCH = 100
TAIL_START = 20  # events shown when the inspector opens


class InspectorFeed:
    def __init__(self, services, emitter):
        self.svc, self.emitter = services, emitter
        self.last_report, self.seq, self.log_seq = None, None, None

    def start_from_head(self) -> None:
        """On taking over: continue from the log head (the tail shows what happens from now on)."""
        self.seq, self.last_report = log_head(self.svc.session_factory), None
        self.log_seq = None  # the log room hears the head once, whatever it was

    def step(self) -> None:
        inspector, log = self.svc.redis.mget(WATCHED, LOG_WATCHED)
        head = self._inspector_step() if inspector else self._banner_step()
        if not log:
            self.log_seq = None
            return
        head = log_head(self.svc.session_factory) if head is None else head
        if head != self.log_seq:
            self.emitter.emit("log_head", {"head": head}, to=LOG_ROOM)
            self.log_seq = head

    def _banner_step(self) -> None:
        """Nobody has the inspector open: only the banner's changes."""
        state = demo_state(self.svc.redis, self.svc.config)
        if self.last_report is not None and state != self.last_report["demo"]:
            self.emitter.emit("demo", state)
        self.last_report, self.seq = {"demo": state}, None
        return None

    def _inspector_step(self) -> int:
        """The `system` report when it changed and the events appended since; the log head."""
        report = system_report(self.svc)
        if report != self.last_report:
            self.emitter.emit("system", report, to=ROOM)
            if self.last_report is not None and report["demo"] != self.last_report["demo"]:
                self.emitter.emit("demo", report["demo"])  # rare: a person set them, or they expired
            self.last_report = report
        if self.seq is None:  # someone just opened it: the tail starts with the last few events
            self.seq = max(0, report["log_head"] - TAIL_START)  # (and none appended meanwhile
                                                                 # is skipped)
        if report["log_head"] > self.seq:
            events = events_after(self.svc.session_factory, self.seq, BATCH)
            if events:
                self.seq = events[-1]["seq"]
                self.emitter.emit("events_appended", {"events": events}, to=ROOM)
        return report["log_head"]


def start(services) -> Singleton:
    """Its own emitter: the job thread's one batches messages and is not to be shared."""
    config = services.config
    feed = InspectorFeed(services, make_emitter(config.redis_url, config.socketio_channel))
    thread = Singleton(services.redis, LOCK, feed.step, PERIOD_S, on_acquire=feed.start_from_head)
    thread.start()
    return thread

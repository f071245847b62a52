"""The projector loop: every worker process follows the event log and projects what nobody did.

Normally a drain job projects its own batch's events straight after the commit (the fast path) and
this loop finds nothing to do. It is what projects (and announces) when no job does: a sign-up on
an idle instance whose web process could not project at once, a worker killed between commit and
projection, the end of a demo "projection paused".

Why a thread in `python -m worker` rather than a `--projector` process: every worker must be able to
take over when another dies, and a separate process type would be one more thing to deploy,
supervise and forget. Running in every worker is safe: the checkpoint's WATCH makes each event
applied (and so announced) by exactly one projector, and the projector lock keeps two from doing
the same work. The loop only steps in when the checkpoint has not moved for STALL_S while the
log head is ahead, so it never races a drain job's fast path for fresh events.
"""
import logging
import threading

from sqlalchemy import select

from backend import demo
from backend.write.models import LogHead

log = logging.getLogger("ripple.projector")
TICK_S = 0.2
# Step in only after the checkpoint stood still this long with the log ahead: a drain job projects
# its own batch within milliseconds, and taking the projector lock sooner would make the jobs' fast
# path step aside (measured: the SIGKILL fault scenario converged 20x slower at 0.2 s).
STALL_S = 1.0


def log_head(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(LogHead.seq).where(LogHead.id == 1)) or 0


def projection_paused(services) -> bool:
    return bool(services.config.demo and demo.read_controls(services.redis)["projection_paused"])


class ProjectorLoop(threading.Thread):
    def __init__(self, services, announcer, tick_s: float = TICK_S):
        super().__init__(name="ripple-projector", daemon=True)
        self.services, self.announcer, self.tick_s = services, announcer, tick_s
        self.stopping = threading.Event()
        self.seen: int | None = None  # the checkpoint at the last tick
        self.passes = 0               # ticks completed (tests wait on it)
        self.stalled = 0              # consecutive ticks with the log ahead and no progress

    def run(self) -> None:
        while not self.stopping.wait(self.tick_s):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 -- Redis or the DB away: try again next tick
                log.warning("projector loop: tick failed", exc_info=True)
                self.seen = None
            self.passes += 1

    def stop(self) -> None:
        self.stopping.set()

    def tick(self) -> None:
        svc = self.services
        if projection_paused(svc):
            self.seen, self.stalled = None, 0
            return
        cp = svc.projector.checkpoint()
        if cp is None:  # no read side yet (Redis empty): the first projector replays the log
            svc.projector.catch_up(wait_s=self.tick_s)
            return
        if log_head(svc.session_factory) > cp and cp == self.seen:
            self.stalled += 1
            if self.stalled * self.tick_s >= STALL_S:  # nobody is projecting: we do
                cp = svc.projector.catch_up(wait_s=self.tick_s)  # announces what it applies
                self.stalled = 0
        else:
            self.stalled = 0
        if self.seen is not None:  # outcomes ready since the last tick that nobody announced
            self.announcer.flush(min(cp, self.seen))
        self.seen = cp

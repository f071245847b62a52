"""Notification: what the read side now holds is announced, once, by whoever projected it.

The projector calls an Announcer with the events it has just applied (the inline fast path of a
drain job and the projector loop alike, so both send the same messages). It sends:
- each event's public messages (backend/read/notifications.messages_for_event), built from the event
  itself, never from a job's memory;
- the author-only outcome (command_succeeded / command_failed) of every command whose recorded
  outcome was waiting for the read side to reach its seq (worker/outcomes.PENDING), built from that
  recorded outcome, in log order: an outcome right after its command's last event.
An event applied by nobody else is announced by the one projector that moved the checkpoint over it
(WATCH on the checkpoint), so no message goes out twice; a rebuild announces nothing.
"""
import logging

from backend.read.notifications import messages_for_event, outcome_message
from worker import outcomes
from worker.emitter import batched

log = logging.getLogger("ripple.worker")


class Announcer:
    def __init__(self, r, emitter):
        self.r, self.emitter = r, emitter

    def __call__(self, events: list[dict], checkpoint: int) -> None:
        """The projector applied `events` (seq order) and reached `checkpoint`."""
        messages = [((ev["seq"], 0, 0), m) for ev in events for m in messages_for_event(ev, self.r)]
        messages += self._outcomes(outcomes.pop_ready(self.r, checkpoint), checkpoint)
        messages.sort(key=lambda keyed: keyed[0])  # stable: an event's own messages keep order
        self.emit([m for _, m in messages])

    def flush(self, checkpoint: int) -> None:
        """Announce the outcomes that were waiting for no more than `checkpoint`."""
        self([], checkpoint)

    def emit(self, messages: list[tuple[str, dict, list[str]]]) -> None:
        if not messages:
            return
        with batched(self.emitter):
            for name, payload, rooms in messages:
                self.emitter.emit(name, payload, to=rooms)

    def _outcomes(self, ready: list[tuple[str, float]], checkpoint: int) -> list:
        if not ready:
            return []
        at, keyed, finals = outcomes.now_ms(), [], []
        for (_, score), status in zip(ready, outcomes.load(self.r, [cid for cid, _ in ready])):
            if not status:  # expired: its author's tab asks again (404) and re-sends it
                continue
            timings = status["timings"]
            if status["status"] == "saved":
                timings = outcomes.stamp(outcomes.stamp(timings or {}, "projected_at", at),
                                         "notified_at")
                status["status"] = "succeeded"
                finals.append((status, "succeeded", timings, status["seq"]))
            keyed.append(((int(score), 1, score),
                          outcome_message(status, status, checkpoint, timings)))
        outcomes.record(self.r, finals)
        return keyed

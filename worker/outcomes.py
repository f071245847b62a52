"""The command-outcome read model behind GET /api/commands/<id> (`ripple:command:<id>`, a hash).

Recorded in two steps, so a reload or a poll never loses a stage:
- at commit time: `saved` (the command's effects and events are in the write DB, not yet in the read
  models) or, for a rejection, `failed` (final: nothing to project);
- after projection: `succeeded`, with the full `timings`.
A final outcome is never overwritten: a re-delivered command finds it and leaves it as it was.

An outcome waiting to be announced is also in PENDING (a sorted set: command_id scored by the log
seq the read side must reach first). Whoever projects up to that seq pops it (atomically: exactly
one announcer) and tells the author; see worker/announce.py.
"""
import json
import time

from backend.read.projections import command_key
from backend.write.command_queue import queued_by, queued_key

TTL_S = 7 * 24 * 3600
PENDING = "ripple-outcomes:pending"  # not "ripple:": not a read model, kept by a rebuild
STAGES = ("accepted_at", "taken_at", "committed_at", "projected_at", "notified_at")
FINAL = ("succeeded", "failed")

# KEYS: outcome hash, queued marker; ARGV: ttl, final (1/0), then field/value pairs. Writes the
# fields unless a final outcome is recorded already; a final one also ends the queued marker.
_RECORD = """
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'succeeded' and status ~= 'failed' then
  redis.call('HSET', KEYS[1], unpack(ARGV, 3))
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
if ARGV[2] == '1' then redis.call('DEL', KEYS[2]) end
return status
"""


def now_ms() -> float:
    return time.time() * 1000.0


def stamp(timings: dict, stage: str, at: float | None = None) -> dict:
    """`timings` with `stage` set to `at` (now), never earlier than the stage before it: the
    stages are non-decreasing even if the envelope's accepted_at came from another clock."""
    at = now_ms() if at is None else at
    earlier = [timings[s] for s in STAGES[:STAGES.index(stage)] if timings.get(s) is not None]
    return timings | {stage: max([at, *earlier])}


def start_timings(envelope: dict, taken_at: float) -> dict:
    accepted = envelope.get("accepted_at")
    accepted = float(accepted) if isinstance(accepted, (int, float)) else taken_at
    return stamp({"accepted_at": min(accepted, taken_at)}, "taken_at", taken_at)


def _fields(status: dict, stage: str, timings: dict | None, seq: int | None) -> list:
    fields = {"status": stage, "author": status["author"]}
    if status.get("type"):
        fields["type"] = status["type"]
    for key in ("result", "error"):
        if status.get(key) is not None:
            fields[key] = json.dumps(status[key])
    if timings is not None:
        fields["timings"] = json.dumps(timings)
    if seq is not None:
        fields["seq"] = seq
    return [x for kv in fields.items() for x in kv]


# KEYS: pending set; ARGV: checkpoint + 1. Pops (returns and removes, with their scores) every
# outcome the read side holds. A score is seq + position in its batch / 1000 (commit order).
_POP = """
local got = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'WITHSCORES')
for i = 1, #got, 2 do redis.call('ZREM', KEYS[1], got[i]) end
return got
"""


def record(r, entries: list[tuple[dict, str, dict | None, int | None]],
           pending: list[tuple[str, int]] = ()) -> None:
    """Record (status, stage, timings, seq) for each command in one round trip. `stage`: saved,
    succeeded or failed; a command already recorded final is left as it was. `pending`:
    (command_id, seq) whose announcement waits for the read side to reach seq."""
    script = r.register_script(_RECORD)
    with r.pipeline(transaction=False) as p:
        for status, stage, timings, seq in entries:
            script(keys=[command_key(status["command_id"]), queued_key(status["command_id"])],
                   args=[TTL_S, "1" if stage in FINAL else "0",
                         *_fields(status, stage, timings, seq)], client=p)
        if pending:
            p.zadd(PENDING, dict(pending))
        p.execute()


def pending_score(seq: int, position: int) -> float:
    return seq + min(position, 999) / 1000


def pop_ready(r, checkpoint: int) -> list[tuple[str, float]]:
    """The pending outcomes the read side now holds, removed from PENDING (one caller gets each),
    as (command_id, score) in commit order."""
    got = r.register_script(_POP)(keys=[PENDING], args=[checkpoint + 1])
    return sorted(((got[i], float(got[i + 1])) for i in range(0, len(got), 2)),
                  key=lambda item: item[1])


def load(r, command_ids: list[str]) -> list[dict]:
    """The recorded outcome hashes (parsed), {} for one that expired."""
    with r.pipeline(transaction=False) as p:
        for cid in command_ids:
            p.hgetall(command_key(cid))
        raws = p.execute()
    out = []
    for cid, raw in zip(command_ids, raws):
        if raw:
            raw = {"command_id": cid, "type": "", **raw}
            for key in ("result", "error", "timings"):
                raw[key] = json.loads(raw[key]) if raw.get(key) else None
            raw["seq"] = int(raw.get("seq") or 0)
        out.append(raw)
    return out


def forget_markers(r, envelopes: list[dict]) -> None:
    """A conflicting command is over (nothing recorded): drop its queued marker if it names that
    sender, so it neither blocks the id's real author nor reads as "queued" for ever."""
    for env in envelopes:
        if queued_by(r, env["command_id"]) == env.get("author"):
            r.delete(queued_key(env["command_id"]))

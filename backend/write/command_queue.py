"""The command queue: an inbox of commands in a Redis stream, drained in batches by RQ jobs.

POST /api/commands appends the command's envelope to the stream `ripple-inbox` (XADD) together with a
marker `ripple-queued:<command_id>` (whose command it is), and rings the doorbell: when no drain job
is waiting, it enqueues one on the RQ queue (`worker.jobs.drain_inbox`). A drain job reads up to
RIPPLE_COMMAND_BATCH (50) commands at a time through the consumer group `drainers` (XREADGROUP),
applies them in one write transaction, records their outcomes, then acknowledges and deletes exactly
those entries (XACK + XDEL, by entry id), until nothing is left to read.

Why batches and not one RQ job per command: RQ's own per-job work (registries, execution records,
status) was the largest single cost of a command, and one transaction per command paid a commit each.
A batch is whatever arrived while the workers were busy: one command when idle, dozens under load.

Nothing acknowledged is lost: the command is in Redis before the 202 leaves, and an entry leaves the
stream only after its outcome is recorded. Until then it sits in the group's pending entries list,
owned by the consumer (worker process) that read it. If that worker dies, times out, or its job fails
for good (the write DB away for over a minute), the entries stay pending; once they have been idle
CLAIM_IDLE_MS, the next drain job claims them (XAUTOCLAIM) and applies them. Re-applying a command is
harmless (processed_commands). RQ does what it is good at: waking and scheduling drain jobs, retries,
timeouts, registries, `rq info`. Recovery (worker/recovery.py) only rings for a drain job when
entries wait that no job will take; it reads no RQ internals.

Poison rule: a command whose own handler raised (a bug, not a rule) is put back at the end of the
stream with its `crashes` count one higher; the server-side count a client cannot send
(backend/write/commands.parse_command drops it). Past CRASH_LIMIT it is recorded failed
("not_applied"). Re-deliveries after an outage, a dead worker or a slow one never count.
"""
import json
import uuid

from redis.exceptions import ResponseError
from rq import Retry

INBOX = "ripple-inbox"               # the stream of envelopes; not "ripple:" (read models)
GROUP = "drainers"                   # its consumer group: every drain job reads through it
FIELD = "c"                          # an entry's one field: the envelope (JSON)
DOORBELL = "ripple-inbox:doorbell"   # set while a drain job is waiting to start
JOB_FUNC = "worker.jobs.drain_inbox"
RETRY = Retry(max=6, interval=[1, 2, 4, 8, 16, 30])  # transient faults: DB or Redis briefly gone
KEEP_S = 7 * 24 * 3600                               # markers, and failed jobs for inspection
CLAIM_IDLE_MS = 3000  # a pending entry idle this long belongs to a dead, failed or starved run
CRASHES = "crashes"   # envelope field: how often its own handler raised
CRASH_LIMIT = 2       # crashed once more than this, a command is recorded failed, not run again


def queued_key(command_id: str) -> str:
    return f"ripple-queued:{command_id}"


# KEYS: inbox, doorbell, then one marker key per envelope; ARGV: ttl, then (author, envelope) pairs.
# Returns 1 when it rang (set the doorbell): the caller then enqueues a drain job.
_PUT = """
local ttl = tonumber(ARGV[1])
for i = 3, #KEYS do
  redis.call('XADD', KEYS[1], '*', 'c', ARGV[2 * (i - 2) + 1])
  redis.call('SET', KEYS[i], ARGV[2 * (i - 2)], 'EX', ttl)
end
if redis.call('SET', KEYS[2], '1', 'NX') then return 1 end
return 0
"""

# KEYS: outcome hash, marker, inbox, doorbell; ARGV: ttl, author, envelope. What POST /api/commands
# needs in one round trip: the command's recorded outcome, else its marker (its author), else it is
# put in the inbox (and the doorbell rung, 1, or not, 0).
_SUBMIT = """
local outcome = redis.call('HGETALL', KEYS[1])
if #outcome > 0 then return {'recorded', outcome} end
local marker = redis.call('GET', KEYS[2])
if marker then return {'queued', marker} end
redis.call('XADD', KEYS[3], '*', 'c', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'EX', tonumber(ARGV[1]))
if redis.call('SET', KEYS[4], '1', 'NX') then return {'put', 1} end
return {'put', 0}
"""


def put_commands(queue, r, envelopes: list[dict], job_timeout: int) -> None:
    """Append `envelopes` to the inbox with their markers (one atomic script) and make sure a drain
    job is coming. `r`: a Redis client (str responses) on the queue's Redis."""
    keys = [INBOX, DOORBELL] + [queued_key(e["command_id"]) for e in envelopes]
    args = [KEEP_S]
    for env in envelopes:
        args += [env["author"], json.dumps(env)]
    if r.eval(_PUT, len(keys), *keys, *args):
        enqueue_drain(queue, job_timeout)


def submit(queue, r, envelope: dict, outcome_key: str, job_timeout: int) -> tuple[str, object]:
    """A new command goes in the inbox unless it is known -- one round trip. Returns
    ("recorded", outcome hash), ("queued", its author) or ("put", None)."""
    kind, value = r.eval(_SUBMIT, 4, outcome_key, queued_key(envelope["command_id"]), INBOX,
                         DOORBELL, KEEP_S, envelope["author"], json.dumps(envelope))
    if kind == "recorded":
        return kind, dict(zip(value[::2], value[1::2]))
    if kind == "queued":
        return kind, value
    if value:
        enqueue_drain(queue, job_timeout)
    return "put", None


def ring(queue, r, job_timeout: int, force: bool = False) -> bool:
    """Enqueue a drain job unless one is already waiting (the doorbell is set); True if it did.
    `force`: enqueue even so (recovery: the doorbell may be left from a job that never started)."""
    if r.set(DOORBELL, "1", nx=True) or force:
        enqueue_drain(queue, job_timeout)
        return True
    return False


def enqueue_drain(queue, job_timeout: int) -> str:
    job = queue.enqueue_call(JOB_FUNC, job_id=str(uuid.uuid4()), retry=RETRY, result_ttl=0,
                             failure_ttl=KEEP_S, timeout=job_timeout)
    return job.id


class Taken(dict):
    """An envelope as read from the inbox; `entry_id` is its stream entry's id, `claimed` whether
    it was claimed from another run."""
    entry_id: str
    claimed: bool = False


def _taken(entry_id: str, fields: dict, claimed: bool) -> Taken:
    env = Taken(json.loads(fields[FIELD]))
    env.entry_id, env.claimed = entry_id, claimed
    return env


def ensure_group(r) -> None:
    """The consumer group, created with the stream if missing (also after Redis restarted empty).
    It starts at 0: entries added before it existed are read too."""
    try:
        r.xgroup_create(INBOX, GROUP, id="0", mkstream=True)
    except ResponseError as err:
        if "BUSYGROUP" not in str(err):
            raise


def take(r, consumer: str, batch: int) -> list[Taken]:
    """The next batch for `consumer` (a worker process): entries some run left pending for
    CLAIM_IDLE_MS (its worker died, its job failed or timed out) first, else up to `batch` new
    ones; [] when there are none."""
    try:
        got = r.xautoclaim(INBOX, GROUP, consumer, CLAIM_IDLE_MS, "0-0", count=batch)[1]
        claimed = bool(got)
        got = got or [e for _, entries in r.xreadgroup(
            GROUP, consumer, {INBOX: ">"}, count=batch) for e in entries]
    except ResponseError as err:
        if "NOGROUP" not in str(err):
            raise
        ensure_group(r)
        return take(r, consumer, batch)
    return [_taken(entry_id, fields, claimed) for entry_id, fields in got if fields]


def done(r, envelopes: list[Taken]) -> None:
    """`envelopes` are applied and their outcomes recorded: acknowledge and delete exactly their
    entries (by id), atomically."""
    ids = [env.entry_id for env in envelopes]
    if ids:
        with r.pipeline() as p:
            p.xack(INBOX, GROUP, *ids)
            p.xdel(INBOX, *ids)
            p.execute()


def crashed(r, envelopes: list[Taken]) -> None:
    """These commands' own handlers raised: put each back at the end of the inbox with its crash
    count one higher (in place of its entry, atomically), for a later batch to try again."""
    with r.pipeline() as p:
        for env in envelopes:
            p.xadd(INBOX, {FIELD: json.dumps(dict(env) | {CRASHES: crashes(env) + 1})})
            p.xack(INBOX, GROUP, env.entry_id)
            p.xdel(INBOX, env.entry_id)
        p.execute()


def crashes(envelope: dict) -> int:
    return envelope.get(CRASHES, 0)


def queued_by(r, command_id: str) -> str | None:
    """The author of a command waiting in the inbox (or being applied), if any."""
    return r.get(queued_key(command_id))


def depth(r) -> int:
    """Commands in the inbox: waiting, or being applied (read, not yet acknowledged)."""
    return r.xlen(INBOX)

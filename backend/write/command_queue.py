"""The command queue: an inbox of commands in Redis, drained in batches by RQ jobs (group commit).

POST /api/commands puts the command's envelope at the end of the inbox (a Redis list) together
with a marker `ripple-queued:<command_id>` (whose it is, and later which job took it), and rings
the doorbell: when no drain job is waiting, it enqueues one on the RQ queue,
`worker.jobs.drain_inbox`. A worker running that job takes up to RIPPLE_COMMAND_BATCH (50)
commands at a time and applies them in one write transaction, until the inbox is empty.

Why not one RQ job per command: RQ's own per-job work (registries, execution records, status; ~2 ms
of worker CPU here) was the largest single cost of a command, and one transaction per command paid a
commit each. With the inbox, a batch is whatever arrived while the workers were busy: one command
when the system is idle (no added wait), dozens under load -- so the cost per command falls exactly
when the load rises, and latency stays bounded near the maximum rate.

Nothing acknowledged is lost: the command is in Redis before the 202 leaves; a drain job moves a
batch atomically to its own list `ripple-inbox:taken:<job id>` and empties it only after the batch
is applied, so a job re-run after its worker died (worker/recovery.py) finds its batch there again.
Re-applying a command is harmless (processed_commands). Every worker's Watchman also makes sure a
non-empty inbox always has a drain job (a web process could die between ringing and enqueuing).

A drain job that fails for good (RQ's retries exhausted: e.g. the write DB away for over a minute)
keeps its batch in its taken list. Once the DB answers again the Watchman puts that batch back at
the front of the inbox (rescue), each envelope's "rescues" count one higher; a command rescued more
than RESCUE_LIMIT times (it crashes whatever we do) is recorded as failed ("not_applied") instead of
being tried for ever -- the author's tab shows it rolled back with that reason.
"""
import json
import uuid

from redis.exceptions import WatchError
from rq import Retry

INBOX = "ripple-inbox"               # envelopes (JSON), oldest first; not "ripple:" (read models)
DOORBELL = "ripple-inbox:doorbell"   # set while a drain job is waiting to start
JOB_FUNC = "worker.jobs.drain_inbox"
RETRY = Retry(max=6, interval=[1, 2, 4, 8, 16, 30])  # transient faults: DB or Redis briefly gone
KEEP_S = 7 * 24 * 3600                               # markers, and failed jobs for inspection
RESCUES = "rescues"   # envelope field: how often its batch was rescued from a failed drain job
RESCUE_LIMIT = 2      # rescued once more than this, a command is recorded failed, not run again


def queued_key(command_id: str) -> str:
    return f"ripple-queued:{command_id}"


def taken_key(job_id: str) -> str:
    return f"ripple-inbox:taken:{job_id}"


# KEYS: inbox, doorbell, then one marker key per envelope; ARGV: ttl, then (marker, envelope) pairs.
# Returns 1 when it rang (set the doorbell): the caller then enqueues a drain job.
_PUT = """
local ttl = tonumber(ARGV[1])
for i = 3, #KEYS do
  redis.call('RPUSH', KEYS[1], ARGV[2 * (i - 2) + 1])
  redis.call('SET', KEYS[i], ARGV[2 * (i - 2)], 'EX', ttl)
end
if redis.call('SET', KEYS[2], '1', 'NX') then return 1 end
return 0
"""

# KEYS: outcome hash, marker, inbox, doorbell; ARGV: ttl, marker value, envelope. What POST
# /api/commands needs in one round trip: the command's recorded outcome, else its marker, else it is
# put in the inbox (and the doorbell rung, 1, or not, 0).
_SUBMIT = """
local outcome = redis.call('HGETALL', KEYS[1])
if #outcome > 0 then return {'recorded', outcome} end
local marker = redis.call('GET', KEYS[2])
if marker then return {'queued', marker} end
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'EX', tonumber(ARGV[1]))
if redis.call('SET', KEYS[4], '1', 'NX') then return {'put', 1} end
return {'put', 0}
"""

# KEYS: inbox, the job's taken list; ARGV: batch size, job id, marker prefix, ttl. Moves the oldest
# commands to the taken list and records the job in their markers; returns them.
_TAKE = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return items end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('RPUSH', KEYS[2], unpack(items))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
for _, raw in ipairs(items) do
  local env = cjson.decode(raw)
  redis.call('SET', ARGV[3] .. env['command_id'], cjson.encode({env['author'], ARGV[2]}),
             'EX', tonumber(ARGV[4]))
end
return items
"""


def put_commands(queue, r, envelopes: list[dict], job_timeout: int) -> None:
    """Append `envelopes` to the inbox with their markers (one atomic script) and make sure a drain
    job is coming. `r`: a Redis client (str responses) on the queue's Redis."""
    keys = [INBOX, DOORBELL] + [queued_key(e["command_id"]) for e in envelopes]
    args = [KEEP_S]
    for env in envelopes:
        args += [json.dumps([env["author"], None]), json.dumps(env)]
    if r.eval(_PUT, len(keys), *keys, *args):
        enqueue_drain(queue, job_timeout)


def submit(queue, r, envelope: dict, outcome_key: str, job_timeout: int) -> tuple[str, object]:
    """A new command goes in the inbox unless it is known -- one round trip. Returns
    ("recorded", outcome hash), ("queued", (author, job id or None)) or ("put", None)."""
    marker = json.dumps([envelope["author"], None])
    kind, value = r.eval(_SUBMIT, 4, outcome_key, queued_key(envelope["command_id"]), INBOX,
                         DOORBELL, KEEP_S, marker, json.dumps(envelope))
    if kind == "recorded":
        return kind, dict(zip(value[::2], value[1::2]))
    if kind == "queued":
        return kind, parse_marker(value)
    if value:
        enqueue_drain(queue, job_timeout)
    return "put", None


def ring(queue, r, job_timeout: int) -> bool:
    """Enqueue a drain job unless one is already waiting (the doorbell is set); True if it did."""
    if r.set(DOORBELL, "1", nx=True):
        enqueue_drain(queue, job_timeout)
        return True
    return False


def enqueue_drain(queue, job_timeout: int) -> str:
    job = queue.enqueue_call(JOB_FUNC, job_id=str(uuid.uuid4()), retry=RETRY, result_ttl=0,
                             failure_ttl=KEEP_S, timeout=job_timeout)
    return job.id


class Taken(dict):
    """An envelope as taken from the inbox; `raw` is the exact string stored there."""
    raw: str


def _taken(raw: str) -> Taken:
    env = Taken(json.loads(raw))
    env.raw = raw
    return env


def take(r, job_id: str, batch: int) -> list[dict]:
    """The next batch for drain job `job_id`: what it took before and did not finish (it was
    killed and is being re-run), else up to `batch` commands moved from the inbox; [] if none."""
    raw = r.lrange(taken_key(job_id), 0, -1)
    if not raw:
        raw = r.eval(_TAKE, 2, INBOX, taken_key(job_id), batch, job_id, queued_key(""), KEEP_S)
    return [_taken(x) for x in raw]


def done(r, job_id: str, envelopes: list[dict]) -> None:
    """`envelopes`, taken by `job_id`, are applied and recorded: remove exactly these from its taken
    list, by the exact string stored (whoever wrote it, in whatever key order). Not the whole list:
    two runs of one job can overlap (a worker starved of CPU looks dead and its job is re-run), and
    one run's DEL would drop a batch the other run had just taken -- lost, had that run then been
    killed."""
    with r.pipeline(transaction=False) as p:
        for env in envelopes:
            p.lrem(taken_key(job_id), 1, getattr(env, "raw", None) or json.dumps(env))
        p.execute()


def queued_in(r, command_id: str) -> tuple[str, str | None] | None:
    """(author, id of the drain job that took it, or None while in the inbox), if queued."""
    return parse_marker(r.get(queued_key(command_id)))


def parse_marker(raw: str | None) -> tuple[str, str | None] | None:
    return tuple(json.loads(raw)) if raw else None


def depth(r) -> int:
    """Commands waiting in the inbox (not yet taken by a worker)."""
    return r.llen(INBOX)


def rescues(envelope: dict) -> int:
    return envelope.get(RESCUES, 0)


def stranded(queue) -> list[str]:
    """Drain jobs that failed for good (RQ's failed registry) and still hold a taken batch."""
    conn = queue.connection
    job_ids = [j.decode() if isinstance(j, bytes) else j
               for j in conn.zrange(queue.failed_job_registry.key, 0, -1)]
    if not job_ids:
        return []
    with conn.pipeline(transaction=False) as p:
        for job_id in job_ids:
            p.exists(taken_key(job_id))
        held = p.execute()
    return [job_id for job_id, n in zip(job_ids, held) if n]


def rescue(conn, job_id: str) -> int:
    """Put the batch a failed drain job took back at the front of the inbox, in order, each envelope
    with its rescue count one higher and its marker saying "waiting in the inbox" again; return how
    many commands. Atomic (WATCH): when several workers find the same batch, one moves it."""
    key = taken_key(job_id)
    with conn.pipeline() as p:
        while True:
            try:
                p.watch(key)
                envelopes = [json.loads(raw) for raw in p.lrange(key, 0, -1)]
                if not envelopes:
                    return 0
                p.multi()
                for env in reversed(envelopes):
                    p.lpush(INBOX, json.dumps(env | {RESCUES: rescues(env) + 1}))
                for env in envelopes:
                    p.set(queued_key(env["command_id"]), json.dumps([env["author"], None]), ex=KEEP_S)
                p.delete(key)
                p.execute()
                return len(envelopes)
            except WatchError:  # another worker moved it meanwhile: look again
                continue

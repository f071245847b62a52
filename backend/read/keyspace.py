"""Whole key spaces (a prefix) in Redis: list and drop. The drop runs inside Redis, a SCAN page at a
time, so no key crosses the wire (a key space of the read models is many keys)."""


def keys_of(r, prefix: str) -> list[str]:
    return list(r.scan_iter(prefix + "*", count=5000))


# One step of a server-side walk over a key space: SCAN a page of keys matching the prefix and
# UNLINK them, inside Redis; the client loops on the cursor.
_DROP = """
local reply = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2] .. '*', 'COUNT', ARGV[3])
for _, key in ipairs(reply[2]) do redis.call('UNLINK', key) end
return {reply[1], #reply[2]}
"""
_DROP_COUNT = 5000


def _glob_escape(prefix: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in prefix)


def drop_prefix(r, prefix: str) -> int:
    """Delete every key whose name starts with `prefix`; returns how many."""
    script, cursor, total = r.register_script(_DROP), "0", 0
    while True:
        cursor, n = script(args=[cursor, _glob_escape(prefix), _DROP_COUNT])
        total += int(n)
        if str(cursor) == "0":
            return total

"""Whole key spaces (a prefix) in Redis: list, drop, copy. The copy and the drop run inside Redis,
a SCAN page at a time, so no key crosses the wire (a snapshot of the read models is many keys)."""


def keys_of(r, prefix: str) -> list[str]:
    return list(r.scan_iter(prefix + "*", count=5000))


# One step of a server-side walk over a key space: SCAN a page of keys matching the source prefix
# and COPY (or UNLINK) each, inside Redis; the client loops on the cursor. No key crosses the wire.
_WALK = """
local reply = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2] .. '*', 'COUNT', ARGV[4])
local n = 0
for _, key in ipairs(reply[2]) do
  local rest = string.sub(key, tonumber(ARGV[5]) + 1)
  if ARGV[6] ~= '' and string.sub(rest, 1, #ARGV[6]) == ARGV[6] and rest ~= ARGV[7] then
    -- left out (a lean copy)
  elseif ARGV[3] == '' then
    redis.call('UNLINK', key)
  else
    redis.call('COPY', key, ARGV[3] .. rest, 'REPLACE')
    n = n + 1
  end
end
return {reply[1], n}
"""
_WALK_COUNT = 5000


def _walk(r, source: str, target: str, skip: str = "", but: str = "") -> int:
    script, cursor, total = r.register_script(_WALK), "0", 0
    while True:
        cursor, n = script(args=[cursor, _glob_escape(source), target, _WALK_COUNT,
                                 len(source), skip, but])
        total += int(n)
        if str(cursor) == "0":
            return total


def _glob_escape(prefix: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in prefix)


def drop_prefix(r, prefix: str) -> int:
    return _walk(r, prefix, "")


def copy_prefix(r, source: str, target: str, skip: str = "", but: str = "") -> int:
    """COPY every key of one key space into another (Redis >= 6.2), inside Redis; keys whose name
    (after the prefix) starts with `skip` are left out, except the one named `but`."""
    return _walk(r, source, target, skip, but)

"""Server-side login sessions. The write DB is the source of truth; Redis caches each session.

The cookie carries a random token (256 bits); the DB row and the cache are keyed by its SHA-256, so
neither a DB dump nor a Redis dump holds a usable cookie. A request costs one Redis GET; on a cache
miss the DB answers and the answer is cached with SET NX, so a lookup racing a logout can never
write "live" over the logout's "revoked" (the logout writes the DB first, then overwrites the cache).
Redis restarted empty therefore changes nothing: every cache miss asks the DB again.
"""
import hashlib
import re
import secrets
import time

from redis.exceptions import RedisError
from sqlalchemy import select, update

from backend.write.models import LoginSession

LIFETIME_S = 30 * 86400   # absolute: a session is never renewed; log in again after 30 days
LIVE_TTL_S = 3600         # a cached "live" answer is re-checked against the DB at least this often
UNKNOWN_TTL_S = 60        # a cookie the DB never issued: cached briefly (no DB hammering)
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,100}")
REVOKED, UNKNOWN = "revoked", "unknown"


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cache_key(sid: str) -> str:
    return f"ripple-session:{sid}"  # not under ripple: (read models, wiped on rebuild)


def sockets_key(sid: str) -> str:
    """The Socket.IO sids open under one session (so a logout can disconnect them)."""
    return f"ripple-session:{sid}:sockets"


def _live(handle: str, expires_at: float) -> str:
    return f"live:{expires_at:.0f}:{handle}"


def create(session_factory, r, handle: str) -> tuple[str, str]:
    """A new session for `handle`: (token for the cookie, session id)."""
    token = secrets.token_urlsafe(32)
    sid, now = session_id(token), time.time()
    with session_factory() as s, s.begin():
        s.add(LoginSession(id=sid, handle=handle, created_at=now, expires_at=now + LIFETIME_S))
    # Cached at once: the session works without another SQL read (even if the DB goes away next).
    r.set(cache_key(sid), _live(handle, now + LIFETIME_S), ex=LIVE_TTL_S)
    return token, sid


def _from_db(session_factory, sid: str, now: float) -> tuple[str, int]:
    with session_factory() as s:
        row = s.get(LoginSession, sid)
    if row is None:
        return UNKNOWN, UNKNOWN_TTL_S
    if row.revoked_at is not None or row.expires_at <= now:
        return REVOKED, max(60, int(row.expires_at - now))
    return _live(row.handle, row.expires_at), LIVE_TTL_S


def lookup(session_factory, r, token: str) -> tuple[str, str] | None:
    """(session id, handle) of a live session, else None (revoked, expired, never issued)."""
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        return None  # not one of ours (e.g. an old signed cookie): no I/O at all
    sid, now = session_id(token), time.time()
    try:
        state = r.get(cache_key(sid))
        if state is None:
            state, ttl = _from_db(session_factory, sid, now)
            r.set(cache_key(sid), state, ex=ttl, nx=True)
    except RedisError:  # the cache is down: the DB still knows
        state, _ = _from_db(session_factory, sid, now)
    if not state.startswith("live:"):
        return None
    _, expires, handle = state.split(":", 2)
    return (sid, handle) if float(expires) > now else None


def _mark_revoked(r, sids) -> None:
    with r.pipeline(transaction=False) as p:
        for sid in sids:
            p.set(cache_key(sid), REVOKED, ex=LIFETIME_S)
        p.execute()


def revoke(session_factory, r, sid: str) -> None:
    """End one session: the DB first (the truth), then the cache is overwritten."""
    with session_factory() as s, s.begin():
        s.execute(update(LoginSession).where(LoginSession.id == sid,
                                             LoginSession.revoked_at.is_(None))
                  .values(revoked_at=time.time()))
    _mark_revoked(r, [sid])


def revoke_all(session_factory, r, handle: str) -> list[str]:
    """End every live session of `handle`; their ids (to disconnect their sockets)."""
    now = time.time()
    with session_factory() as s, s.begin():
        sids = list(s.scalars(select(LoginSession.id).where(
            LoginSession.handle == handle, LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > now)))
        if sids:
            s.execute(update(LoginSession).where(LoginSession.id.in_(sids)).values(revoked_at=now))
    if sids:
        _mark_revoked(r, sids)
    return sids

"""Per-account failed-login backoff, next to the per-IP limit: an attacker rotating IPs (or forged
X-Forwarded-For) still gets slower and slower on one account.

The first FREE_FAILURES wrong passwords cost nothing; after that each failure locks the account's
password check for 2, 4, 8, ... seconds (at most MAX_WAIT_S). A success clears the count; the count
forgets itself a day after the last failure. Off when RIPPLE_RATELIMIT=0, like the other limits.
"""
import math
import time

from flask import current_app

from backend.web import ratelimit
from backend.web.errors import ApiError

FREE_FAILURES = 5
MAX_WAIT_S = 900
FORGET_S = 86400

_FAILED = """
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local over = n - tonumber(ARGV[2])
if over > 0 then
  redis.call('HSET', KEYS[1], 'until', tonumber(ARGV[1]) + math.min(2 ^ over, tonumber(ARGV[3])))
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return n
"""


def account_key(handle) -> str | None:
    if not isinstance(handle, str):
        return None
    return f"ripple-login-failures:{handle.strip().lower()[:40]}"


def _on() -> bool:
    return current_app.config["RIPPLE"].ratelimit_enabled


def check_account(r, key: str | None) -> None:
    if key is None or not _on():
        return
    until = r.hget(key, "until")
    wait = float(until) - time.time() if until else 0
    if wait > 0:
        raise ApiError(429, "too_many_requests",
                       "Too many failed logins for this account: try again later.",
                       headers=ratelimit.exact_retry_after(max(1, math.ceil(wait))))


def login_failed(r, key: str | None) -> None:
    if key is not None and _on():
        r.eval(_FAILED, 1, key, time.time(), FREE_FAILURES, MAX_WAIT_S, FORGET_S)


def login_succeeded(r, key: str | None) -> None:
    if key is not None and _on():
        r.delete(key)

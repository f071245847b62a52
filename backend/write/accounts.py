"""Accounts: sign-up and password checks. Synchronous on purpose -- a login needs an answer now.

Sign-up writes the user row and a `user_registered` event in one transaction (same log lock as the
worker) and answers once that is committed. It projects its event on the spot when the read side is
right before it (no waiting: an idle instance shows the profile at once); otherwise the workers'
projector loop catches up within a moment.
"""
import logging
import time

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from backend.write.commands import ValidationError, clean_handle
from backend.write.models import User, append_events, lock_log

log = logging.getLogger("ripple.accounts")
PASSWORD_MIN = 8
PASSWORD_MAX = 256
# Checked against when the handle is unknown, so a login takes the same time either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0000")


class HandleTaken(Exception):
    pass


def clean_password(value) -> str:
    if not isinstance(value, str) or not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise ValidationError("invalid_password",
                              f"A password is {PASSWORD_MIN} to {PASSWORD_MAX} characters.", "password")
    return value


def signup(session_factory, projector, handle, password, project: bool = True) -> dict:
    handle, password = clean_handle(handle), clean_password(password)
    pw_hash = generate_password_hash(password)  # scrypt, salted (werkzeug's default)
    with session_factory() as session, session.begin():
        head = lock_log(session)
        if session.scalar(select(User.id).where(User.handle == handle)) is not None:
            raise HandleTaken(handle)
        now = time.time()
        session.add(User(handle=handle, password_hash=pw_hash, created_at=now))
        event = {"type": "user_registered", "data": {"handle": handle, "joined": now}}
        new_head = append_events(session, head, [event], None, handle)
    if project:
        try:
            reached = projector.project_fresh([event | {"seq": new_head, "command_id": None,
                                                        "author": handle}])
            if reached is None and projector.checkpoint() is None:  # a new (or emptied) Redis
                projector.catch_up(wait_s=1.0)  # builds the read side: a replay, no waiting
        except Exception:  # noqa: BLE001 -- the account exists; the projector loop catches up
            log.warning("sign-up of %s: projection left to the projector loop", handle,
                        exc_info=True)
    return {"handle": handle, "joined": now}


def authenticate(session_factory, handle, password) -> str | None:
    """The handle if the password matches, else None -- same work for unknown handles."""
    if not isinstance(handle, str) or not isinstance(password, str) or len(password) > PASSWORD_MAX:
        check_password_hash(_DUMMY_HASH, "x")
        return None
    with session_factory() as session:
        user = session.scalar(select(User).where(User.handle == handle.lower()[:20]))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user.handle if check_password_hash(user.password_hash, password) else None

"""Flask's `session`, kept on the server (backend/write/sessions): the cookie is a random token.

`session.get("handle")` works as before. A login calls login.start_session(); code that merely sets
session["handle"] gets a fresh server session when the response is saved, and session.clear() on a
live session ends it. A cookie that names no live session marks the session `invalid`: the request
guard (backend.web.login.refuse_invalid_session) refuses it instead of treating it as a visitor.
"""
from flask.sessions import SessionInterface, SessionMixin

from backend.write import sessions


class ServerSession(dict, SessionMixin):
    def __init__(self, data=None, sid: str | None = None, invalid: bool = False,
                 unavailable: bool = False):
        super().__init__(data or {})
        self.sid, self.invalid, self.unavailable = sid, invalid, unavailable
        self.original_handle = self.get("handle")
        self.new_token: str | None = None  # set when a session was created during this request
        self.ended = False                 # set when this request ended its session

    @property
    def modified(self) -> bool:
        return self.get("handle") != self.original_handle

    @modified.setter
    def modified(self, _value):  # SessionMixin writes it; the truth is the handle itself
        pass


class ServerSessionInterface(SessionInterface):
    def open_session(self, app, request):
        token = request.cookies.get(self.get_cookie_name(app))
        if not token:
            return ServerSession()
        svc = app.extensions["ripple"]
        try:
            found = sessions.lookup(svc.session_factory, svc.redis, token)
        except Exception:  # noqa: BLE001 -- cache and DB both down: answered 503 by the guard
            app.logger.warning("session lookup failed", exc_info=False)
            return ServerSession(unavailable=True)
        if found is None:
            return ServerSession(invalid=True)
        sid, handle = found
        return ServerSession({"handle": handle}, sid=sid)

    def save_session(self, app, session, response):
        if session.modified and not session.new_token:  # session["handle"] set or cleared directly
            svc = app.extensions["ripple"]
            if session.sid:
                sessions.revoke(svc.session_factory, svc.redis, session.sid)
                session.sid, session.ended = None, True
            if session.get("handle"):
                session.new_token, session.sid = sessions.create(
                    svc.session_factory, svc.redis, session["handle"])
        name, path = self.get_cookie_name(app), self.get_cookie_path(app)
        domain, secure = self.get_cookie_domain(app), self.get_cookie_secure(app)
        if session.new_token:
            response.set_cookie(name, session.new_token, max_age=sessions.LIFETIME_S, path=path,
                                domain=domain, secure=secure, httponly=True,
                                samesite=self.get_cookie_samesite(app))
        elif session.ended or (session.invalid and not session.unavailable):
            response.delete_cookie(name, path=path, domain=domain, secure=secure, httponly=True,
                                   samesite=self.get_cookie_samesite(app))
        response.vary.add("Cookie")

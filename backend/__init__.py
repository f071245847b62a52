"""Ripple's Flask application factory."""
import time
from datetime import timedelta

from flask import Flask, request, session
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from backend import cli

from backend.web import api, audit_api, auth_api, health, openapi, pages, ratelimit, realtime
from backend.config import Config
from backend.web.http import ApiError, check_origin, error_response
from backend.read.queries import NotFound
from backend.services import build_services

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = Flask(__name__, static_folder="../static", template_folder="../templates")
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(days=30),
        # Flask would re-sign and re-send the cookie on every response; _slide_session does it
        # once a day, which still keeps the 30 days sliding with use.
        SESSION_REFRESH_EACH_REQUEST=False,
        MAX_CONTENT_LENGTH=config.max_content_length,
        RIPPLE=config,
        TESTING=config.testing,
    )
    if config.trusted_proxies:
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    app.extensions["ripple"] = build_services(config)
    app.register_blueprint(auth_api.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(audit_api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(openapi.bp)
    ratelimit.init(app, config)
    cli.register(app)
    app.before_request(_guard)
    app.after_request(_security_headers)
    app.after_request(_slide_session)
    _register_errors(app)
    realtime.make_socketio(app, config)
    return app


def _guard():
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()  # on every route, from the header alone: no byte is read
    if request.path.startswith("/api/"):
        check_origin()


def _slide_session(resp):
    """A logged-in session's cookie is renewed (30 more days) on its first response of each day."""
    if session.get("handle") and session.get("day") != (today := int(time.time() // 86400)):
        session["day"] = today  # modified: Flask re-signs the cookie with a fresh expiry
    return resp


def _security_headers(resp):
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    return resp


def _register_errors(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(err: ApiError):
        return error_response(err.status, err.code, err.message, err.field, err.headers)

    @app.errorhandler(NotFound)
    def not_found(err: NotFound):
        if request.path.startswith("/api/"):
            return error_response(404, f"{err.what}_not_found", f"No such {err.what}.")
        return pages.not_found_page(err.what), 404

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if request.path.startswith("/api/") or request.mimetype == "application/json":
            code = (err.name or "error").lower().replace(" ", "_")
            return error_response(err.code or 500, code, err.description or err.name)
        return err

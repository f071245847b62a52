"""Ripple's Flask application factory."""
import logging
from datetime import timedelta

from flask import Flask, request
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from backend import cli

from backend.web import (api, asyncapi, audit_api, auth_api, health, openapi, pages, ratelimit,
                         realtime, system_api)
from backend.config import Config
from backend.web.http import ApiError, check_host, check_origin, error_response
from backend.web.login import refuse_invalid_session
from backend.web.session_cookie import ServerSessionInterface
from backend.read.queries import NotFound
from backend.services import build_services

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    if not config.secret_key:  # sessions could not be signed: refuse to start, never invent one
        raise RuntimeError("SECRET_KEY is not set (`./ripple run` makes a development key in "
                           "instance/; production must set it, the same on every process)")
    app = Flask(__name__, static_folder="../static", template_folder="../templates")
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(days=30),
        MAX_CONTENT_LENGTH=config.max_content_length,
        RIPPLE=config,
        TESTING=config.testing,
    )
    app.session_interface = ServerSessionInterface()  # the cookie names a server-side session
    app.extensions["ripple"] = build_services(config)
    app.register_blueprint(auth_api.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(audit_api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(asyncapi.bp)
    app.register_blueprint(system_api.bp)
    ratelimit.init(app, config)
    cli.register(app)
    app.before_request(_guard)
    app.before_request(refuse_invalid_session)
    app.after_request(_security_headers)
    _register_errors(app)
    realtime.make_socketio(app, config)
    if config.trusted_proxies:  # outermost, so the Socket.IO handshake sees the real client too
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    return app


def _guard():
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()  # on every route, from the header alone: no byte is read
    check_host()  # a Host not in RIPPLE_ALLOWED_HOSTS (when set): 400, on every route
    if request.path.startswith("/api/"):
        check_origin()


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

    @app.errorhandler(RedisError)
    def redis_down(err: RedisError):
        """Redis (queue, read models, limits, session cache) unreachable: 503, fail closed."""
        logging.getLogger("ripple").warning("Redis unavailable: %s", type(err).__name__)
        return error_response(503, "service_unavailable", "Try again in a moment.",
                              headers={"Retry-After": "5"})

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

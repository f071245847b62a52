"""Which sites may change state here (HTTP) or open a socket, and which Host names we answer to.

Same-site means: the Origin's scheme://host equals this site's. "This site" is the configured list
of allowed hosts (RIPPLE_ALLOWED_HOSTS, or SERVER_NAME) when there is one -- a request naming any
other Host is refused, so a DNS-rebinding page (evil.example resolving to us) cannot make its own
origin look same-site. With no list, the request's Host is trusted (development default).
RIPPLE_ALLOWED_ORIGINS *adds* origins, for HTTP and sockets alike.
"""
from urllib.parse import urlsplit

from flask import current_app, request

from backend.web.errors import ApiError


def normalise(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


def host_allowed(host: str | None, config) -> bool:
    if not config.allowed_hosts:
        return True
    return (host or "").lower() in {h.lower() for h in config.allowed_hosts}


def site_origins(scheme: str, host: str | None, config) -> set[str]:
    hosts = config.allowed_hosts or ([host] if host else [])
    return {f"{scheme}://{h}".lower() for h in hosts} | {normalise(o) for o in config.allowed_origins}


def origin_ok(origin: str | None, scheme: str, host: str | None, config) -> bool:
    """Pure: no Origin (a same-origin GET, curl) is fine; else it must be this site or a listed one."""
    if not host_allowed(host, config):
        return False
    if not origin:
        return True
    return origin.strip().lower().rstrip("/") in site_origins(scheme, host, config)


def socket_origin_ok(origin, environ, config) -> bool:
    """For Engine.IO's cors_allowed_origins callable: the same rule as HTTP."""
    return origin_ok(origin, environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST"), config)


def origin_allowed(origin: str | None) -> bool:
    return origin_ok(origin, request.scheme, request.host, current_app.config["RIPPLE"])


def check_host() -> None:
    if not host_allowed(request.host, current_app.config["RIPPLE"]):
        raise ApiError(400, "invalid_host", "This server does not answer to that host name.")


def check_origin() -> None:
    if request.method not in ("GET", "HEAD", "OPTIONS") and not origin_allowed(
            request.headers.get("Origin")):
        raise ApiError(403, "forbidden_origin", "Cross-site requests are not accepted.")

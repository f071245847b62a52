"""Gunicorn settings for `./ripple prod` (loaded with --config python:backend.gunicorn_conf).

Gunicorn names itself in a `Server:` header on every response, its own error pages included; the
software running a site is nobody's business, so it says "ripple" instead.
"""
import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "ripple"

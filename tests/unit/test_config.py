"""Config and app wiring that need no I/O."""
from backend import create_app
from backend.config import Config


def test_trusted_proxy_headers_make_the_origin_check_see_the_public_https_site():
    app = create_app(Config(redis_url="redis://127.0.0.1:1/0", database_url="sqlite://",
                            secret_key="k", ratelimit_enabled=False, trusted_proxies=1))
    client = app.test_client()
    headers = {"Origin": "https://ripple.example", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "ripple.example", "Content-Type": "application/json"}
    # Passes the Origin check (then 401: no session) instead of 403 forbidden_origin.
    assert client.post("/api/commands", data="{}", headers=headers).status_code == 401
    headers["Origin"] = "https://evil.example"
    assert client.post("/api/commands", data="{}", headers=headers).status_code == 403

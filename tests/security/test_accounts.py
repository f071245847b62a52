"""Accounts: salted scrypt hashes, login timing that does not reveal a handle, the secret key, and
the session cookie's flags and renewal."""
import ast
import re
import os
import statistics
import time
from pathlib import Path

from sqlalchemy import select

import backend.config as config_module
from backend.config import Config
from backend.write.models import User

ROOT = Path(__file__).resolve().parents[2]


def test_passwords_are_stored_as_salted_scrypt_hashes(client, services):
    for handle in ("hash_a", "hash_b"):
        assert client.post("/api/signup", json={"handle": handle, "password": "same password"}
                           ).status_code == 201
    with services.session_factory() as s:
        hashes = dict(s.execute(select(User.handle, User.password_hash)).all())
    for value in hashes.values():
        method, salt, digest = value.split("$")
        assert method.startswith("scrypt:") and int(method.split(":")[1]) >= 2**15, method
        assert len(salt) >= 16 and len(digest) == 128  # 64-byte derived key, hex
        assert "same password" not in value
    assert hashes["hash_a"] != hashes["hash_b"]  # salted: same password, different hashes


def _login_seconds(client, handle: str) -> float:
    start = time.perf_counter()
    resp = client.post("/api/login", json={"handle": handle, "password": "wrong password"})
    elapsed = time.perf_counter() - start
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "invalid_credentials"
    return elapsed


def test_login_timing_does_not_reveal_whether_a_handle_exists(client):
    """A security property, not a speed target: unknown handles pay for a hash check too.

    Without the dummy check an unknown handle answers in ~1 ms against ~80 ms for a known one (a
    factor of ~80); the bound below is a generous factor of 2 on medians of interleaved tries."""
    client.post("/api/signup", json={"handle": "known_user", "password": "password123"})
    known, unknown = [], []
    for i in range(20):
        known.append(_login_seconds(client, "known_user"))
        unknown.append(_login_seconds(client, f"nobody_{i}"))
    k, u = statistics.median(known), statistics.median(unknown)
    print(f"\nlogin median: known handle {k * 1000:.1f} ms, unknown handle {u * 1000:.1f} ms")
    assert 0.5 < u / k < 2.0, (k, u)


def test_the_secret_key_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setattr(config_module, "INSTANCE", tmp_path / "instance")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    assert Config.from_env().secret_key == "from-the-environment"
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_without_one_a_random_key_is_generated_once_and_kept_private(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    keys = []
    for name in ("one", "two"):
        monkeypatch.setattr(config_module, "INSTANCE", tmp_path / name)
        first, again = Config.from_env().secret_key, Config.from_env().secret_key
        assert first == again  # kept: sessions survive a restart
        path = tmp_path / name / "secret_key"
        assert path.read_text().strip() == first
        assert os.stat(path).st_mode & 0o777 == 0o600
        keys.append(first)
    assert keys[0] != keys[1] and all(len(k) >= 64 for k in keys)  # random, 256 bits


def _secret_literals(path: Path) -> list[str]:
    """Assignments or keyword arguments named *secret* whose value is a non-empty string literal."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        pairs = []
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            pairs = [(ast.unparse(t), node.value) for t in targets]
        elif isinstance(node, ast.keyword) and node.arg:
            pairs = [(node.arg, node.value)]
        elif isinstance(node, ast.Dict):
            pairs = [(ast.unparse(k), v) for k, v in zip(node.keys, node.values) if k is not None]
        for name, value in pairs:
            if "secret" in name.lower() and isinstance(value, ast.Constant) \
                    and isinstance(value.value, str) and value.value:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    return found


def test_no_secret_key_is_a_constant_in_the_code():
    files = [*ROOT.joinpath("backend").rglob("*.py"), *ROOT.joinpath("worker").rglob("*.py"),
             ROOT / "app.py"]
    assert [hit for f in files for hit in _secret_literals(f)] == []


def test_the_session_cookie_is_httponly_samesite_lax_and_holds_only_the_handle(app, client):
    for path, body in (("/api/signup", {"handle": "cookie_u", "password": "password123"}),
                       ("/api/login", {"handle": "cookie_u", "password": "password123"})):
        resp = client.post(path, json=body)
        assert resp.status_code in (200, 201)
        cookie = resp.headers["Set-Cookie"]
        attrs = {a.strip().split("=")[0].lower(): a.strip() for a in cookie.split(";")[1:]}
        assert "httponly" in attrs and attrs["samesite"] == "SameSite=Lax", cookie
        assert attrs["path"] == "Path=/"
    token = client.get_cookie("session").value  # a random token naming a server-side session
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token) and "cookie_u" not in token


def test_the_session_cookie_is_set_at_login_only_not_on_every_response(client):
    assert client.post("/api/signup", json={"handle": "daily_u", "password": "password123"}
                       ).status_code == 201
    again = client.get("/api/feed")
    assert again.status_code == 200 and "Set-Cookie" not in again.headers
    anonymous = client.application.test_client().get("/api/timeline")
    assert "Set-Cookie" not in anonymous.headers

"""HTTP users that behave like the browser's command path (static/js/commands.js).

A command gets a UUID once; a 202 means accepted; a connection error or a 5xx means "still pending"
and the very same command (same command_id) is sent again later. With `watchdog()` a client also does
what the browser's watchdog does: it asks GET /api/commands/<id> about accepted commands it has no
outcome for, and sends the command again when the server answers 404 (lost with the queue).
"""
import threading
import time

import requests

from tests.support import new_command as command  # noqa: F401 -- the fault tests' name for it
from tests.support import signup


class Client:
    def __init__(self, base: str, handle: str | None = None):
        self.base = base
        self.session = signup(base, handle)
        self.handle = self.session.handle
        self.accepted: dict[str, dict] = {}   # command_id -> envelope (a 202 came back)
        self.unsent: dict[str, dict] = {}     # no 202 yet (server or Redis down): send again
        self.outcomes: dict[str, dict] = {}   # command_id -> final status (succeeded/failed)
        self.sent = 0
        self.errors = 0
        self.resends = 0
        self.last_accept = 0.0
        self.stream_done = False
        self.lock = threading.Lock()

    def post(self, cmd: dict) -> bool:
        try:
            r = self.session.post(f"{self.base}/api/commands", json=cmd, timeout=15)
        except requests.RequestException:
            r = None
        with self.lock:
            if r is not None and r.status_code == 202:
                self.accepted[cmd["command_id"]] = cmd
                self.unsent.pop(cmd["command_id"], None)
                self.last_accept = time.monotonic()
                if r.json().get("status") in ("succeeded", "failed"):
                    self.outcomes[cmd["command_id"]] = r.json()
                return True
            if r is not None and r.status_code < 500:
                raise AssertionError(f"{cmd['type']} refused: {r.status_code} {r.text[:200]}")
            self.errors += 1
            self.unsent[cmd["command_id"]] = cmd
            return False

    def submit(self, cmd: dict) -> bool:
        self.sent += 1
        return self.post(cmd)

    def status(self, command_id: str) -> tuple[int, dict | None]:
        try:
            r = self.session.get(f"{self.base}/api/commands/{command_id}", timeout=15)
        except requests.RequestException:
            return 0, None
        return r.status_code, (r.json() if r.headers.get("content-type", "").startswith(
            "application/json") else None)

    def open_commands(self) -> list[str]:
        with self.lock:
            return [cid for cid in self.accepted if cid not in self.outcomes]

    def watchdog(self) -> int:
        """One browser-watchdog pass; returns how many accepted commands still lack an outcome."""
        for cmd in list(self.unsent.values()):
            self.resends += 1
            self.post(cmd)
        waiting = 0
        for cid in self.open_commands():
            code, body = self.status(cid)
            if code == 404:
                self.resends += 1
                self.post(self.accepted[cid])
            if code == 200 and body["status"] in ("succeeded", "failed"):
                self.outcomes[cid] = body
            else:
                waiting += 1
        return waiting

    def wait_for_result(self, cmd: dict, timeout: float = 60.0) -> dict:
        """Send one command and wait (watchdog-style) for its outcome."""
        self.submit(cmd)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.watchdog()
            if cmd["command_id"] in self.outcomes:
                return self.outcomes[cmd["command_id"]]
            time.sleep(0.1)
        raise TimeoutError(f"no outcome for {cmd['type']} {cmd['command_id']}")


def start_streams(clients, run) -> list[threading.Thread]:
    """One daemon thread per client, running run(client): the clients send at once."""
    threads = [threading.Thread(target=run, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    return threads


def accepted_by_author(clients) -> dict[str, tuple[dict, str]]:
    """command_id -> (envelope, author handle) over all clients, for checks.exactly_once()."""
    return {cid: (cmd, c.handle) for c in clients for cid, cmd in c.accepted.items()}

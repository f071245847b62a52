"""A throw-away PostgreSQL server, for test runs where none answers at RIPPLE_TEST_PG_URL.

The binaries come from Debian's `postgresql` package (`./ripple test` installs it). `initdb` and
`postgres` refuse to run as root, and `./ripple` may run as root: then the server runs as the
unprivileged `postgres` user that the package creates. The cluster lives in a temporary directory,
listens on 127.0.0.1 on a free port only (no Unix socket), trusts its local connections, skips
fsync (nothing here must survive a crash), and dies with the test process (PR_SET_PDEATHSIG).

pytest-postgresql does the same job, but runs pg_ctl as the current user and has no way to name
another one, so it cannot work as root (its issue #455); this module is the few lines we need.
"""
import ctypes
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

from tests.support import free_port, wait_for


def answers(url: str) -> bool:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except Exception:  # noqa: BLE001 -- refused, no such database, bad password: not usable
        return False
    finally:
        engine.dispose()


def bindir() -> Path:
    """The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres") or shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise RuntimeError("no PostgreSQL server (./ripple test installs Debian's postgresql package)")


def _as_user(uid: int | None, gid: int | None, death_signal: int | None):
    """preexec_fn: drop to uid/gid (when root), then ask for `death_signal` when the parent dies
    (after the uid change, which would clear it). libc is loaded here, in the parent: the child,
    once `postgres`, may not be allowed to read this Python's files."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)

    def run():
        if uid is not None:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        if death_signal is not None:
            libc.prctl(1, death_signal)  # PR_SET_PDEATHSIG
    return run


class PgServer:
    """initdb + postgres on a free port, as an unprivileged user; stop() removes everything."""

    def __init__(self):
        self.port, self.proc = free_port(), None
        self.uid = self.gid = None
        if os.geteuid() == 0:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("as root, the throw-away PostgreSQL runs as the `postgres` user, "
                                   "which Debian's postgresql package creates") from None
            self.uid, self.gid = entry.pw_uid, entry.pw_gid
        # as root: under /tmp, which `postgres` can reach (a root-only TMPDIR it could not)
        self.dir = Path(tempfile.mkdtemp(prefix="ripple-pg-", dir="/tmp" if self.uid else None))
        if self.uid is not None:
            os.chown(self.dir, self.uid, self.gid)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> "PgServer":
        try:
            return self._start()
        except BaseException:
            self.stop()  # no half-made cluster left behind
            raise

    def _start(self) -> "PgServer":
        bins, data = bindir(), self.dir / "data"
        init = subprocess.run([bins / "initdb", "-D", data, "-U", "postgres", "-A", "trust",
                               "-E", "UTF8", "--no-sync"], cwd=self.dir, capture_output=True,
                              text=True, preexec_fn=_as_user(self.uid, self.gid, None))
        if init.returncode:
            raise RuntimeError(f"initdb failed: {init.stderr.strip()}")
        settings = {"listen_addresses": "127.0.0.1", "unix_socket_directories": "",
                    "max_connections": "300", "fsync": "off", "synchronous_commit": "off",
                    "full_page_writes": "off"}
        args = [bins / "postgres", "-D", data, "-p", str(self.port)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        self.log = open(self.dir / "server.log", "ab")
        # SIGQUIT = PostgreSQL's immediate shutdown: its backends go with it
        self.proc = subprocess.Popen(args, cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=_as_user(self.uid, self.gid, signal.SIGQUIT))
        wait_for(lambda: self.proc.poll() is not None or answers(self.url), timeout=60,
                 interval=0.2, what=f"throw-away PostgreSQL on port {self.port}")
        if self.proc.poll() is not None:
            raise RuntimeError("PostgreSQL did not start: "
                               + (self.dir / "server.log").read_text()[-2000:])
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            self.proc.wait(30)
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

"""What the per-command savepoint costs: the worker's write transaction for batches of 50
`create_post` commands, with `session.begin_nested()` per command (as built) and without.

    python -m bench.savepoint [--batches 20] [--pg postgresql+psycopg://...]

Alternating rounds in one run; prints the median ms per command for each. No Redis needed.
"""
import argparse
import contextlib
import statistics
import tempfile
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.write.commands import Command
from backend.write.handlers import Rules
from backend.write.models import User, init_db, make_engine, make_session_factory
from worker import transaction


class _Svc:
    def __init__(self, session_factory):
        self.session_factory, self.rules = session_factory, Rules()


def _no_savepoint(self):
    return contextlib.nullcontext()


def run(url: str, batches: int, size: int = 50) -> dict:
    engine = make_engine(url)
    init_db(engine)
    with Session(engine) as s, s.begin():
        s.add(User(handle="bench", password_hash="x", created_at=time.time()))
    svc = _Svc(make_session_factory(engine))
    times = {"savepoint": [], "none": []}
    original = Session.begin_nested
    for i in range(batches * 2):
        mode = ("savepoint", "none")[i % 2]
        cmds = [Command(str(uuid.uuid4()), "create_post", {"body": f"b {uuid.uuid4()}"}, "bench")
                for _ in range(size)]
        if mode == "none":
            Session.begin_nested = _no_savepoint
        try:
            t0 = time.perf_counter()
            transaction.apply_commands(cmds, svc)
            times[mode].append((time.perf_counter() - t0) * 1000 / size)
        finally:
            Session.begin_nested = original
    engine.dispose()
    return {k: round(statistics.median(v), 3) for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--pg", default=None, help="a PostgreSQL URL of a scratch database")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("sqlite ms/command:", run(f"sqlite:///{tmp}/bench.db", args.batches))
    if args.pg:
        print("postgres ms/command:", run(args.pg, args.batches))


if __name__ == "__main__":
    main()

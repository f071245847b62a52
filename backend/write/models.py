"""The write side: SQLAlchemy 2 models, the engine, and the event-log head.

Only the worker (commands) and the auth endpoints (sign-up) write here; queries never read here.
Times are UTC epoch seconds (float): portable across SQLite and PostgreSQL and trivially comparable.
"""
import functools
import time
import uuid

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text,
                        create_engine, event, update)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from backend.config import ROOT


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handle: Mapped[str] = mapped_column(String(20), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    edited_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    deleted_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class Follow(Base):
    __tablename__ = "follows"
    follower_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    followee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class Like(Base):
    __tablename__ = "likes"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True, index=True)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class Comment(Base):
    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class LoginSession(Base):
    """A login session (the cookie carries a random token; the row is keyed by its SHA-256).
    The source of truth for "is this cookie still good": Redis only caches it (backend/write/sessions)."""
    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(token), hex
    handle: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    expires_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class Event(Base):
    """The durable log. Read models are a pure function of it, in `seq` order."""
    __tablename__ = "events"
    # time travel reads the timeline's events (post_created, post_deleted) in a seq range
    __table_args__ = (Index("ix_events_type_seq", "type", "seq"),)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    type: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(JSON)
    command_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    author: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)

    def as_dict(self) -> dict:
        return {"seq": self.seq, "type": self.type, "data": self.data, "command_id": self.command_id,
                "author": self.author, "created_at": self.created_at}


class ProcessedCommand(Base):
    """One row per handled command, written in the same transaction as its effects (idempotency)."""
    __tablename__ = "processed_commands"
    command_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    author: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))  # succeeded | failed
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class LogHead(Base):
    """A single row holding the last allocated event seq.

    Every write transaction updates it first: that row lock serialises writers, so event sequence
    numbers become visible in commit order with no gaps, which lets the projector use a plain
    checkpoint (a later seq can never commit before an earlier one).
    """
    __tablename__ = "log_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)


class StoreIdentity(Base):
    """One row: a random id naming this write DB, so the Redis read models know whose log they
    mirror (pointing Ripple at another DATABASE_URL with the same Redis must not mix the two)."""
    __tablename__ = "store_identity"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[str] = mapped_column(String(36))


def make_engine(url: str):
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
            # SQLAlchemy's documented pysqlite recipe ("Serializable isolation / Savepoints"):
            # pysqlite's own BEGIN handling breaks SAVEPOINT, so it is switched off and we emit
            # BEGIN ourselves (below). The worker runs each command in a savepoint.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN")
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_session_factory(engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


@functools.cache
def _migrations() -> ScriptDirectory:
    return ScriptDirectory(str(ROOT / "migrations"))


def init_db(engine) -> None:
    """A NEW database at the newest migration in one shot: create_all, then stamp Alembic's head
    (Alembic's "up to date database from scratch" recipe; fast: the tests and benchmarks use it).
    A database that already has a revision is left alone: backend/write/schema.upgrade migrates."""
    with engine.begin() as conn:
        ctx = MigrationContext.configure(conn)
        if ctx.get_current_revision() is None:
            Base.metadata.create_all(conn)
            ctx.stamp(_migrations(), "head")
    ensure_singleton_rows(engine)


def ensure_singleton_rows(engine) -> None:
    """The log-head row and this store's random identity (idempotent)."""
    with Session(engine) as session, session.begin():
        if session.get(LogHead, 1) is None:
            session.add(LogHead(id=1, seq=0))
        if session.get(StoreIdentity, 1) is None:
            session.add(StoreIdentity(id=1, store_id=str(uuid.uuid4())))


def lock_log(session: Session) -> int:
    """Take the writers' lock (the log-head row) for this transaction; return the current head."""
    # One round trip: row lock and head together (UPDATE ... RETURNING; PostgreSQL, SQLite 3.35+).
    return session.execute(update(LogHead).where(LogHead.id == 1).values(seq=LogHead.seq)
                           .returning(LogHead.seq),
                           execution_options={"synchronize_session": False}).scalar_one()


def append_events(session: Session, head: int, events: list[dict], command_id: str | None,
                  author: str | None) -> int:
    """Append events after `head` (the caller holds lock_log); return the new head."""
    now = time.time()
    for offset, ev in enumerate(events, start=1):
        session.add(Event(seq=head + offset, type=ev["type"], data=ev["data"], command_id=command_id,
                          author=author, created_at=now))
    new_head = head + len(events)
    if events:
        set_log_head(session, new_head)
    return new_head


def set_log_head(session: Session, seq: int) -> None:
    session.execute(update(LogHead).where(LogHead.id == 1).values(seq=seq))

"""The event log read for a replay from scratch: plain driver rows, the JSON decoded once here.

The same rows and dicts as replay.read_events (seq order, keyset pages), read through the database
driver's own cursor: no ORM or result-type layer per row, which halves the cost of reading the log
(SQLAlchemy's JSON type decodes with the same json.loads; on PostgreSQL the column is read as text,
so the driver does not decode it first).
"""
import json

from backend.write.models import Event

PAGE = 5000


def _query(dialect: str) -> str:
    mark, data = ("?", "data") if dialect == "sqlite" else ("%s", "data::text")
    return (f"SELECT seq, type, {data}, command_id, author, created_at FROM {Event.__tablename__} "
            f"WHERE seq > {mark} AND seq <= {mark} ORDER BY seq LIMIT {mark}")


def stream_events(session_factory, after: int = 0, until: int | None = None, page: int = PAGE):
    """Yield lists of events (dicts, seq order) with after < seq <= until (else the head)."""
    loads, until = json.loads, (2 ** 62 if until is None else until)
    while after < until:
        with session_factory() as session:
            conn = session.connection()
            cursor = conn.connection.driver_connection.cursor()
            try:
                cursor.execute(_query(conn.dialect.name), (after, until, page))
                rows = cursor.fetchall()
            finally:
                cursor.close()
        if not rows:
            return
        yield [{"seq": s, "type": t, "data": loads(d), "command_id": c, "author": a,
                "created_at": at} for s, t, d, c, a, at in rows]
        after = rows[-1][0]
        if len(rows) < page:
            return

"""Flask CLI commands: `flask --app app init-db | rebuild-read-models | seed`."""
import click

from backend.web.http import services
from backend.write.models import init_db


def register(app) -> None:
    @app.cli.command("init-db")
    def init_db_command():
        """Create the write-side schema (idempotent)."""
        init_db(services().engine)
        click.echo("write DB ready")

    @app.cli.command("rebuild-read-models")
    def rebuild_command():
        """Drop every Redis read model and replay the event log into it."""
        seq = services().projector.rebuild()
        click.echo(f"read models rebuilt up to event {seq}")

    @app.cli.command("seed")
    @click.option("--users", default=30, show_default=True)
    @click.option("--posts", default=150, show_default=True)
    @click.option("--password", default="password123", show_default=True)
    def seed_command(users, posts, password):
        """Fill a demo world through the real command path (a worker must be running)."""
        from backend.seed import seed
        seed(services(), users, posts, password)

    @app.cli.command("first-run")
    @click.option("--users", default=20, show_default=True)
    @click.option("--posts", default=100, show_default=True)
    def first_run_command(users, posts):
        """`./ripple run`: on an empty write DB, seed a small demo world (a worker must be running)."""
        from backend.read.system import log_head
        from backend.seed import seed
        if log_head(services().session_factory):
            click.echo("write DB not empty: no seeding")
            return
        click.echo("An empty write DB: seeding a demo world through the command path "
                   "(`./ripple run --empty` skips this)")
        seed(services(), users, posts, "password123")

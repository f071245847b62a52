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
    @click.option("--quiet", is_flag=True, help="No progress bar.")
    def rebuild_command(quiet):
        """Replay the event log into a new set of read models while the current set keeps serving,
        then switch atomically (blue/green); commands keep flowing meanwhile."""
        from backend.read.replay import Rate
        rate = Rate(1)  # the clock starts now

        def progress(done, total):
            rate.total = max(total, 1)
            click.echo("\r" + rate.line(done), nl=False, err=True)
        seq = services().projector.rebuild(None if quiet else progress)
        if not quiet:
            click.echo("", err=True)
        click.echo(f"read models rebuilt up to event {seq}")

    @app.cli.command("seed")
    @click.option("--users", default=30, show_default=True)
    @click.option("--posts", default=150, show_default=True)
    @click.option("--password", default="password123", show_default=True)
    def seed_command(users, posts, password):
        """Fill a demo world through the real command path (a worker must be running)."""
        from backend.seed import seed
        seed(services(), users, posts, password)

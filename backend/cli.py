"""Flask CLI commands: `flask --app app upgrade-db (alias init-db) | rebuild-read-models | seed`;
and the development SECRET_KEY that `./ripple run` uses when none is set."""
import os
import secrets
from pathlib import Path

import click

from backend.web.http import services
from backend.write import schema


def register(app) -> None:
    @app.cli.command("upgrade-db")
    def upgrade_db_command():
        """Migrate the write DB to the newest schema (creates it if empty; idempotent)."""
        schema.upgrade(services().engine)
        click.echo(f"write DB at migration {schema.head()}")

    app.cli.add_command(upgrade_db_command, "init-db")  # the name from before migrations

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

def dev_secret_key(instance: Path) -> str:
    """The development SECRET_KEY: 256 random bits, made once and kept private (mode 600) in
    instance/secret_key so that sessions survive a restart. Production sets SECRET_KEY itself."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


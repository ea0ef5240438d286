"""The `flask --app wsgi portal ...` commands. They call services and commit."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import inspect, select

from portal.config import PROJECT_ROOT
from portal.db import session, utcnow
from portal.errors import DomainError
from portal.models import Role, User
from portal.services import accounts
from portal.services.mail import retry_unsent

portal_cli = AppGroup("portal", help="Operate the Vektor portal.")

ROLE_CHOICE = click.Choice([r.value for r in Role])


def _fail(message: str) -> None:
    session.rollback()
    raise click.ClickException(str(message))


def _user(email: str) -> User:
    user = accounts.find_user_by_email(session, email)
    if user is None:
        _fail(f"No account with the e-mail {email}.")
    return user


def alembic_config():
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


@portal_cli.command("migrate")
def migrate() -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    from alembic import command

    command.upgrade(alembic_config(), "head")
    click.echo("The database schema is up to date.")


@portal_cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", "full_name", prompt="Full name")
@click.password_option(help="Asked for when not given.")
def create_admin(email: str, full_name: str, password: str) -> None:
    """Create an administrator account."""
    try:
        user = accounts.create_user(
            session, email=email, full_name=full_name, password=password,
            roles={Role.ADMIN}, actor=None,
        )
    except DomainError as exc:
        _fail(exc.message)
    session.commit()
    click.echo(f"Created the administrator {user.email}.")


@portal_cli.command("users")
@click.option("--role", type=ROLE_CHOICE, help="Only users with this role.")
def list_users(role: str | None) -> None:
    """List the accounts with their roles and organisations."""
    query = select(User).order_by(User.email)
    if role:
        query = query.where(User.role_rows.any(role=Role(role)))
    for user in session.scalars(query):
        roles = ",".join(sorted(r.value for r in user.roles)) or "-"
        org = user.organisation.short_name if user.organisation else "-"
        state = "" if user.is_enabled else " [disabled]"
        click.echo(f"{user.email}\t{roles}\t{org}{state}")


@portal_cli.command("grant-role")
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
def grant_role(email: str, role: str) -> None:
    """Give a user one more role."""
    user = _user(email)
    try:
        accounts.set_roles(session, user, user.roles | {Role(role)}, actor=None)
    except DomainError as exc:
        _fail(exc.message)
    session.commit()
    click.echo(f"{user.email} now has: {', '.join(sorted(r.value for r in user.roles))}.")


@portal_cli.command("revoke-role")
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
def revoke_role(email: str, role: str) -> None:
    """Take a role from a user."""
    user = _user(email)
    accounts.set_roles(session, user, user.roles - {Role(role)}, actor=None)
    session.commit()
    click.echo(f"{user.email} now has: {', '.join(sorted(r.value for r in user.roles)) or '-'}.")


@portal_cli.command("set-password")
@click.argument("email")
@click.password_option(help="Asked for when not given.")
def set_password(email: str, password: str) -> None:
    """Set a user's password; the user's sessions end."""
    user = _user(email)
    try:
        accounts.admin_set_password(session, user, password, actor=None)
    except DomainError as exc:
        _fail(exc.message)
    session.commit()
    click.echo(f"The password of {user.email} has been set.")


@portal_cli.command("send-mail")
def send_mail() -> None:
    """Deliver the queued and failed e-mails of the outbox now."""
    count = retry_unsent(current_app._get_current_object())
    click.echo(f"Tried to deliver {count} message(s).")


@portal_cli.command("remind-reviewers")
def remind_reviewers() -> None:
    """E-mail reviewers whose reviews are due within three days (once per assignment; run
    it daily, for example from cron)."""
    from portal.services.assignments import send_review_reminders

    count = send_review_reminders(session, utcnow())
    session.commit()
    click.echo(f"Sent {count} reminder(s) to reviewers.")


@portal_cli.command("send-reminders")
def send_reminders() -> None:
    """E-mail libraries about reports due within a week and reports overdue (each reminder
    once per report; run it daily, for example from cron)."""
    from portal.services.reports import send_report_reminders

    count = send_report_reminders(session, utcnow())
    session.commit()
    click.echo(f"Sent {count} reminder(s) about reports.")


@portal_cli.command("prune-documents")
@click.option("--unread-days", type=click.IntRange(min=1), default=30, show_default=True,
              help="Remove the stored documents no one has read for this many days.")
def prune_documents(unread_days: int) -> None:
    """Remove from the document store (PORTAL_DATA_DIR/documents) the PDFs not read for
    --unread-days days: those a changed document superseded, and those no longer downloaded
    (rendered again if they are). Safe while the portal runs; run it daily, for example
    from cron, on one machine."""
    from datetime import timedelta

    from portal.pdf import store

    count = store.prune(timedelta(days=unread_days))
    click.echo(f"Removed {count} stored document(s) not read for {unread_days} days.")


@portal_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def worker(burst: bool) -> None:
    """Run background jobs (every approved budget of a call as one archive) from the
    "vektor" queue on PORTAL_REDIS_URL, until stopped."""
    from portal.services.jobs import QUEUE_NAME, make_worker

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        _fail("PORTAL_REDIS_URL is not set. Without Redis the portal runs background jobs in "
              "its own process and needs no worker.")
    click.echo(f"Working on the queue {QUEUE_NAME!r} (stop it with Ctrl+C).")
    make_worker(app).work(burst=burst)


@portal_cli.command("worker-ready")
def worker_ready() -> None:
    """Check that background jobs will run: Redis answers and at least one worker listens on
    the "vektor" queue. Exit status 0 when ready, 1 otherwise (for monitoring)."""
    from redis.exceptions import RedisError
    from rq import Worker

    from portal.services.jobs import QUEUE_NAME, job_queue, redis_connection

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        _fail("PORTAL_REDIS_URL is not set: jobs run in the portal's own process and no "
              "worker is used.")
    try:
        connection = redis_connection(app)
        connection.ping()
        queue = job_queue(app)
        workers = Worker.all(queue=queue)
        waiting = queue.count
    except RedisError as exc:
        _fail(f"Redis at PORTAL_REDIS_URL does not answer: {exc}")
    for found in workers:
        seen = f"{found.last_heartbeat:%Y-%m-%d %H:%M:%S} UTC" if found.last_heartbeat else "-"
        click.echo(f"worker {found.name}: {found.get_state()}, last seen {seen}")
    click.echo(f"{waiting} job(s) waiting on the queue {QUEUE_NAME!r}.")
    if not workers:
        _fail(f"No worker listens on the queue {QUEUE_NAME!r}: start "
              "`flask --app wsgi portal worker`.")
    click.echo(f"Ready: {len(workers)} worker(s).")


@portal_cli.command("backup")
@click.option("--to", "destination", type=click.Path(file_okay=False),
              help="The folder to write the backup into (default: PORTAL_BACKUP_DIR).")
def backup_command(destination: str | None) -> None:
    """Back up the database and the files (attachments, generated documents) while the
    portal runs, into one new folder with a manifest of checksums."""
    from pathlib import Path

    from portal.backup import BackupError, create_backup

    app = current_app._get_current_object()
    try:
        result = create_backup(app, Path(destination or app.config["BACKUP_DIR"]))
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"Database: copied with {result.method}.")
    click.echo(f"Files: {result.file_count} ({result.file_bytes} bytes).")
    click.echo(f"Backup written to {result.path}")


@portal_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True,
              help="Replace a database that holds data and files already present.")
def restore_command(source: str, force: bool) -> None:
    """Put a backup made by `portal backup` back (stop the portal and its workers first)."""
    from pathlib import Path

    from alembic.script import ScriptDirectory

    from portal.backup import BackupError, restore_backup

    app = current_app._get_current_object()
    session.close()
    try:
        result = restore_backup(app, Path(source), force=force)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"Database restored with {result.method}.")
    click.echo(f"Files restored: {result.file_count}.")
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if result.revision != head:
        click.echo(f"The backup was made at schema revision {result.revision}; this version "
                   f"of the portal expects {head}. Run `flask --app wsgi portal migrate` "
                   "before starting it.")


@portal_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no accounts yet.")
def seed_demo_command(if_empty: bool) -> None:
    """Create the demo municipality and accounts (safe to run again)."""
    from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo

    if not inspect(session.connection()).has_table("users"):
        _fail("The database has no tables yet: run `flask --app wsgi portal migrate` first.")
    if if_empty and session.scalar(select(User.id).limit(1)) is not None:
        created = False
    else:
        # The demo's final documents are rendered on their first download: rendered in
        # advance here, this command would wait minutes for them before it ends.
        config = current_app.config
        prerender, config["DOCUMENT_PRERENDER"] = config.get("DOCUMENT_PRERENDER", True), False
        try:
            created = seed_demo(session)
            session.commit()
        finally:
            config["DOCUMENT_PRERENDER"] = prerender
    if accounts.find_user_by_email(session, DEMO_ACCOUNTS[0].email) is None:
        click.echo("The database already has accounts of its own; no demo data was added.")
        return
    click.echo("Demo data created." if created else "Demo data is already present.")
    click.echo(f"Demo accounts (password for each: {DEMO_PASSWORD}):")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.email:<24} {', '.join(r.value for r in account.roles)}")

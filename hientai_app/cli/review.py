"""`hientai serve`, `hientai users` and `hientai audit`: the review app, its accounts, and the
check of its audit chain."""

from __future__ import annotations

import getpass
import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

from hientai_app.cli.common import ConfigOption, app, fail, out, settings_for

users_app = typer.Typer(
    help="Review app accounts (argon2-hashed passwords).", no_args_is_help=True
)
WORKER_STARTUP_SECONDS = 120
audit_app = typer.Typer(help="The review app's audit log.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
PasswordOption = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help="Read the password from this file (default: generate one and print it once).",
    ),
]


def _db(config: Path | None):  # type: ignore[no-untyped-def]
    from hientai_app.review.db import ReviewDB

    settings = settings_for(config)
    db = ReviewDB(settings.app_db_url)
    db.create_schema()
    return db


def _password(path: Path | None) -> tuple[str, bool]:
    from hientai_app.review.accounts import generate_password

    if path is None:
        return generate_password(), True
    return path.read_text(encoding="utf-8").strip(), False


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address (default settings.review.host).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default settings.review.port).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Processes (default settings.review.workers; one per core)."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Serve the review app (sign in with an account from `hientai users add`)."""
    import uvicorn

    from hientai.settings import REVIEW_SECRET_ENV
    from hientai_app.review.server import NoDelayHttpToolsProtocol

    settings = settings_for(config)
    if not settings.data_dir.is_dir():
        raise fail(f"no data folder {settings.data_dir}; run `make demo` or `hientai nightly`")
    conf = settings.review
    chosen_host, chosen_port = host or conf.host, port or conf.port
    processes = workers or conf.workers
    out.print(f"review app on http://{chosen_host}:{chosen_port}/ (Ctrl+C stops it)")
    # No access log: a line per page costs the event loop more than some pages do, and the
    # audit log already records who did what.
    options = {"host": chosen_host, "port": chosen_port, "log_level": "warning",
               "access_log": False, "http": NoDelayHttpToolsProtocol,
               "loop": "uvloop"}  # fmt: skip
    if processes == 1:
        from hientai_app.review import create_app

        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    # Every worker must read the same settings and sign sessions with the same key.
    if config is not None:
        os.environ["HIENTAI_CONFIG"] = str(config.resolve())
    if conf.secret is None:
        os.environ.setdefault(REVIEW_SECRET_ENV, secrets.token_urlsafe(48))
    # A worker answers the supervisor's health check only once it has imported the app; on a
    # busy machine that takes longer than uvicorn's 5 s, and the supervisor would kill and
    # restart every worker before it ever served.
    uvicorn.run(
        "hientai_app.review.app:create_app_from_env", factory=True, workers=processes,
        timeout_worker_healthcheck=WORKER_STARTUP_SECONDS, **options,  # type: ignore[arg-type]
    )  # fmt: skip


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option(help="planner, data_scientist, auditor or admin.")],
    scope: Annotated[
        str | None, typer.Option(help="Organisation id whose subtree the user sees (default all).")
    ] = None,
    password_file: PasswordOption = None,
    config: ConfigOption = None,
) -> None:
    """Add an account; without --password-file the password is generated and printed once."""
    from hientai_app.review.accounts import AccountError, add_user

    if scope is not None:
        _check_scope(scope, config)
    password, generated = _password(password_file)
    try:
        add_user(
            _db(config), username, role=role, password=password, scope_org_id=scope, by=_operator()
        )
    except AccountError as exc:
        raise fail(str(exc)) from None
    out.print(f"user {username} added ({role}, scope {scope or 'national'})")
    if generated:
        out.print(f"password (shown once): {password}", highlight=False, soft_wrap=True)


@users_app.command("disable")
def users_disable(username: str, config: ConfigOption = None) -> None:
    """Disable an account; its open sessions end at their next request."""
    from hientai_app.review.accounts import AccountError, disable_user

    try:
        disable_user(_db(config), username, by=_operator())
    except AccountError as exc:
        raise fail(str(exc)) from None
    out.print(f"user {username} disabled")


@users_app.command("reset")
def users_reset(
    username: str, password_file: PasswordOption = None, config: ConfigOption = None
) -> None:
    """Set a new password (generated unless --password-file), re-enable and unlock the account."""
    from hientai_app.review.accounts import AccountError, reset_password

    password, generated = _password(password_file)
    try:
        reset_password(_db(config), username, password=password, by=_operator())
    except AccountError as exc:
        raise fail(str(exc)) from None
    out.print(f"user {username} reset")
    if generated:
        out.print(f"password (shown once): {password}", highlight=False, soft_wrap=True)


@users_app.command("list")
def users_list(config: ConfigOption = None) -> None:
    """Every account: role, scope, whether active or locked."""
    from hientai_app.review.accounts import list_users

    for user in list_users(_db(config)):
        state = "active" if user["active"] else "disabled"
        scope = user["scope_org_id"] or "national"
        typer.echo(f"{user['username']}\t{user['role']}\t{scope}\t{state}")


@audit_app.command("verify")
def audit_verify(
    expect_head: Annotated[
        str | None, typer.Option(help="The head hash recorded earlier: also detects a cut tail.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Check the audit chain: exit 1 naming the first edited, deleted or reordered record."""
    from hientai_app.review.audit import AuditChainBroken, verify

    try:
        report = verify(_db(config), expect_head=expect_head)
    except AuditChainBroken as exc:
        raise fail(f"audit log does not verify: {exc}", code=1) from None
    out.print(
        f"audit log intact: {report.records} records, head {report.head}",
        highlight=False,
        soft_wrap=True,
    )


def _check_scope(scope: str, config: Path | None) -> None:
    """A scope must be an organisation of the latest snapshot (when there is one)."""
    from hientai.storage import SnapshotNotFound, SnapshotStore

    settings = settings_for(config)
    try:
        snapshot = SnapshotStore(settings.snapshots_dir).open(None)
    except SnapshotNotFound:
        out.print(f"note: no snapshot yet, so scope {scope!r} is not checked", highlight=False)
        return
    known = set(snapshot.read("organizations", ["org_id"])["org_id"].astype(str))
    if scope not in known:
        raise fail(
            f"scope {scope!r} is not an organisation of snapshot {snapshot.id} "
            f"({len(known)} organisations; see its organizations table)"
        )


def _operator() -> str:
    """Who ran the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"

"""`normsbot` command line: run, migrate, checklist check, demo.

Every mistake in the set-up ends with one line that says what to fix, not a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from telegram.error import TelegramError

from bot import logs
from bot.bootstrap import SetupError, load_settings, prepare_runtime
from bot.checklist import bundled_checklist_dir, check_checklist
from bot.config import Settings
from bot.db import Database, DatabaseUnavailable


def cmd_run(args: argparse.Namespace) -> int:
    from bot.telegram.app import build_application
    from bot.web.server import serve

    settings = load_settings()
    try:
        settings.token()
    except ValueError as error:
        raise SetupError(str(error)) from None
    rt = prepare_runtime(settings)
    check_telegram(settings)
    application = build_application(rt)
    loop_factory, loop_name = event_loop()
    logging.getLogger(__name__).info(
        "normsbot is running against %s (event loop: %s)", settings.telegram_base_url, loop_name
    )
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(serve(application, rt))  # polling, or the webhook (bot/web/)
    except TelegramError as error:
        # The token was revoked, or Telegram went away, between the check and the start.
        raise _telegram_setup_error(settings, error) from None
    return 0


def event_loop() -> tuple[Callable[[], asyncio.AbstractEventLoop] | None, str]:
    """The event loop `normsbot run` serves on, and its name for the start-up line.

    uvloop (libuv, the loop Uvicorn's standard install uses) where it is installed, which is
    everywhere but Windows: about a tenth less CPU per webhook update than asyncio's own loop
    (benchmarks/README.md, fifth round). Elsewhere asyncio's own loop (None: the default).
    """
    try:
        import uvloop
    except ImportError:
        return None, "asyncio"
    return uvloop.new_event_loop, "uvloop"


def check_telegram(settings: Settings) -> None:
    """Ask the Bot API who the bot is (getMe) before starting; one line if it cannot answer.

    `run_polling` asks the same when it starts, but a failure there is logged with a traceback
    by python-telegram-bot first; a bad token or base URL is a set-up mistake, not a crash.
    """
    from telegram import Bot

    base = settings.telegram_base_url

    async def get_me() -> None:
        bot = Bot(settings.token(), base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")
        async with bot:  # initialize() calls getMe
            pass

    # What goes wrong is said in one line below; python-telegram-bot's own error log of the
    # same failure (a traceback for a 404 page that is not JSON) only shows at DEBUG.
    ptb_log = logging.getLogger("telegram")
    level = ptb_log.level
    if not ptb_log.isEnabledFor(logging.DEBUG):
        ptb_log.setLevel(logging.CRITICAL)
    try:
        asyncio.run(get_me())
    except TelegramError as error:
        raise _telegram_setup_error(settings, error) from None
    finally:
        ptb_log.setLevel(level)


def _telegram_setup_error(settings: Settings, error: TelegramError) -> SetupError | TelegramError:
    from telegram.error import InvalidToken, NetworkError

    # Bot.initialize() wraps the server's answer ("Unauthorized", "Not Found") in a message
    # that quotes the token: the cause says what happened, without it.
    reason = logs.mask(
        str(error.__cause__ or error) if isinstance(error, InvalidToken) else str(error)
    )
    if isinstance(error, InvalidToken):
        return SetupError(
            f"Telegram rejected the token: {reason} (check TELEGRAM_BOT_TOKEN, and that "
            f"TELEGRAM_BASE_URL {settings.telegram_base_url} is the Bot API's address)"
        )
    if isinstance(error, NetworkError):  # TimedOut is one too
        return SetupError(f"cannot reach {settings.telegram_base_url}: {reason}")
    return error


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = load_settings()
    db = Database(settings.database_url)
    try:
        db.check()
        db.migrate()
    except DatabaseUnavailable as error:
        raise SetupError(str(error)) from None
    print(f"database is up to date: {db.safe_url()}")
    return 0


def cmd_checklist_check(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.files] or sorted(bundled_checklist_dir().glob("*.y*ml"))
    failed = 0
    for path in paths:
        if not path.exists():
            print(f"{path}: no such file")
            failed += 1
            continue
        problems = check_checklist(path)
        for problem in problems:
            where = f"{problem.path}:{problem.line}" if problem.line else problem.path
            print(f"{where}: {problem.message}")
        if problems:
            failed += 1
        else:
            print(f"{path}: ok")
    return 1 if failed else 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Recompute the audit log's hash chain; exit 1 naming the first entry that breaks it."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.services import audit

    settings = load_settings()
    db = Database(settings.database_url)
    try:
        db.check()
        result = db.read(audit.verify)
    except DatabaseUnavailable as error:
        raise SetupError(str(error)) from None
    except SQLAlchemyError as error:  # e.g. no audit table yet: `normsbot migrate` first
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        raise SetupError(f"cannot read the audit log at {db.safe_url()}: {reason}") from None
    finally:
        db.dispose()
    if result.ok:
        print(f"audit log OK: {result.count} entries")
        return 0
    why = {
        "changed": "its content does not match its hash (changed after it was written)",
        "unchained": "it does not follow the entry before it (an entry removed or inserted)",
        "truncated": "entries after it were removed (the log ends early)",
    }.get(result.reason or "", result.reason or "?")
    print(f"audit log BROKEN at entry #{result.broken_id}: {why} ({result.count} before it verify)")
    return 1


def cmd_healthcheck(args: argparse.Namespace) -> int:
    """Ask the running bot's /readyz (for a container's HEALTHCHECK): one line, exit 0 or 1."""
    from bot.web.healthcheck import check_ready

    ready, line = check_ready(args.url or load_settings())
    print(line)
    return 0 if ready else 1


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the SQLite database while the bot runs (PostgreSQL: pg_dump, said in one line)."""
    from bot import backup

    settings = load_settings()
    try:
        contents = backup.backup(settings.database_url, args.file, force=args.force)
    except backup.BackupError as error:
        raise SetupError(str(error)) from None
    where = Database(settings.database_url).safe_url()
    print(f"backed up {where} to {args.file}: {contents.describe()}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Put a backup into an empty SQLite database (or, with --force, over one), migrated."""
    from bot import backup

    settings = load_settings()
    try:
        contents, was = backup.restore(settings.database_url, args.file, force=args.force)
    except backup.BackupError as error:
        raise SetupError(str(error)) from None
    migrated = "" if was == contents.migration else f" (migrated from {was})"
    where = Database(settings.database_url).safe_url()
    print(f"restored {args.file} into {where}: {contents.describe()}{migrated}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo  # the fake Bot API's server: only the demo loads it

    result: int = run_demo(
        role=args.role, language=args.language, output=args.output, webhook=args.webhook
    )
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="normsbot",
        description="Telegram bot for self-reporting on the ASEAN norms checklist.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (long polling, or a webhook)").set_defaults(
        func=cmd_run
    )
    sub.add_parser("migrate", help="create or upgrade the database").set_defaults(func=cmd_migrate)
    checklist = sub.add_parser("checklist", help="checklist files")
    checklist_sub = checklist.add_subparsers(dest="checklist_command", required=True)
    check = checklist_sub.add_parser("check", help="validate checklist files")
    check.add_argument("files", nargs="*", help="files to check (default: the bundled ones)")
    check.set_defaults(func=cmd_checklist_check)
    audit_parser = sub.add_parser("audit", help="the audit log of administrative acts")
    audit_sub = audit_parser.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="check the audit log's hash chain")
    verify.set_defaults(func=cmd_audit_verify)
    healthcheck = sub.add_parser("healthcheck", help="ask the running bot whether it is ready")
    healthcheck.add_argument("--url", help="its /readyz (default: from NORMSBOT_LISTEN …)")
    healthcheck.set_defaults(func=cmd_healthcheck)
    backup = sub.add_parser("backup", help="copy the SQLite database, also while the bot runs")
    backup.add_argument("file", type=Path, help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="replace the file if it exists")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="put a backup into the SQLite database")
    restore.add_argument("file", type=Path, help="a file written by `normsbot backup`")
    restore.add_argument(
        "--force", action="store_true", help="replace a database that holds people or answers"
    )
    restore.set_defaults(func=cmd_restore)
    demo = sub.add_parser("demo", help="try the bot in the terminal, no token needed")
    demo.add_argument("--role", choices=["focal_point", "coordinator"], default="focal_point")
    demo.add_argument(
        "--language",
        default="en",
        help="the Telegram app's language of the people in the demo (offered first)",
    )
    demo.add_argument(
        "--output",
        type=Path,
        default=None,
        help="folder for the files the bot sends (default: a new temporary folder)",
    )
    demo.add_argument(
        "--webhook", action="store_true", help="the fake Telegram posts updates to a webhook"
    )
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # INFO and token-shaped text masked until the settings are loaded (`load_settings`), which
    # set NORMSBOT_LOG_LEVEL and mask their own secrets too.
    logs.configure()
    try:
        result: int = args.func(args)
    except SetupError as error:
        print(f"normsbot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())

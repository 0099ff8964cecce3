"""`b24app` console script: one subcommand for every process and chore."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING

from b24app.config import ConfigError, Settings

if TYPE_CHECKING:
    from b24app.runtime import Runtime


def _settings_for_serving() -> Settings:
    settings = Settings.from_env()
    try:
        settings.require_production_ready()
    except ConfigError as exc:
        sys.exit(f"b24app: {exc}")
    return settings


def cmd_web(args: argparse.Namespace) -> None:
    _settings_for_serving()
    # The interpreter's own gunicorn, so a virtualenv works without being on PATH.
    argv = [sys.executable, "-m", "gunicorn", "--bind", args.bind, "--workers", str(args.workers),
            "--threads", str(args.threads), "--access-logfile", "-", "--timeout", "60", "b24app.web.wsgi:app"]
    os.execv(argv[0], argv)


def cmd_worker(args: argparse.Namespace) -> None:
    from rq import Worker

    from b24app.jobs.supervise import supervise
    from b24app.runtime import Runtime

    rt = Runtime(_settings_for_serving())

    def work() -> bool:
        # A new Worker each round: one whose connection broke has registered itself in a Redis that forgot it.
        worker = Worker(rt.queues(), connection=rt.redis)
        worker.work(with_scheduler=True, burst=args.burst, logging_level="INFO")
        # RQ's loop can also end quietly after an error it logged (e.g. Redis gone mid-cleanup): only a burst
        # run or a stop asked for (SIGTERM/SIGINT) ends the process.
        return args.burst or getattr(worker, "_shutdown_requested_date", None) is not None

    supervise(work, rt.redis, rt.clock, what="worker")


def cmd_scheduler(args: argparse.Namespace) -> None:
    from b24app.jobs.schedule import SCHEDULE
    from b24app.jobs.supervise import supervise
    from b24app.ops.ticks import TickingCronScheduler
    from b24app.runtime import Runtime

    rt = Runtime(_settings_for_serving())

    def schedule() -> None:
        scheduler = TickingCronScheduler(connection=rt.redis, logging_level="INFO", tick_key=rt.keys.scheduler_tick())
        for job in SCHEDULE:
            scheduler.register(job.func, rt.queue_name(job.queue), interval=job.interval, job_timeout=job.timeout,
                               name=job.name)
        scheduler.start()

    supervise(schedule, rt.redis, rt.clock, what="scheduler")


def cmd_db(args: argparse.Namespace) -> None:
    from b24app.store.migrate import downgrade, upgrade

    settings = Settings.from_env()
    if args.action == "upgrade":
        upgrade(settings.database_url, args.revision or "head")
    else:
        downgrade(settings.database_url, args.revision or "-1")
    print(f"database {args.action}d: {settings.database_url.split('@')[-1]}")


SANDBOXES_MISSING = (
    "the sandboxes are a development tool, not part of the product: install them with "
    "`pip install -e ./sandboxes` from a checkout of the repository (scripts/setup does)"
)


def _sandbox_server(name: str):
    """`b24sandbox.<name>.server`, or None when the sandboxes are not installed (a product install)."""
    from importlib import import_module

    module = f"b24sandbox.{name}.server"
    try:
        return import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name in {"b24sandbox", f"b24sandbox.{name}", module}:
            return None
        raise


def _add_sandbox_command(sub, command: str, name: str, help_text: str, func) -> None:
    """`b24app sandbox-…` with the options its sandbox declares. Without the sandboxes the command still exists
    and takes any words (prefix `+`, so `--port 1` is not an unknown option): running it explains what to do."""
    server = _sandbox_server(name)
    if server is None:
        p = sub.add_parser(command, help=f"{help_text} (not installed)", description=SANDBOXES_MISSING,
                           prefix_chars="+", add_help=False)
        p.add_argument("words", nargs="*", help=argparse.SUPPRESS)
        p.set_defaults(func=cmd_sandbox_missing, parser=p)
        return
    p = sub.add_parser(command, help=help_text, description=server.DESCRIPTION)
    server.add_arguments(p)
    p.set_defaults(func=func, parser=p)


def cmd_sandbox_missing(args: argparse.Namespace) -> None:
    if {"-h", "--help"} & set(args.words):
        args.parser.print_help()
        sys.exit(0)
    print(f"b24app {args.command}: {SANDBOXES_MISSING}", file=sys.stderr)
    sys.exit(2)


def cmd_sandbox_portal(args: argparse.Namespace) -> None:
    from b24sandbox.portal.server import run

    sys.exit(run(args))


def cmd_sandbox_1c(args: argparse.Namespace) -> None:
    from b24sandbox.onec.server import run

    sys.exit(run(args, args.parser))


def cmd_onec_check(args: argparse.Namespace) -> None:
    from b24app.onec.cli import run_check

    sys.exit(run_check(args))


SECRETS_HELP = ("the secrets stored encrypted (OAuth tokens, application tokens, 1C passwords) after a change "
                "of B24APP_SECRET_KEY: `check` reads them all, `rotate` re-encrypts them with the current key")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _secrets_runtime() -> Runtime:
    from b24app.runtime import Runtime

    settings = Settings.from_env()
    if not settings.secret_key:
        sys.exit("b24app secrets: B24APP_SECRET_KEY is not set (and earlier keys go in B24APP_OLD_SECRET_KEYS)")
    return Runtime(settings)


def cmd_secrets(args: argparse.Namespace) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from b24app.store import rekey
    from b24app.store.db import describe_failure

    rotating = args.secrets_command == "rotate"
    rt = _secrets_runtime()
    try:
        run = rekey.rotate if rotating else rekey.check
        report = run(rt.db, rt.box, batch_size=args.batch_size)
    except SQLAlchemyError as exc:
        # In plain words only: the driver's message may name the host and the user.
        sys.exit(f"b24app secrets {args.secrets_command}: database {describe_failure(exc)}")
    finally:
        rt.close()
    for line in (rekey.rotate_lines if rotating else rekey.check_lines)(report):
        print(line)
    if not report.ok:
        print("\n".join(rekey.problem_lines(report, rotating=rotating)), file=sys.stderr)
        sys.exit(1)
    if not rotating and any(c.old for c in report.columns):
        print("every stored secret can be decrypted; some still need an old key: run `b24app secrets rotate`")
    else:
        print("every stored secret is encrypted with the current key: B24APP_OLD_SECRET_KEYS can be emptied")


def cmd_dead_letters(args: argparse.Namespace) -> None:
    from b24app.jobs.dead_letters_cli import run
    from b24app.runtime import Runtime

    rt = Runtime(Settings.from_env())
    try:
        code = run(rt, args)
    finally:
        rt.close()
    sys.exit(code)


def cmd_demo(args: argparse.Namespace) -> None:
    from b24app.demo import run_demo

    sys.exit(run_demo(port=args.port, exit_after=args.exit_after))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="b24app", description="Bitrix24 <-> 1C integration")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("web", help="serve the app with gunicorn")
    p.add_argument("--bind", default=os.environ.get("B24APP_BIND", "127.0.0.1:8000"))
    p.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    # Threads mostly wait on 1C and the portal (tab refreshes): more of them than cores keeps the queue short.
    p.add_argument("--threads", type=int, default=8)
    p.set_defaults(func=cmd_web)

    p = sub.add_parser("worker", help="run an RQ worker on the app's queues")
    p.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("scheduler", help="run the periodic jobs (RQ CronScheduler)")
    p.set_defaults(func=cmd_scheduler)

    p = sub.add_parser("db", help="database migrations")
    p.add_argument("action", choices=["upgrade", "downgrade"])
    p.add_argument("revision", nargs="?")
    p.set_defaults(func=cmd_db)

    from b24app.onec import cli as onec_cli

    _add_sandbox_command(sub, "sandbox-portal", "portal", "the sandbox Bitrix24 portal", cmd_sandbox_portal)
    _add_sandbox_command(sub, "sandbox-1c", "onec", "the sandbox 1C bases", cmd_sandbox_1c)

    p = sub.add_parser("onec", help="1C connector tools: `b24app onec check ...`", description=onec_cli.DESCRIPTION)
    checks = p.add_subparsers(dest="onec_command", required=True, metavar="{check}")
    check = checks.add_parser("check", help=onec_cli.CHECK_HELP, description=onec_cli.CHECK_HELP)
    onec_cli.add_check_arguments(check)
    check.set_defaults(func=cmd_onec_check)

    from b24app.store import rekey

    p = sub.add_parser("secrets", help="secrets at rest: `b24app secrets check|rotate`", description=SECRETS_HELP)
    actions = p.add_subparsers(dest="secrets_command", required=True, metavar="{check,rotate}")
    for name, text in (("check", "try to decrypt every stored secret and count them by key; writes nothing"),
                       ("rotate", "re-encrypt every stored secret with B24APP_SECRET_KEY (idempotent); then "
                                  "B24APP_OLD_SECRET_KEYS can be emptied")):
        action = actions.add_parser(name, help=text, description=text)
        action.add_argument("--batch-size", type=_positive_int, default=rekey.BATCH_SIZE,
                            help="rows per transaction (default %(default)s)")
        action.set_defaults(func=cmd_secrets)

    from b24app.jobs import dead_letters_cli

    p = sub.add_parser("dead-letters", help="what the exchange gave up on: `b24app dead-letters list|replay|discard`",
                       description=dead_letters_cli.DESCRIPTION)
    dead_letters_cli.add_arguments(p, cmd_dead_letters)

    p = sub.add_parser("demo", help="sandbox portal + app + worker + scheduler, installed end to end")
    p.add_argument("--port", type=int, default=8000, help="the app's port (the sandbox picks a free one)")
    p.add_argument("--exit-after", type=float, default=None,
                   help="stop after this many seconds (a smoke run); default: until Ctrl-C")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> None:
    from b24app.ops import logcontext

    logging.basicConfig(level=logging.INFO)
    logcontext.install()
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()

"""`b24app onec check --url URL --login L --password P --profile ut11`: the schema check from a shell.

Exit codes: 0 everything the profile needs is published; 1 problems (missing objects or fields,
changed types, refused login, an address the deployment does not allow); 2 the base is unreachable.

The address must pass the same egress policy as the app's own calls (`B24APP_ONEC_ALLOWED_NETWORKS` from the
environment): a base on loopback or a private network is checked only when its network is allowed there.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from b24app.config import ConfigError, Settings
from b24app.onec.base import OneCBase
from b24app.onec.egress import EgressPolicy
from b24app.onec.profiles import ProfileError, load_profile
from b24app.onec.schema import check

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_UNREACHABLE = 2


DESCRIPTION = "1C connector tools"
CHECK_HELP = "check that a base publishes what its profile needs (exit 0 ok, 1 problems, 2 unreachable)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`onec`'s sub-commands, declared once: the app's CLI and `python -m b24app.onec.cli` both use them."""
    commands = parser.add_subparsers(dest="onec_command", required=True, metavar="{check}")
    add_check_arguments(commands.add_parser("check", help=CHECK_HELP, description=CHECK_HELP))


def add_check_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--url", required=True, help="publication root of the base, e.g. http://host/ut/")
    cmd.add_argument("--login", required=True)
    cmd.add_argument(
        "--password",
        default=None,
        help="password (or set B24APP_ONEC_PASSWORD to keep it out of the shell history)",
    )
    cmd.add_argument("--profile", default="ut11", help="shipped profile name or a profile TOML file")
    cmd.add_argument("--override", action="append", default=[], help="profile override file (repeatable)")
    cmd.add_argument("--json", action="store_true", help="print the report as JSON")


def main(argv: Sequence[str] | None = None) -> int:
    """Runs a subcommand and returns the exit code (also accepts a leading 'onec')."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "onec":
        args_list = args_list[1:]
    parser = argparse.ArgumentParser(prog="b24app onec", description=DESCRIPTION)
    add_arguments(parser)
    return run_check(parser.parse_args(args_list))


def run_check(args: argparse.Namespace) -> int:
    """`b24app onec check`: the schema check of one base, printed; returns the exit code."""
    password = args.password if args.password is not None else os.environ.get("B24APP_ONEC_PASSWORD", "")
    try:
        profile = load_profile(args.profile, overrides=args.override)
    except ProfileError as exc:
        print(f"profile error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        egress = EgressPolicy.from_settings(Settings.from_env())
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    base = OneCBase(url=args.url, login=args.login, password=password, profile=args.profile)
    report = check(base, profile=profile, egress=egress)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.render_text())
    if not report.reachable:
        return EXIT_UNREACHABLE
    return EXIT_OK if report.ok else EXIT_PROBLEMS


if __name__ == "__main__":
    raise SystemExit(main())

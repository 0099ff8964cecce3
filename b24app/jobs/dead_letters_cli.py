"""`b24app dead-letters list|replay|discard --portal P`: the dead letters (b24app/jobs/dead_letters.py) from a shell.

`--portal` takes the portal's member_id or its domain (`example.bitrix24.ru`, with or without https://). Exit codes:
0 done; 1 the portal, a reference or a dead letter was not found (the others named are still handled), or a
discard was not confirmed; 2 usage (a malformed reference, REF and --all together or neither, discard without
--yes when nobody can be asked).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TextIO

from sqlalchemy import select

from b24app.core.formatting import datetime as format_datetime
from b24app.jobs import dead_letters
from b24app.jobs.dead_letters import BadReference, DeadLetter
from b24app.runtime import Runtime
from b24app.store.models import Portal

EXIT_OK, EXIT_NOT_FOUND, EXIT_USAGE = 0, 1, 2

DESCRIPTION = ("dead letters: what the exchange gave up on (outbox items and failed scheduled jobs); "
               "exit 0 done, 1 not found / not dead / not confirmed, 2 usage")
LIST_HELP = "print the portal's dead letters, newest first"
REPLAY_HELP = "run dead letters again once their cause is fixed"
DISCARD_HELP = "give dead letters up for good (asks for confirmation unless --yes)"
REASON_WIDTH = 100
YES = {"en": ("y", "yes"), "ru": ("д", "да")}  # what confirms a discard on the terminal


def add_arguments(parser: argparse.ArgumentParser, handler: Callable[[argparse.Namespace], None]) -> None:
    """`list`, `replay` and `discard` under `parser`, each calling `handler` with its parsed arguments."""
    actions = parser.add_subparsers(dest="dead_letters_command", required=True, metavar="{list,replay,discard}")
    p = actions.add_parser("list", help=LIST_HELP, description=LIST_HELP)
    _portal_argument(p)
    p.add_argument("--limit", type=_positive_int, default=200,
                   help="at most this many of each source (default %(default)s)")
    p.set_defaults(func=handler)
    for name, text in (("replay", REPLAY_HELP), ("discard", DISCARD_HELP)):
        p = actions.add_parser(name, help=text, description=text)
        _portal_argument(p)
        p.add_argument("refs", nargs="*", metavar="REF", help="outbox:<id> or rq:<job id>, as `list` prints them")
        p.add_argument("--all", action="store_true", help="every dead letter of the portal")
        if name == "discard":
            p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        p.set_defaults(func=handler)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _portal_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--portal", required=True, help="the portal's member_id or domain")


def find_member_id(ctx: Runtime, portal: str) -> str | None:
    """The member_id of an installed portal named by its member_id or its domain (stored in lower case)."""
    text = portal.strip()
    if ctx.portals.get(text) is not None:
        return text
    domain = text.lower().removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    with ctx.db.transaction() as s:
        return s.scalar(select(Portal.member_id).where(Portal.domain == domain))


def run(ctx: Runtime, args: argparse.Namespace, *, stdin: TextIO | None = None, out: TextIO | None = None,
        err: TextIO | None = None) -> int:
    """Carry out one parsed `dead-letters` command; returns the exit code. The streams default to the process's
    own, looked up at call time (so a redirected sys.stdout is honoured)."""
    stdin, out, err = stdin or sys.stdin, out or sys.stdout, err or sys.stderr
    command = args.dead_letters_command
    if command != "list" and bool(args.refs) == bool(args.all):
        print(f"b24app dead-letters {command}: name the dead letters (REF ...) or pass --all, not both",
              file=err)
        return EXIT_USAGE
    try:
        for ref in [] if command == "list" else args.refs:
            dead_letters.parse_ref(ref)
    except BadReference as exc:
        print(f"b24app dead-letters {command}: {exc}", file=err)
        return EXIT_USAGE
    member_id = find_member_id(ctx, args.portal)
    if member_id is None:
        print(f"b24app dead-letters {command}: no installed portal {args.portal!r} (member_id or domain)", file=err)
        return EXIT_NOT_FOUND
    if command == "list":
        return _list(ctx, member_id, args.limit, out)
    refs = args.refs or [letter.ref for letter in dead_letters.list_dead(ctx, member_id, None)]
    if command == "discard" and not args.yes:
        answer = _confirm(len(refs), args.portal, stdin, out, err)
        if answer != EXIT_OK:
            return answer
    act = dead_letters.replay if command == "replay" else dead_letters.discard
    done_word = "replayed" if command == "replay" else "discarded"
    missing = 0
    for ref in refs:
        if act(ctx, member_id, ref):
            print(f"{ref}: {done_word}", file=out)
        else:
            missing += 1
            print(f"{ref}: not found, or not a dead letter of this portal", file=err)
    print(f"{len(refs) - missing} {done_word}, {missing} not found", file=out)
    return EXIT_NOT_FOUND if missing else EXIT_OK


def _confirm(count: int, portal: str, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    """Ask on a terminal; refuse (usage) when nobody can answer, so a script never discards by accident."""
    if not stdin.isatty():
        print("b24app dead-letters discard: stdin is not a terminal; pass --yes to discard without asking", file=err)
        return EXIT_USAGE
    print(f"Discard {count} dead letter(s) of {portal} for good? [y/N] ", end="", file=out, flush=True)
    if stdin.readline().strip().lower() not in {word for words in YES.values() for word in words}:
        print("nothing discarded", file=out)
        return EXIT_NOT_FOUND
    return EXIT_OK


def _list(ctx: Runtime, member_id: str, limit: int, out: TextIO) -> int:
    letters = dead_letters.list_dead(ctx, member_id, limit)
    if not letters:
        print("no dead letters", file=out)
        return EXIT_OK
    for line in table(letters):
        print(line, file=out)
    total = dead_letters.count_dead(ctx, member_id)
    if total > len(letters):
        print(f"… and {total - len(letters)} more (--limit)", file=out)
    return EXIT_OK


def table(letters: list[DeadLetter]) -> list[str]:
    """Aligned columns; times in Moscow as a Russian accountant writes them (06.12.2026 10:15)."""
    rows = [("ref", "what", "attempts", "failed at (MSK)", "reason")]
    rows += [(d.ref, d.what, str(d.attempts), format_datetime(d.failed_at, "ru"), _clip(d.reason))
             for d in letters]
    widths = [max(len(row[n]) for row in rows) for n in range(4)]
    return ["  ".join([*(cell.ljust(widths[n]) for n, cell in enumerate(row[:4])), row[4]]).rstrip()
            for row in rows]


def _clip(text: str) -> str:
    return text if len(text) <= REASON_WIDTH else text[:REASON_WIDTH - 1] + "…"

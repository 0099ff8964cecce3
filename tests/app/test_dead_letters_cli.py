"""`b24app dead-letters list|replay|discard` against a real database and Redis, with dead letters made the real way
(deals whose company INN fails its check digits, worked by the outbox worker; a pull run while 1C refuses the
login), run as a subprocess and through `cli.main`."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

from b24app.cli import main
from b24app.jobs import dead_letters
from b24app.store.models import OutboxRow
from b24app.store.outbox import DEAD, DISCARDED, PENDING
from tests.support import sync_data as sd
from tests.support.dead_letters_data import failed_pull, refused_deals
from tests.support.processes import get_json

pytestmark = pytest.mark.db

B24APP = str(Path(sys.executable).with_name("b24app"))


@pytest.fixture
def refused(ctx, configured_base, sandbox_url, onec_url, settings_env, monkeypatch):
    return refused_deals(ctx, sandbox_url, onec_url, monkeypatch)


def _cli(env: dict, *argv: str, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    return subprocess.run([B24APP, "dead-letters", *argv], env={**os.environ, **env}, stdin=stdin,
                          capture_output=True, text=True, timeout=120)


def _main(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as ended:
        main(["dead-letters", *argv])
    out = capsys.readouterr()
    return ended.value.code, out.out, out.err


def _row(ctx, item_id: int) -> OutboxRow:
    with ctx.db.transaction() as s:
        row = s.get(OutboxRow, item_id)
        s.expunge(row)
        return row


def _failed_ids(ctx) -> list[str]:
    return FailedJobRegistry(queue=ctx.queue("default")).get_job_ids()


def _moscow(row: OutboxRow) -> str:
    """The row's time as the table must print it, computed here with the standard library alone."""
    moment = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo("Europe/Moscow")).strftime("%d.%m.%Y %H:%M")


def test_list_then_replay_all_after_the_fix_makes_each_order_exactly_once(ctx, refused, onec_url, sandbox_url,
                                                                         settings_env):
    failed_pull(ctx, onec_url, refused.member)
    [job_id] = _failed_ids(ctx)
    rows = {deal: next(i for i in ctx.outbox.dead(refused.member) if i.entity_id == deal) for deal in refused.deals}

    domain = get_json(sandbox_url + "/_sandbox/state")["domain"]
    listed = _cli(settings_env, "list", "--portal", f"https://{domain.upper()}/")  # by domain, as copied
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["ref", "what", "attempts", "failed", "at", "(MSK)", "reason"]
    for deal, item in rows.items():
        [line] = [ln for ln in lines if ln.startswith(f"outbox:{item.id} ")]
        assert f"deal {deal}" in line and " 1 " in line
        assert _moscow(_row(ctx, item.id)) in line
        assert "is not valid (check digits)" in line
    [pull_line] = [ln for ln in lines if ln.startswith(f"rq:{job_id} ")]
    assert "pull payments" in pull_line and re.search(r"\d\d\.\d\d\.20\d\d \d\d:\d\d", pull_line)
    assert "Traceback" not in listed.stdout and len(lines) == 1 + len(rows) + 1

    # Replayed before the cause is fixed: the deals are refused again, one attempt each, still dead letters.
    again = _cli(settings_env, "replay", "--portal", refused.member, f"outbox:{rows[refused.deals[0]].id}")
    assert again.returncode == 0, again.stderr
    sd.settle(ctx, sandbox_url)
    assert _row(ctx, rows[refused.deals[0]].id).status == DEAD and not refused.orders(refused.deals[0])

    refused.fix_inn()
    replayed = _cli(settings_env, "replay", "--portal", refused.member, "--all")
    assert replayed.returncode == 0, replayed.stderr
    assert f"{len(rows) + 1} replayed, 0 not found" in replayed.stdout
    sd.settle(ctx, sandbox_url)
    sd.run_burst(ctx)  # the requeued pull
    for deal in refused.deals:
        [order] = refused.orders(deal)
        assert order["Posted"] is True
    assert ctx.outbox.counts(refused.member)[DEAD] == 0 and _failed_ids(ctx) == []
    assert Job.fetch(job_id, connection=ctx.redis).get_status() == "finished"

    # Nothing is dead any more: a second replay finds nothing and says so with exit code 1; no second order.
    twice = _cli(settings_env, "replay", "--portal", refused.member, f"outbox:{rows[refused.deals[0]].id}")
    assert twice.returncode == 1 and "not found" in twice.stderr
    sd.settle(ctx, sandbox_url)
    assert all(len(refused.orders(deal)) == 1 for deal in refused.deals)
    assert _cli(settings_env, "list", "--portal", refused.member).stdout.strip() == "no dead letters"


def test_discard_marks_the_row_and_deletes_the_failed_job(ctx, refused, onec_url, sandbox_url, capsys):
    failed_pull(ctx, onec_url, refused.member)
    [job_id] = _failed_ids(ctx)
    first, second = (next(i.id for i in ctx.outbox.dead(refused.member) if i.entity_id == d) for d in refused.deals)

    code, out, _ = _main(capsys, "discard", "--portal", refused.member, f"outbox:{first}", f"rq:{job_id}", "--yes")
    assert code == 0 and "2 discarded, 0 not found" in out
    row = _row(ctx, first)
    assert row.status == DISCARDED and "check digits" in row.last_error  # the reason is kept for the record
    with pytest.raises(NoSuchJobError):
        Job.fetch(job_id, connection=ctx.redis)
    assert _failed_ids(ctx) == []

    # Never revived, not counted, not swept; only the other deal is left to list.
    counts = ctx.outbox.counts(refused.member)
    assert (counts[PENDING], counts[DEAD], DISCARDED in counts) == (0, 1, False)
    assert first not in ctx.outbox.due(limit=10_000)
    code, _, err = _main(capsys, "replay", "--portal", refused.member, f"outbox:{first}")
    assert code == 1 and f"outbox:{first}: not found" in err
    assert _row(ctx, first).status == DISCARDED
    code, out, _ = _main(capsys, "list", "--portal", refused.member)
    assert code == 0 and f"outbox:{second} " in out and f"outbox:{first} " not in out and "rq:" not in out

    # The fixed INN and a new change of the discarded deal: a new row, worked normally; one order.
    refused.fix_inn()
    refused.client.call("crm.deal.update", {"id": refused.deals[0], "fields": {"TITLE": "Поставка, исправлено"}})
    sd.settle(ctx, sandbox_url)
    assert len(refused.orders(refused.deals[0])) == 1
    assert _row(ctx, first).status == DISCARDED


def test_discard_asks_on_a_terminal_and_refuses_without_one(ctx, refused, settings_env):
    ref = f"outbox:{ctx.outbox.dead(refused.member)[0].id}"
    item_id = int(ref.split(":")[1])

    refused_pipe = _cli(settings_env, "discard", "--portal", refused.member, ref)  # stdin is /dev/null
    assert refused_pipe.returncode == 2 and "--yes" in refused_pipe.stderr
    assert _row(ctx, item_id).status == DEAD

    for answer, code, status in (("n\n", 1, DEAD), ("y\n", 0, DISCARDED)):
        controller, terminal = pty.openpty()
        try:
            os.write(controller, answer.encode())
            done = _cli(settings_env, "discard", "--portal", refused.member, ref, stdin=terminal)
        finally:
            os.close(terminal)
            os.close(controller)
        assert done.returncode == code, done.stderr
        assert "Discard 1 dead letter(s)" in done.stdout
        assert _row(ctx, item_id).status == status


def test_usage_and_not_found(ctx, refused, capsys):
    ref = f"outbox:{ctx.outbox.dead(refused.member)[0].id}"
    for argv in (["replay", "--portal", refused.member],  # neither REF nor --all
                 ["replay", "--portal", refused.member, ref, "--all"],  # both
                 ["replay", "--portal", refused.member, "outbox:abc"],  # malformed
                 ["discard", "--portal", refused.member, "mail:1", "--yes"]):
        code, _, err = _main(capsys, *argv)
        assert code == 2, (argv, err)
    code, _, _ = _main(capsys, "list")  # argparse: --portal is required
    assert code == 2
    code, _, err = _main(capsys, "list", "--portal", "no-such-portal.bitrix24.ru")
    assert code == 1 and "no installed portal" in err
    code, _, err = _main(capsys, "replay", "--portal", refused.member, "outbox:999999", ref)
    assert code == 1 and "outbox:999999: not found" in err
    assert ctx.outbox.get(int(ref.split(":")[1])).status == PENDING  # the real one was still replayed
    assert dead_letters.parse_ref(ref) == ("outbox", ref.split(":")[1])

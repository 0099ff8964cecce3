"""The outbox's promises on the database alone: an event is stored once per waiting entity, claimed with a lease,
retried with backoff, set aside after the last attempt, revived on replay; the offline-event collector and the
event handler's acceptance rules."""

from __future__ import annotations

import time

import pytest

from b24app.bitrix.installation import binding_commands
from b24app.config import Settings, SyncTuning
from b24app.core.errors import BaseUnavailable, PermanentSyncError
from b24app.jobs.retry import decide
from b24app.manifest import load_manifest
from b24app.onec.errors import OneCUnavailable
from b24app.runtime import Runtime
from b24app.store.models import OutboxRow, utcnow
from b24app.store.outbox import DEAD, DONE, PENDING, Outbox
from b24app.sync.to_onec.events_map import entity_of
from tests.support.processes import wait_until

pytestmark = pytest.mark.db

MEMBER = "a" * 32


@pytest.fixture
def outbox(database_url) -> Outbox:
    ctx = Runtime(Settings(database_url=database_url, secret_key="k" * 32))
    ctx.portals.save_install(MEMBER, "example.bitrix24.ru", "https://example.bitrix24.ru/rest/", None)
    yield Outbox(ctx.db, SyncTuning(lease_seconds=0.2, max_attempts=3, retry_base_seconds=0.2))
    ctx.db.dispose()


def _row(outbox: Outbox, item_id: int) -> OutboxRow:
    with outbox._db.transaction() as s:
        return s.get(OutboxRow, item_id)


def test_events_of_a_waiting_entity_add_no_row_and_a_taken_one_adds_one(outbox):
    first = outbox.accept(MEMBER, "deal", "7", "online:ONCRMDEALUPDATE:7:100", {})
    again = outbox.accept(MEMBER, "deal", "7", "online:ONCRMDEALUPDATE:7:100", {})
    other_change = outbox.accept(MEMBER, "deal", "7", "online:ONCRMDEALUPDATE:7:101", {})
    other_deal = outbox.accept(MEMBER, "deal", "8", "online:ONCRMDEALUPDATE:8:100", {})
    assert first.new and not again.new and not other_change.new and other_deal.new
    assert again.id == other_change.id == first.id

    assert outbox.claim(first.id).attempts == 1
    # The same delivery after a job took the row: the change may be newer than what the job read: stored.
    later = outbox.accept(MEMBER, "deal", "7", "online:ONCRMDEALUPDATE:7:100", {})
    assert later.new and later.id != first.id
    assert _row(outbox, later.id).dedup_key.startswith("online:ONCRMDEALUPDATE:7:100#")


def test_complete_closes_rows_read_before_and_keeps_changes_after_the_read(outbox):
    first = outbox.accept(MEMBER, "deal", "7", "a", {})
    item = outbox.claim(first.id)
    during = outbox.accept(MEMBER, "deal", "7", "b", {})  # arrived while the job worked, before it read
    time.sleep(0.01)
    read_started = utcnow()
    assert outbox.complete(item, read_started) == 2  # the job read after it: both done
    assert _row(outbox, during.id).status == DONE
    assert outbox.claim(first.id) is None  # done rows are not worked again

    second = outbox.claim(outbox.accept(MEMBER, "deal", "7", "c", {}).id)
    waiting = outbox.accept(MEMBER, "deal", "7", "d", {})  # before the read
    time.sleep(0.01)
    read_started = utcnow()
    time.sleep(0.01)
    absorbed = outbox.accept(MEMBER, "deal", "7", "e", {})  # after the read: the waiting row stands for it too
    assert absorbed.id == waiting.id and not absorbed.new
    assert outbox.complete(second, read_started) == 1
    assert _row(outbox, waiting.id).status == PENDING  # worked again: the change after the read is not lost


def _settle(outbox, item, exc):
    decision = decide(exc, item.attempts, outbox.tuning, time.time())
    return outbox.settle(item, decision.reason, decision.delay, counts=decision.counts)


def test_failures_back_off_then_die_and_replay_revives(outbox):
    accepted = outbox.accept(MEMBER, "deal", "9", "x", {})
    assert outbox.due() == []  # leased to the job just enqueued
    flaky = OneCUnavailable("", "HTTP 503", 503, "ut")
    for attempt in (1, 2):
        # The first run is the accepted row's own job; the next ones are what the sweeper hands out (`swept`).
        item = outbox.claim(accepted.id, swept=attempt > 1)
        assert item.attempts == attempt
        assert _settle(outbox, item, flaky) == PENDING
        assert _row(outbox, accepted.id).next_attempt_at.replace(tzinfo=None) > utcnow().replace(tzinfo=None)
        wait_until(lambda: outbox.due() == [accepted.id], timeout=10, what="the retry to fall due")
    assert _settle(outbox, outbox.claim(accepted.id, swept=True), flaky) == DEAD
    assert [d.id for d in outbox.dead(MEMBER)] == [accepted.id]
    assert outbox.due() == []
    assert outbox.revive(MEMBER, accepted.id)
    assert not outbox.revive(MEMBER, accepted.id)
    assert outbox.claim(accepted.id).attempts == 1


def test_a_row_taken_by_another_job_is_left_to_it(outbox):
    """A job that took a row along with its own (deal_batch.py) holds its lease: the row's own queued job finds
    it taken; only the sweeper, once the lease ran out, hands it out again."""
    leased = Outbox(outbox._db, SyncTuning(lease_seconds=60, max_attempts=3, retry_base_seconds=0.2))
    first = leased.accept(MEMBER, "deal", "21", "a", {})
    other = leased.accept(MEMBER, "deal", "22", "b", {})
    assert leased.fresh(MEMBER, "deal", 15, exclude={first.id}) == [(other.id, "22")]
    assert leased.claim(first.id).attempts == 1
    assert leased.claim(other.id).attempts == 1  # taken along
    assert leased.fresh(MEMBER, "deal", 15, exclude=set()) == []  # nothing left never tried
    assert leased.claim(other.id) is None  # its own job comes later: taken, not run twice
    assert leased.claim(other.id, swept=True).attempts == 2  # the sweeper found the lease run out


def test_a_row_waiting_for_its_1c_base_is_not_taken_along(outbox):
    """Its attempt given back while the base is down, it keeps to its own time: no job re-tries it early."""
    first = outbox.accept(MEMBER, "deal", "31", "c", {})
    waiting = outbox.accept(MEMBER, "deal", "32", "d", {})
    down = BaseUnavailable("1C base ut is unavailable", 1, time.time() + 60)
    assert _settle(outbox, outbox.claim(waiting.id), down) == PENDING
    assert _row(outbox, waiting.id).attempts == 0
    assert outbox.fresh(MEMBER, "deal", 15, exclude={first.id}) == []


def test_permanent_error_dies_at_once(outbox):
    accepted = outbox.accept(MEMBER, "deal", "10", "y", {})
    assert _settle(outbox, outbox.claim(accepted.id), PermanentSyncError("no INN")) == DEAD
    assert outbox.counts(MEMBER) == {PENDING: 0, DONE: 0, DEAD: 1}


def test_waiting_for_a_down_base_spends_no_attempt(outbox):
    accepted = outbox.accept(MEMBER, "deal", "11", "z", {})
    for _ in range(outbox.tuning.max_attempts * 3):
        item = outbox.claim(accepted.id)
        assert item.attempts == 1
        assert _settle(outbox, item, BaseUnavailable("1C base ut is unavailable", 1, time.time() + 60)) == PENDING
    assert _row(outbox, accepted.id).attempts == 0


def test_manifest_binds_deal_events_online_and_offline():
    commands = binding_commands(load_manifest(), "https://app.example")
    for event in ("ONCRMDEALADD", "ONCRMDEALUPDATE"):
        assert commands[f"bind_{event}_online"] == ("event.bind", {"event": event,
                                                                   "handler": "https://app.example/events"})
        assert commands[f"bind_{event}_offline"][1]["event_type"] == "offline"
        assert entity_of(event) == "deal"
    for event in ("ONCRMDYNAMICITEMADD", "ONCRMDYNAMICITEMUPDATE"):
        assert commands[f"bind_{event}_offline"][1]["event_type"] == "offline"
        assert entity_of(event, "31") == "invoice" and entity_of(event, "1220") is None
    assert entity_of("ONCRMLEADUPDATE") is None and entity_of("ONCRMCOMPANYUPDATE") == "company"

"""The outbox's promises on the database alone: an event is stored once per waiting entity, claimed with a lease,
retried with backoff, set aside after the last attempt, revived on replay; the offline-event collector and the
event handler's acceptance rules; the backoff's shape."""

from __future__ import annotations

import time

import pytest

from b24app.config import Settings
from b24app.context import AppContext
from b24app.installation import binding_commands
from b24app.manifest import load_manifest
from b24app.store.models import OutboxRow, utcnow
from b24app.sync.events_map import entity_of
from b24app.sync.outbox import DEAD, DONE, PENDING, Outbox
from b24app.sync.tuning import SyncTuning

pytestmark = pytest.mark.db

MEMBER = "a" * 32


@pytest.fixture
def outbox(database_url) -> Outbox:
    ctx = AppContext(Settings(database_url=database_url, secret_key="k" * 32))
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


def test_failures_back_off_then_die_and_replay_revives(outbox):
    accepted = outbox.accept(MEMBER, "deal", "9", "x", {})
    assert outbox.due() == []  # leased to the job just enqueued
    for attempt in (1, 2):
        item = outbox.claim(accepted.id)
        assert item.attempts == attempt
        assert outbox.fail(item, "OneCUnavailable: 503") == PENDING
        assert _row(outbox, accepted.id).next_attempt_at.replace(tzinfo=None) > utcnow().replace(tzinfo=None)
        time.sleep(0.5)
        assert outbox.due() == [accepted.id]
    assert outbox.fail(outbox.claim(accepted.id), "OneCUnavailable: 503") == DEAD
    assert [d.id for d in outbox.dead(MEMBER)] == [accepted.id]
    assert outbox.due() == []
    assert outbox.revive(MEMBER, accepted.id)
    assert not outbox.revive(MEMBER, accepted.id)
    assert outbox.claim(accepted.id).attempts == 1


def test_permanent_error_dies_at_once(outbox):
    accepted = outbox.accept(MEMBER, "deal", "10", "y", {})
    assert outbox.fail(outbox.claim(accepted.id), "no INN", permanent=True) == DEAD
    assert outbox.counts(MEMBER) == {PENDING: 0, DONE: 0, DEAD: 1}


def test_backoff_grows_with_jitter_and_caps():
    tuning = SyncTuning(retry_base_seconds=10, retry_cap_seconds=60, max_attempts=6)
    for attempt, ceiling in ((1, 10), (2, 20), (3, 40), (4, 60), (9, 60)):
        samples = {tuning.backoff(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= s <= ceiling for s in samples)
        assert len(samples) > 1
    assert len(tuning.retry_intervals()) == 5


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
    assert entity_of("ONCRMCOMPANYUPDATE") is None

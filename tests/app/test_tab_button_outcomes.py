"""The deal tab's "send to 1C" press, below the page: a press that joins an event of the same deal still waiting in
the outbox makes that row order the deal whatever its stage (before, the press was folded into the event and did
nothing when the deal was not at the ordering stage), and the outcome the tab polls reads that row."""

from __future__ import annotations

import pytest

from b24app.jobs.sync import order_deal_now
from b24app.web.frame import FrameUser
from b24app.web.tab_actions import order_outcome
from tests.support import sync_data as sd

pytestmark = pytest.mark.db


def test_a_press_joining_a_waiting_event_orders_whatever_the_stage_and_its_outcome_is_this_deals_only(
        ctx, installed, sandbox_url):
    member = sd.member_id(sandbox_url)
    event = ctx.outbox.accept(member, "deal", "5", "ONCRMDEALUPDATE:5:1700000000", {"event": "ONCRMDEALUPDATE"})
    assert event.new and "force" not in ctx.outbox.get(event.id).payload
    pressed = order_deal_now(ctx, member, "5")
    assert pressed == event.id
    assert ctx.outbox.get(event.id).payload == {"event": "ONCRMDEALUPDATE", "force": True}

    user = FrameUser(member_id=member, user_id="1", is_admin=False, lang="ru", placement="CRM_DEAL_DETAIL_TAB",
                     options={"ID": "5"})
    outcome = order_outcome(ctx, user, pressed)
    assert (outcome.state, outcome.final) == ("queued", False) and "Заявка принята" in outcome.sentence
    ctx.outbox.settle(ctx.outbox.claim(pressed), "deal 5 has no product rows to order", None)
    outcome = order_outcome(ctx, user, pressed)
    assert (outcome.state, outcome.final) == ("failed", True) and "в сделке нет товаров" in outcome.sentence
    other_deal = FrameUser(member_id=member, user_id="1", is_admin=False, lang="ru",
                           placement="CRM_DEAL_DETAIL_TAB", options={"ID": "6"})
    assert order_outcome(ctx, other_deal, pressed) is None

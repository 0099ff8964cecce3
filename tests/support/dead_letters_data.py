"""Dead letters made the real way, for the CLI, page and browser tests: deals whose 1C order is refused for good
(the company's INN has a wrong check digit) run through the outbox worker, and a scheduled pull that fails while
the sandbox 1C refuses the login; then the causes fixed again."""

from __future__ import annotations

from dataclasses import dataclass

from b24app.bitrix.client import BitrixClient
from b24app.jobs.sync import enqueue_pull
from b24app.onec.odata import ODataClient
from b24app.runtime import Runtime
from b24app.sync.to_onec.orders import order_key
from tests.support import sync_data as sd
from tests.support.processes import post_json


def wrong_check_digit(inn: str) -> str:
    """The same INN with its last (check) digit off by one: what a typo in the requisites looks like."""
    return inn[:-1] + str((int(inn[-1]) + 1) % 10)


@dataclass
class Refused:
    """A portal with `deals` set aside because their company's INN fails its check digits."""

    member: str
    client: BitrixClient
    odata: ODataClient
    deals: list[str]
    requisite: dict
    good_inn: str

    def fix_inn(self) -> None:
        self.client.call("crm.requisite.update", {"id": self.requisite["ID"], "fields": {"RQ_INN": self.good_inn}})

    def orders(self, deal: str) -> list[dict]:
        return sd.orders_with_key(self.odata, order_key(self.member, deal))


def refused_deals(ctx: Runtime, sandbox_url: str, onec_url: str, monkeypatch, count: int = 2) -> Refused:
    """`count` deals of one company moved to the order stage and worked by the outbox worker until they are dead
    letters (a permanent error: one attempt each). The caller's fixtures give an installed portal with the sandbox
    УТ 11 base configured (`configured_base`) and the settings in the environment (`settings_env`)."""
    sd.retune(ctx, monkeypatch, B24APP_SYNC_LEASE_SECONDS="3", B24APP_SYNC_RETRY_BASE_SECONDS="1")
    member, client, odata = sd.member_id(sandbox_url), sd.manager(sandbox_url), sd.onec(onec_url)
    items = sd.catalog_items(client, odata, 2)
    first, company, requisite = sd.deal_with_company(client)
    sd.order_on_stage(ctx, member)
    good = str(requisite["RQ_INN"])
    client.call("crm.requisite.update", {"id": requisite["ID"], "fields": {"RQ_INN": wrong_check_digit(good)}})
    deals = [first] + [sd.new_deal(client, company["ID"], f"Поставка {n + 2}") for n in range(count - 1)]
    for deal in deals:
        sd.set_rows(client, deal, items, [1, 2])
        client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    sd.settle(ctx, sandbox_url)
    dead = {item.entity_id for item in ctx.outbox.dead(member)}
    assert dead == set(deals), (dead, deals)
    return Refused(member, client, odata, deals, requisite, good)


def failed_pull(ctx: Runtime, onec_url: str, member: str, stream: str = "payments") -> None:
    """A scheduled pull run while the sandbox 1C refuses every login: RQ puts the job in its FailedJobRegistry.
    The login is accepted again afterwards, so a replay can succeed."""
    post_json(f"{onec_url}/_sandbox/ut/fault", {"unauthorized": True})
    try:
        enqueue_pull(ctx, member, stream)
        sd.run_burst(ctx)
    finally:
        post_json(f"{onec_url}/_sandbox/ut/fault", {"unauthorized": False})

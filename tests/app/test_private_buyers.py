"""Private buyers and sole proprietors, end to end on the sandbox portal and the sandbox 1C (УТ 11.5) with real
Redis and RQ workers through the outbox: a deal with a contact and no company becomes an order for an individual
counterparty found again by its phone however it is written; a company with a 12-digit INN is a sole proprietor;
an INN whose check digits are wrong is refused with a reason, never used as a key."""

from __future__ import annotations

import pytest
from stdnum.ru import inn as inn_check

from b24app.sync.to_onec.orders import order_key
from tests.support import sync_data as sd

pytestmark = pytest.mark.db

COUNTERPARTIES = "Catalog_Контрагенты"
CONTACT_INFO = "Catalog_Контрагенты_КонтактнаяИнформация"


@pytest.fixture
def desk(ctx, configured_base, sandbox_url, onec_url, settings_env, monkeypatch):
    """A manager's portal with one catalog item and the order stage set."""
    sd.retune(ctx, monkeypatch, B24APP_SYNC_LEASE_SECONDS="3", B24APP_SYNC_RETRY_BASE_SECONDS="1")
    member = sd.member_id(sandbox_url)
    client = sd.manager(sandbox_url)
    odata = sd.onec(onec_url)
    [item] = sd.catalog_items(client, odata, 1)
    sd.order_on_stage(ctx, member)
    return dict(member=member, client=client, odata=odata, item=item)


def _person(client, first: str, last: str, *, phone: str | None = None, email: str | None = None) -> str:
    fields: dict = {"NAME": first, "LAST_NAME": last}
    if phone:
        fields["PHONE"] = [{"VALUE": phone, "VALUE_TYPE": "MOBILE"}]
    if email:
        fields["EMAIL"] = [{"VALUE": email, "VALUE_TYPE": "WORK"}]
    return str(client.call("crm.contact.add", {"fields": fields}).result)


def _deal_sent(ctx, sandbox_url, desk, title: str, **buyer: str) -> str:
    """A deal of the buyer (CONTACT_ID or COMPANY_ID) with one row, moved to the order stage, sent via the outbox."""
    client = desk["client"]
    deal = str(client.call("crm.deal.add", {"fields": {"TITLE": title, "CATEGORY_ID": 0, "STAGE_ID": "NEW",
                                                       **buyer}}).result)
    client.call("crm.deal.productrows.set", {"id": deal, "rows": [{
        "PRODUCT_ID": desk["item"].product_id, "PRODUCT_NAME": desk["item"].name, "PRICE": 1200, "QUANTITY": 1,
        "TAX_RATE": 20, "TAX_INCLUDED": "Y", "MEASURE_CODE": 796, "MEASURE_NAME": "шт"}]})
    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    sd.settle(ctx, sandbox_url)
    return deal


def _order(desk, deal: str) -> dict:
    orders = sd.orders_with_key(desk["odata"], order_key(desk["member"], deal))
    assert len(orders) == 1
    return orders[0]


def _valid_inn(first_ten: str) -> str:
    return first_ten + inn_check.calc_personal_check_digits(first_ten)


def test_a_contact_only_deal_makes_one_individual_counterparty_found_again_by_its_phone(ctx, sandbox_url, desk):
    client, odata = desk["client"], desk["odata"]
    first = _deal_sent(ctx, sandbox_url, desk, "Кухня для Петрова",
                       CONTACT_ID=_person(client, "Иван", "Петров", phone="8 (916) 123-45-67"))
    buyer = odata.get(COUNTERPARTIES, _order(desk, first)["Контрагент_Key"])
    assert (buyer["Description"], buyer["ЮрФизЛицо"], buyer["ИНН"]) == ("Петров Иван", "ФизЛицо", "")
    assert [(c["Тип"], c["НомерТелефона"]) for c in buyer["КонтактнаяИнформация"]] == [("Телефон", "+79161234567")]
    assert _order(desk, first)["Партнер_Key"] == buyer["Партнер_Key"]

    # The same person entered again, the phone written another way: the same counterparty, none created.
    second = _deal_sent(ctx, sandbox_url, desk, "Шкаф для Петрова",
                        CONTACT_ID=_person(client, "Иван", "Петров", phone="+79161234567"))
    assert _order(desk, second)["Контрагент_Key"] == buyer["Ref_Key"]
    holders = {r["Ref_Key"] for r in odata.query(CONTACT_INFO, filter="НомерТелефона eq '+79161234567'").rows}
    assert holders == {buyer["Ref_Key"]}
    assert ctx.outbox.dead(desk["member"]) == []


def test_a_contact_known_by_e_mail_only_is_found_again_whatever_the_letter_case(ctx, sandbox_url, desk):
    client, odata = desk["client"], desk["odata"]
    first = _deal_sent(ctx, sandbox_url, desk, "Для Смирновой",
                       CONTACT_ID=_person(client, "Анна", "Смирнова", email="Anna.Smirnova@Example.RU"))
    second = _deal_sent(ctx, sandbox_url, desk, "Ещё для Смирновой",
                        CONTACT_ID=_person(client, "Анна", "Смирнова", email="anna.smirnova@example.ru"))
    buyer = _order(desk, first)["Контрагент_Key"]
    assert _order(desk, second)["Контрагент_Key"] == buyer
    lines = odata.get(COUNTERPARTIES, buyer)["КонтактнаяИнформация"]
    assert [(c["Тип"], c["АдресЭП"]) for c in lines] == [("АдресЭлектроннойПочты", "anna.smirnova@example.ru")]


def test_a_company_with_a_twelve_digit_inn_is_a_sole_proprietor(ctx, sandbox_url, desk):
    client, odata = desk["client"], desk["odata"]
    inn = _valid_inn("7707123456")
    company = str(client.call("crm.company.add", {"fields": {"TITLE": "ИП Кузнецов С. А."}}).result)
    client.call("crm.requisite.add", {"fields": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": company, "PRESET_ID": 2,
                                                 "NAME": "ИП", "RQ_INN": inn, "RQ_KPP": "770701001"}})
    deal = _deal_sent(ctx, sandbox_url, desk, "Плитка для ИП", COMPANY_ID=company)
    buyer = odata.get(COUNTERPARTIES, _order(desk, deal)["Контрагент_Key"])
    # A sole proprietor has no KPP (only organisations are registered with one), whatever the requisite says.
    assert (buyer["ИНН"], buyer["ЮрФизЛицо"], buyer["КПП"]) == (inn, "ИндивидуальныйПредприниматель", "")


def test_an_invalid_inn_is_a_dead_letter_with_the_reason_and_nothing_is_created(ctx, sandbox_url, desk):
    client, odata = desk["client"], desk["odata"]
    good = _valid_inn("5001007322")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    contact = _person(client, "Олег", "Новиков", phone="+7 916 765-43-21")
    client.call("crm.requisite.add", {"fields": {"ENTITY_TYPE_ID": 3, "ENTITY_ID": contact, "PRESET_ID": 3,
                                                 "NAME": "Физ. лицо", "RQ_INN": bad}})
    before = len(odata.query(COUNTERPARTIES, select=["Ref_Key"]).rows)
    deal = _deal_sent(ctx, sandbox_url, desk, "Для Новикова", CONTACT_ID=contact)
    assert sd.orders_with_key(odata, order_key(desk["member"], deal)) == []
    [dead] = [d for d in ctx.outbox.dead(desk["member"]) if d.entity_id == deal]
    assert f"contact {contact} «Новиков Олег»: INN {bad} is not valid (check digits)" in dead.last_error
    assert dead.attempts == 1
    assert len(odata.query(COUNTERPARTIES, select=["Ref_Key"]).rows) == before
    assert odata.query(COUNTERPARTIES, filter=f"ИНН eq '{bad}'").rows == []


@pytest.mark.parametrize(("base", "profile"), [("bp", "bp30"), ("unf", "unf")])
def test_a_private_buyer_is_found_again_by_phone_on_other_configurations(ctx, installed, sandbox_url, settings_env,
                                                                         monkeypatch, releases_url, base, profile):
    """БП 3.0 and УНФ keep the same КонтактнаяИнформация section as УТ 11 (facts bp-3.0.198.19, unf-3.0.12.261):
    a second deal of the same person finds the counterparty the first one made, by the phone however written."""
    member = sd.member_id(sandbox_url)
    odata = sd.release_base(ctx, member, releases_url, base, profile)
    sd.retune(ctx, monkeypatch, B24APP_SYNC_LEASE_SECONDS="3", B24APP_SYNC_RETRY_BASE_SECONDS="1")
    client = sd.manager(sandbox_url)
    [item] = sd.catalog_items(client, odata, 1)
    sd.order_on_stage(ctx, member)
    desk = dict(member=member, client=client, odata=odata, item=item)
    spec = ctx.profiles.load(profile).object("customer_order")
    buyer_f = spec.field("counterparty")

    def buyer_of(deal: str) -> str:
        key = order_key(member, deal)
        rows = odata.query(spec.entity_set, filter=f"substringof('{key}', Комментарий) eq true").rows
        [order] = [r for r in rows if key in (r.get("Комментарий") or "").split()]
        return order[buyer_f]

    first = _deal_sent(ctx, sandbox_url, desk, "Кухня для Сидоровой",
                       CONTACT_ID=_person(client, "Анна", "Сидорова", phone="+7 (495) 765-43-21"))
    second = _deal_sent(ctx, sandbox_url, desk, "Стол для Сидоровой",
                        CONTACT_ID=_person(client, "Анна", "Сидорова", phone="84957654321"))
    assert buyer_of(first) == buyer_of(second)
    person = odata.get(COUNTERPARTIES, buyer_of(first))
    assert person["ЮридическоеФизическоеЛицо"] == "ФизическоеЛицо" and person["ИНН"] == ""
    assert [c["НомерТелефона"] for c in person["КонтактнаяИнформация"]] == ["+74957654321"]
    assert ctx.outbox.dead(member) == []

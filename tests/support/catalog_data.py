"""Helpers for the catalog page's tests: a small sandbox 1C catalog, a base configured for it (the load still off,
as an administrator finds it before the preview), portal products seeded through the documented catalog methods,
and the page opened from the settings page as the sandbox portal's administrator."""

from __future__ import annotations

import requests

from tests.app.conftest import ONEC_LOGIN, ONEC_PASSWORD
from tests.support.processes import get_json, post_json, start_server
from tests.support.settings_data import app_frame, frame_token, open_settings, post_form

ITEMS = 40  # a small catalog: the preview and the load take a second or two
ARTICLE_CODE = "CML2_ARTICLE"  # the article property the 1C-Bitrix site exchange creates (and the app reads)
PAGE = "/settings/catalog"


def start_catalog_onec():
    """A sandbox 1C whose УТ 11 base `ut` holds a catalog of ITEMS items (stop it when done)."""
    return start_server(["b24sandbox.onec", "--port", "0", "--counterparties", "10", "--catalog", str(ITEMS),
                         "--user", ONEC_LOGIN, "--password", ONEC_PASSWORD, "--bases", "ut:ut11"],
                        "SANDBOX_1C_URL")


def add_base(ctx, sandbox_url: str, onec: str) -> tuple[str, int]:  # noqa: ANN001 - Runtime
    """The installed portal's УТ 11 base; the catalog settings left at their defaults (load off)."""
    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    base = ctx.bases.save(member_id, name="ООО «Ромашка» (УТ 11)", url=f"{onec}/ut/", login=ONEC_LOGIN,
                          password=ONEC_PASSWORD, profile="ut11", legal_entity="ООО «Ромашка»",
                          legal_entity_inn="7707083893")
    return member_id, base.id


def odata(onec: str, resource: str) -> list[dict]:
    """Straight from the sandbox's OData (not through the app's reader)."""
    auth = (ONEC_LOGIN.encode("utf-8"), ONEC_PASSWORD.encode("utf-8"))
    answer = requests.get(f"{onec}/ut/odata/standard.odata/{resource}", auth=auth, params={"$format": "json"},
                          timeout=30)
    answer.raise_for_status()
    return answer.json()["value"]


def live_articles(onec: str) -> list[str]:
    """Articles of live 1C items each carried by exactly one item, in code order."""
    items = [r for r in odata(onec, "Catalog_Номенклатура") if not r["IsFolder"] and not r["DeletionMark"]]
    counts: dict[str, int] = {}
    for r in items:
        if r["Артикул"]:
            counts[r["Артикул"].casefold()] = counts.get(r["Артикул"].casefold(), 0) + 1
    return [r["Артикул"] for r in sorted(items, key=lambda r: r["Code"])
            if r["Артикул"] and counts[r["Артикул"].casefold()] == 1]


def product_iblock(bitrix) -> int:  # noqa: ANN001 - BitrixClient
    """The product catalog's iblock (catalog.catalog.list: the one no variations catalog is)."""
    catalogs = bitrix.call("catalog.catalog.list", {}).result["catalogs"]
    offers_of = {c.get("productIblockId") for c in catalogs if c.get("productIblockId")}
    return int(next(c["iblockId"] for c in catalogs if not c.get("productIblockId")
                    and (not offers_of or c["iblockId"] in offers_of)))


def article_property(bitrix, iblock: int) -> int:  # noqa: ANN001 - BitrixClient
    """The product catalog's article property (catalog.productProperty.list / .add), created when missing."""
    found = [p for p in bitrix.call("catalog.productProperty.list", {}).result["productProperties"]
             if p["code"] == ARTICLE_CODE and int(p["iblockId"]) == iblock]
    if found:
        return int(found[0]["id"])
    made = bitrix.call("catalog.productProperty.add", {"fields": {
        "iblockId": iblock, "name": "Артикул", "code": ARTICLE_CODE, "propertyType": "S", "active": "Y"}})
    return int(made.result["productProperty"]["id"])


def seed_duplicates(bitrix, article: str, copies: int = 2) -> list[int]:  # noqa: ANN001 - BitrixClient
    """`copies` portal products carrying one 1C item's article (catalog.product.add with the property)."""
    iblock = product_iblock(bitrix)
    prop = article_property(bitrix, iblock)
    return [int(bitrix.call("catalog.product.add", {"fields": {
        "iblockId": iblock, "name": f"Заведён вручную {n + 1}", f"property{prop}": article}}).result["element"]["id"])
        for n in range(copies)]


def portal_product_count(bitrix) -> int:  # noqa: ANN001 - BitrixClient
    """Products of the product catalog (variations live in their own catalog)."""
    iblock = product_iblock(bitrix)
    return sum(1 for _ in bitrix.iterate_by_id("catalog.product.list", {
        "filter": {"iblockId": iblock}, "select": ["id", "iblockId"]}, id_field="id", page_key="products"))


def open_catalog(app_url: str, sandbox_url: str, client_id: str, *, user_id: int = 1,
                 lang: str = "ru") -> requests.Response:
    """The catalog page as the settings page's link opens it (a POST with the settings page's frame token)."""
    settings_page = open_settings(app_url, app_frame(sandbox_url, client_id, user_id=user_id, lang=lang))
    assert settings_page.status_code == 200, settings_page.text[:500]
    assert 'id="catalog-link"' in settings_page.text
    return post_form(app_url, PAGE, frame_token(settings_page.text))


def reset(url: str) -> str:
    post_json(url + "/_sandbox/reset")
    return url

"""CommerceML catalog files read into the catalog's own values (`core/catalog_model.py`): the classifier's groups,
properties, units, price types and warehouses; the catalog's items; the offers' variants, prices and stock.

One pass over each file, whatever its name: 1C names them import*.xml / offers*.xml (and in 3.1 also prices*,
rests*, properties*), but what a file holds is what its elements say. Records come out one at a time while the
file is read (`safe_xml.read_elements`), for the staging table; nothing here holds a whole file.

Where versions differ (the samples named are in ../shared/samples/commerceml, SOURCES.md):
- 2.03 (Denis-777 export): `СодержитТолькоИзменения` is a child element at the END of Каталог / ПакетПредложений,
  so whether a file is partial is known only once it is read; the barcode is spelt `ШтрихКод`; each Предложение
  holds its Цены and one Количество (no warehouses); БазоваяЕдиница Код="2009" is not an ОКЕИ code.
- 2.04 (1C's official demo "off-doc-1c", UMI.CMS export): `СодержитТолькоИзменения` is an attribute;
  БазоваяЕдиница carries Код (ОКЕИ), НаименованиеПолное and МеждународноеСокращение as attributes.
- 2.05 (ReadyScript УТ 10 etalon): the classifier can be partial too; offers of characteristics are
  "<item>#<characteristic>" with ХарактеристикиТовара (name/value pairs).
- 2.05–2.07 name stock per warehouse as `<Склад ИдСклада="…" КоличествоНаСкладе="…"/>` inside Предложение and
  list the warehouses in ПакетПредложений/Склады; 2.08+ and 3.x use Остатки/Остаток with Склад/Ид + Количество
  (or a bare Количество for the total). No sample of 2.05–2.10 warehouse stock is public in the set; the tests
  build one.
- 3.1 (Bitrix module 6 export): namespace urn:1C.ru:commerceml_3; the classifier holds ТипыЦен, Склады and
  ЕдиницыИзмерения; БазоваяЕдиница is the unit code as text ("796 "); groups, price types, items and offers carry
  ПометкаУдаления; offers, prices and stock come as separate ПакетПредложений files (offers*.xml: names,
  characteristics, barcodes; prices*.xml: Цены only; rests*.xml: Остатки only).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import BinaryIO
from uuid import NAMESPACE_URL, uuid5
from xml.etree.ElementTree import Element

from b24app.commerceml.safe_xml import CommerceMLError, child, children, read_elements, text_of
from b24app.core.catalog_model import Group, Item, PriceType, Unit, Variant, Warehouse
from b24app.core.currencies import CURRENCY_NUMBERS, letters_of

ROOT = "КоммерческаяИнформация"
CLASSIFIER = f"{ROOT}/Классификатор"
CATALOG = f"{ROOT}/Каталог"
OFFERS = f"{ROOT}/ПакетПредложений"

# Stock given as a bare Количество (2.03/2.04: one figure per offer, no warehouse) goes to this one warehouse,
# so the portal gets it like any other warehouse's stock; its key is a fixed GUID so the catalog page can choose it.
TOTAL_WAREHOUSE = Warehouse(key=str(uuid5(NAMESPACE_URL, "urn:b24-1c:commerceml:total-stock")),
                            name="Общий остаток (1С, CommerceML)")

# Common units by their full name, for a code that is not an ОКЕИ one (ОК 015-94, Приложение А: 796 штука,
# 166 килограмм, 163 грамм, 168 тонна, 006 метр, 055 квадратный метр, 113 кубический метр, 112 литр,
# 778 упаковка, 839 комплект, 715 пара, 736 рулон, 812 ящик, 356 час).
OKEI_BY_NAME = {"штука": 796, "шт": 796, "килограмм": 166, "кг": 166, "грамм": 163, "г": 163, "тонна": 168,
                "метр": 6, "м": 6, "квадратный метр": 55, "м2": 55, "кубический метр": 113, "м3": 113,
                "литр": 112, "л": 112, "упаковка": 778, "упак": 778, "комплект": 839, "компл": 839, "пара": 715,
                "рулон": 736, "ящик": 812, "час": 356, "ч": 356}
# Currency as 1C writes it in a price (Валюта is free text in 2.x: "руб", "грн", "USD", or the ОКВ number).
CURRENCY_WORDS = {"руб": "RUB", "руб.": "RUB", "рубль": "RUB", "rur": "RUB", "грн": "UAH", "грн.": "UAH",
                  "тенге": "KZT", "тг": "KZT", "бел. руб": "BYN", "бел.руб": "BYN", "дол": "USD", "$": "USD",
                  "евро": "EUR", "€": "EUR"}
NO_VAT = {"без налога", "без ндс", "без ндс.", "не облагается"}

GROUPS = f"{CLASSIFIER}/Группы"
WANTED = (
    GROUPS, f"{CLASSIFIER}/Свойства/Свойство", f"{CLASSIFIER}/ЕдиницыИзмерения/ЕдиницаИзмерения",
    f"{CLASSIFIER}/ТипыЦен/ТипЦены", f"{CLASSIFIER}/Склады/Склад",
    f"{CATALOG}/Товары/Товар", f"{CATALOG}/СодержитТолькоИзменения",
    f"{OFFERS}/ТипыЦен/ТипЦены", f"{OFFERS}/Склады/Склад", f"{OFFERS}/Предложения/Предложение",
    f"{OFFERS}/СодержитТолькоИзменения",
)
STARTS = (ROOT, CLASSIFIER, CATALOG, OFFERS)


@dataclass(frozen=True)
class Property:
    """A property of the classifier (Свойство): kept for the record; the portal load does not use them yet."""

    key: str
    name: str
    deleted: bool = False


@dataclass(frozen=True)
class Offer:
    """What one Предложение says. `prices` / `stock` are None when the element carried none (a 3.1 offers file
    without Цены, a prices file without stock): absent is not zero."""

    item: str
    variant: Variant | None  # None: the offer is the item itself (an Ид without "#")
    name: str = ""
    article: str = ""
    unit: Unit | None = None
    deleted: bool = False
    prices: dict[str, tuple[Decimal, str]] | None = None  # price type key -> (price per base unit, ISO currency)
    stock: dict[str, Decimal] | None = None  # warehouse key -> quantity


@dataclass
class FileSummary:
    """What one file held: counts, and whether its catalog and its offers are whole (not only changes)."""

    name: str
    version: str = ""
    groups: int = 0
    properties: int = 0
    units: int = 0
    price_types: int = 0
    warehouses: int = 0
    items: int = 0
    offers: int = 0
    prices: int = 0
    stock_lines: int = 0
    catalog_complete: bool | None = None  # None: the file has no Каталог with goods
    offers_complete: bool | None = None  # None: the file has no ПакетПредложений with offers
    classifier_complete: bool | None = None
    _catalog_flag: bool | None = field(default=None, repr=False)
    _offers_flag: bool | None = field(default=None, repr=False)


Record = Group | Property | Unit | PriceType | Warehouse | Item | Offer


def read_catalog_file(source: str | os.PathLike | BinaryIO, *, name: str | None = None,
                      summary: FileSummary | None = None) -> Iterator[Record]:
    """The records of one CommerceML catalog file, in file order; `summary` (if given) is filled as it goes and
    is complete when the iterator is exhausted. CommerceMLError for a file that is not CommerceML."""
    label = name or (os.path.basename(os.fspath(source)) if isinstance(source, str | os.PathLike) else "file")
    summary = summary if summary is not None else FileSummary(label)
    units: dict[str, Unit] = {}
    told: set[str] = set()  # units and the total-stock warehouse already handed out by this file
    for found in read_elements(source, WANTED, starts=STARTS, name=label):
        el, path = found.element, found.path
        if found.event == "start":
            _opening(summary, path, el, label)
            continue
        if path == GROUPS:
            for group in _groups(el, None):
                summary.groups += 1
                yield group
        elif path.endswith("/Свойство"):
            summary.properties += 1
            yield Property(text_of(el, "Ид"), text_of(el, "Наименование"), _deleted(el))
        elif path.endswith("/ЕдиницаИзмерения"):
            unit = _classifier_unit(el)
            units[unit.key] = unit
            told.add(unit.key)
            summary.units += 1
            yield unit
        elif path.endswith("/ТипЦены"):
            summary.price_types += 1
            yield _price_type(el)
        elif path.endswith("/Склад"):
            summary.warehouses += 1
            yield Warehouse(key=text_of(el, "Ид"), name=text_of(el, "Наименование") or text_of(el, "Ид"),
                            deleted=_deleted(el))
        elif path.endswith("/Товар"):
            item = _item(el, units, label)
            summary.items += 1
            yield from _new_unit(item.unit, told)
            yield item
        elif path.endswith("/Предложение"):
            offer = _offer(el, units, label)
            summary.offers += 1
            summary.prices += len(offer.prices or {})
            summary.stock_lines += len(offer.stock or {})
            yield from _new_unit(offer.unit, told)
            if offer.stock and TOTAL_WAREHOUSE.key in offer.stock and TOTAL_WAREHOUSE.key not in told:
                told.add(TOTAL_WAREHOUSE.key)
                yield TOTAL_WAREHOUSE
            yield offer
        elif path.endswith("/СодержитТолькоИзменения"):
            flag = _bool(el.text)
            if path.startswith(CATALOG):
                summary._catalog_flag = flag
            else:
                summary._offers_flag = flag
    if summary.version == "":
        raise CommerceMLError(f"{label}: not a CommerceML file (no КоммерческаяИнформация root)")
    if summary.items:
        summary.catalog_complete = not summary._catalog_flag
    if summary.offers:
        summary.offers_complete = not summary._offers_flag


def _new_unit(unit: Unit | None, told: set[str]) -> Iterator[Unit]:
    """An item's unit, the first time the file names it: the 2.x classifier lists no units, and the portal needs
    each one as a measure before a product can name it. (A 3.1 unit named by its code alone is staged nameless;
    the classifier's unit of that code keeps its names: `CommerceMLCatalog.settle_references`.)"""
    if unit is not None and unit.key not in told:
        told.add(unit.key)
        yield unit


def _opening(summary: FileSummary, path: str, el: Element, label: str) -> None:
    partial = el.get("СодержитТолькоИзменения")
    if path == ROOT:
        summary.version = el.get("ВерсияСхемы") or "?"
    elif path == CLASSIFIER:
        summary.classifier_complete = not _bool(partial)
    elif path == CATALOG and partial is not None:
        summary._catalog_flag = _bool(partial)
    elif path == OFFERS and partial is not None:
        summary._offers_flag = _bool(partial)


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in {"true", "1", "истина", "да"}


def _deleted(el: Element) -> bool:
    """ПометкаУдаления (3.x) or Статус "Удален" (2.05+: an attribute of Товар, or an element)."""
    return _bool(text_of(el, "ПометкаУдаления")) or "удален" in (el.get("Статус") or text_of(el, "Статус")).lower()


def _groups(el: Element, parent: str | None) -> Iterator[Group]:
    """Nested Группы/Группа, parents first (the loader creates a section's parent before the section)."""
    for node in children(el, "Группа"):
        key = text_of(node, "Ид")
        if not key:
            continue
        yield Group(key=key, name=text_of(node, "Наименование"), parent=parent, deleted=_deleted(node))
        nested = child(node, "Группы")
        if nested is not None:
            yield from _groups(nested, key)


def _okei(code: str, full_name: str, short: str) -> int | None:
    code = code.strip()
    if code.isdigit() and len(code) <= 3:
        return int(code)
    # A four-digit code is another country's classifier (the Ukrainian export's Штука is "2009"): by the name.
    for word in (full_name, short):
        okei = OKEI_BY_NAME.get(word.strip().lower().rstrip("."))
        if okei:
            return okei
    return None


def _unit(code: str, full_name: str, short: str) -> Unit:
    okei = _okei(code, full_name, short)
    key = str(okei) if okei is not None else (code.strip() or full_name.strip() or short.strip())
    return Unit(key=key, okei=okei, name=full_name.strip() or short.strip(), symbol=short.strip())


def _classifier_unit(el: Element) -> Unit:
    return _unit(text_of(el, "Код"), text_of(el, "НаименованиеПолное"), text_of(el, "НаименованиеКраткое"))


def _base_unit(el: Element | None, units: dict[str, Unit]) -> Unit | None:
    """БазоваяЕдиница: 2.x attributes (Код, НаименованиеПолное) with the short name as text; 3.1 the code alone
    as text, named by the classifier's ЕдиницыИзмерения when this file has them."""
    if el is None:
        return None
    text = (el.text or "").strip()
    code = el.get("Код")
    if code is None:
        code, text = (text, "") if text.isdigit() else ("", text)
    unit = _unit(code, el.get("НаименованиеПолное") or "", text)
    known = units.get(unit.key)
    if known is not None and not unit.name:
        return known
    return unit if unit.key else None


def _vat(el: Element) -> Decimal | None | str:
    """СтавкиНалогов/СтавкаНалога named НДС: "20", "18", "10", "0" or "Без налога"; "" when 1C says nothing."""
    for rate in children(el, "СтавкиНалогов", "СтавкаНалога"):
        if text_of(rate, "Наименование").upper() != "НДС":
            continue
        value = text_of(rate, "Ставка").strip().rstrip("%").replace(",", ".")
        if value.lower() in NO_VAT:
            return None
        try:
            return Decimal(value)
        except InvalidOperation:
            return ""
    return ""


def _requisites(el: Element) -> dict[str, str]:
    return {text_of(r, "Наименование"): text_of(r, "Значение")
            for r in children(el, "ЗначенияРеквизитов", "ЗначениеРеквизита")}


def _barcodes(el: Element) -> tuple[str, ...]:
    codes = [(c.text or "").strip() for c in el if c.tag in ("Штрихкод", "ШтрихКод")]
    return tuple(sorted({c for c in codes if c}))


def _key(el: Element, label: str, what: str) -> str:
    key = text_of(el, "Ид")
    if not key:
        raise CommerceMLError(f"{label}: {what} without Ид")
    if len(key) > 80:
        raise CommerceMLError(f"{label}: {what} Ид longer than 80 characters: {key[:40]}…")
    return key


def _item(el: Element, units: dict[str, Unit], label: str) -> Item:
    requisites = _requisites(el)
    kind = (requisites.get("ТипНоменклатуры") or requisites.get("ВидНоменклатуры") or "").lower()
    groups = children(el, "Группы", "Ид")
    return Item(key=_key(el, label, "Товар"), name=text_of(el, "Наименование"),
                code=requisites.get("Код", ""), article=text_of(el, "Артикул"),
                group=(groups[0].text or "").strip() or None if groups else None,
                unit=_base_unit(child(el, "БазоваяЕдиница"), units), vat=_vat(el),
                service=kind == "услуга", deleted=_deleted(el), barcodes=_barcodes(el))


def _offer(el: Element, units: dict[str, Unit], label: str) -> Offer:
    key = _key(el, label, "Предложение")
    item, _, variant_key = key.partition("#")
    name = text_of(el, "Наименование")
    variant = None
    if variant_key:
        traits = ", ".join(v for v in (text_of(t, "Значение") for t in children(
            el, "ХарактеристикиТовара", "ХарактеристикаТовара")) if v)
        variant = Variant(key=variant_key, name=traits or name, article=text_of(el, "Артикул"),
                          deleted=_deleted(el), barcodes=_barcodes(el))
    return Offer(item=item, variant=variant, name=name, article=text_of(el, "Артикул"),
                 unit=_base_unit(child(el, "БазоваяЕдиница"), units), deleted=_deleted(el),
                 prices=_prices(el, label), stock=_stock(el, label))


def _prices(el: Element, label: str) -> dict[str, tuple[Decimal, str]] | None:
    """Цены/Цена. ЦенаЗаЕдиницу is the price of the Цена's own unit; Коэффициент is how many base units that unit
    holds, so the base unit's price is the one divided by the other (CommerceML 2.x schema, element Цена)."""
    holder = child(el, "Цены")
    if holder is None:
        return None
    out: dict[str, tuple[Decimal, str]] = {}
    for price in children(holder, "Цена"):
        kind = text_of(price, "ИдТипаЦены")
        amount = _decimal(text_of(price, "ЦенаЗаЕдиницу"), label, "ЦенаЗаЕдиницу")
        ratio = _decimal(text_of(price, "Коэффициент") or "1", label, "Коэффициент")
        if kind and amount is not None:
            if ratio and ratio != 1:
                amount = (amount / ratio).quantize(Decimal("0.01"))
            out[kind] = (amount, currency_of(text_of(price, "Валюта")))
    return out


def _stock(el: Element, label: str) -> dict[str, Decimal] | None:
    """Stock per warehouse: 2.05–2.07 `Склад ИдСклада КоличествоНаСкладе` attributes, 2.08+/3.x
    Остатки/Остаток/Склад (Ид, Количество) or Остатки/Остаток/Количество; a bare Количество is the total."""
    out: dict[str, Decimal] = {}
    for place in children(el, "Склад"):
        key, quantity = place.get("ИдСклада"), _decimal(place.get("КоличествоНаСкладе") or "", label, "Склад")
        if key and quantity is not None:
            out[key] = out.get(key, Decimal(0)) + quantity
    total: Decimal | None = None
    for rest in children(el, "Остатки", "Остаток"):
        place = child(rest, "Склад")
        if place is not None:
            quantity = _decimal(text_of(place, "Количество"), label, "Количество")
            key = text_of(place, "Ид")
            if key and quantity is not None:
                out[key] = out.get(key, Decimal(0)) + quantity
        else:
            quantity = _decimal(text_of(rest, "Количество"), label, "Количество")
            total = quantity if total is None or quantity is None else total + quantity
    if total is None:
        total = _decimal(text_of(el, "Количество"), label, "Количество")
    if out:
        return out
    if total is not None:
        return {TOTAL_WAREHOUSE.key: total}
    if child(el, "Остатки") is not None:
        return {}
    return None


def _decimal(text: str, label: str, what: str) -> Decimal | None:
    text = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CommerceMLError(f"{label}: {what} is not a number: {text[:40]!r}") from None
    if not value.is_finite():
        raise CommerceMLError(f"{label}: {what} is not a number: {text[:40]!r}")
    return value


def _price_type(el: Element) -> PriceType:
    taxes = children(el, "Налог")
    includes_vat = all(_bool(text_of(t, "УчтеноВСумме")) for t in taxes) if taxes else True
    return PriceType(key=text_of(el, "Ид"), name=text_of(el, "Наименование"),
                     currency=currency_of(text_of(el, "Валюта")), includes_vat=includes_vat, deleted=_deleted(el))


def currency_of(text: str) -> str:
    """ISO 4217 letters of a CommerceML Валюта ("руб", "грн", "USD", "643"); RUB when it says nothing."""
    value = text.strip()
    if not value:
        return "RUB"
    if value.upper() in CURRENCY_NUMBERS:
        return value.upper()
    return letters_of(value) or CURRENCY_WORDS.get(value.lower(), "RUB")

"""CommerceML 2.x order documents: the <Документ> the app offers 1C in `type=sale&mode=query`, and the order
documents 1C sends back in `type=sale&mode=file`.

Offered (`render_document`, `order_package`): one «Заказ товара» per deal, in the shape of 1C's own published
example of a site's orders (v8.1c.ru/edi/edi_stnd/131/, kept as ../shared/samples/commerceml/
commerceml_orders__irpsv_commerceml__off-doc-1c.xml: Ид, Номер, Дата, Время, ХозОперация, Роль «Продавец», Валюта,
Курс, Сумма, Контрагенты with Роль «Покупатель», Товары with БазоваяЕдиница Код = OKEI, ЦенаЗаЕдиницу, Количество,
Сумма, ЗначенияРеквизитов) plus what 1C's own export of orders writes (the 3.1 samples of a Bitrix module's
exchange, commerceml31_documents_orders_*.xml): НомерВерсии and ПометкаУдаления after Ид, ИНН and КПП of the
buyer, СтавкиНалогов and Налоги of each item. The package declares ВерсияСхемы 2.08 — the version 1C's site
exchange node offers by default for its 2.x format — without a namespace, as 1C's example is written; every
element used here exists in 2.03 already except НомерВерсии/ПометкаУдаления, which 1C itself writes on orders.

Read back (`read_documents`): streamed, one <Документ> at a time, whichever schema version or namespace (2.x
has none or urn:1C.ru:commerceml_2, 3.1 urn:1C.ru:commerceml_3 and <Контейнер> around each document), with a
BOM or a declared windows-1251 (`safe_xml.py`); a DTD, entity or external reference refuses the whole file
before anything is applied. What 1C says of an order is in the document's ЗначенияРеквизитов, named as 1C's exchange
names them (the samples): «Номер по 1С» / Номер1С, «Дата по 1С», «Проведен», «Отменен», «ПометкаУдаления»,
«Отгружен», «Статус заказа», «Номер оплаты по 1С», «Дата оплаты по 1С», «Номер отгрузки по 1С», «Дата отгрузки
по 1С», «Заказ оплачен».
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from b24app.commerceml.safe_xml import children, read_elements, text_of

SCHEMA_VERSION = "2.08"
ORDER_OPERATION = "Заказ товара"
SELLER, BUYER = "Продавец", "Покупатель"
VAT = "НДС"
NO_VAT = "Без налога"  # 1C's own word for a line without VAT (the 3.1 samples' СтавкиНалогов)
DEAL_NUMBER = "Номер сделки в CRM"
CANCELLED = "Отменен"


@dataclass(frozen=True)
class Party:
    """The buyer as 1C's exchange reads a Контрагент: it finds its counterparty by ИНН (+КПП), then by name."""

    key: str
    name: str
    full_name: str
    inn: str = ""
    kpp: str = ""
    last_name: str = ""  # a private buyer's name parts (Фамилия / Имя / Отчество of 1C's example)
    first_name: str = ""
    middle_name: str = ""


@dataclass(frozen=True)
class OrderLine:
    """One item of the order: `key` is the Ид 1C knows the item (or "item#characteristic") by."""

    key: str
    name: str
    okei: str
    unit: str
    price: Decimal  # one unit before the discount, in the document's VAT mode
    quantity: Decimal
    amount: Decimal  # the line after the discount, in the document's VAT mode
    vat_rate: Decimal | None
    vat: Decimal
    discount: Decimal = Decimal(0)


@dataclass(frozen=True)
class OrderDocument:
    """One order as offered; `version` is the НомерВерсии, raised when a document 1C received changes."""

    number: str
    version: int
    created: dt.datetime  # local time of the seller (Moscow), written as Дата and Время
    currency: str
    amount: Decimal  # what the buyer pays
    includes_vat: bool
    buyer: Party
    lines: tuple[OrderLine, ...]
    comment: str = ""
    cancelled: bool = False
    values: tuple[tuple[str, str], ...] = ()  # further ЗначенияРеквизитов («Номер сделки в CRM», …)


def money(value: Decimal) -> str:
    """An amount as XML carries it: a dot and kopecks ("1234.50"), never a person's format."""
    return f"{value:.2f}"


def amount_text(value: Decimal) -> str:
    """A quantity without trailing zeros ("2", "2.5")."""
    text = format(value.normalize(), "f")
    return text if text not in ("", "-0") else "0"


def rate_text(rate: Decimal | None) -> str:
    return NO_VAT if rate is None else amount_text(rate)


def _sub(parent: ET.Element, tag: str, text: str | None = None, attrs: dict[str, str] | None = None) -> ET.Element:
    node = ET.SubElement(parent, tag, attrs or {})
    if text is not None:
        node.text = text
    return node


def _taxes(parent: ET.Element, rate: Decimal | None, vat: Decimal, included: bool) -> None:
    taxes = _sub(parent, "Налоги")
    tax = _sub(taxes, "Налог")
    _sub(tax, "Наименование", VAT)
    _sub(tax, "УчтеноВСумме", "true" if included else "false")
    _sub(tax, "Сумма", money(vat))
    if rate is not None or parent.tag == "Товар":
        _sub(tax, "Ставка", rate_text(rate))


def _values(parent: ET.Element, values: Iterable[tuple[str, str]]) -> None:
    block = _sub(parent, "ЗначенияРеквизитов")
    for name, value in values:
        item = _sub(block, "ЗначениеРеквизита")
        _sub(item, "Наименование", name)
        _sub(item, "Значение", value)


def _party(parent: ET.Element, party: Party) -> None:
    node = _sub(_sub(parent, "Контрагенты"), "Контрагент")
    _sub(node, "Ид", party.key)
    _sub(node, "Наименование", party.name)
    _sub(node, "ПолноеНаименование", party.full_name or party.name)
    for tag, value in (("Фамилия", party.last_name), ("Имя", party.first_name), ("Отчество", party.middle_name)):
        if value:
            _sub(node, tag, value)
    _sub(node, "Роль", BUYER)
    if party.inn:
        _sub(node, "ИНН", party.inn)
    if party.kpp:
        _sub(node, "КПП", party.kpp)


def _line(parent: ET.Element, line: OrderLine, includes_vat: bool) -> None:
    node = _sub(parent, "Товар")
    _sub(node, "Ид", line.key)
    _sub(node, "Наименование", line.name)
    _sub(node, "БазоваяЕдиница", line.unit, {"Код": line.okei})
    rate = _sub(_sub(node, "СтавкиНалогов"), "СтавкаНалога")
    _sub(rate, "Наименование", VAT)
    _sub(rate, "Ставка", rate_text(line.vat_rate))
    _sub(node, "ЦенаЗаЕдиницу", money(line.price))
    _sub(node, "Количество", amount_text(line.quantity))
    _sub(node, "Сумма", money(line.amount))
    if line.discount:
        discount = _sub(_sub(node, "Скидки"), "Скидка")
        _sub(discount, "Наименование", "Скидка")
        _sub(discount, "Сумма", money(line.discount))
        _sub(discount, "УчтеноВСумме", "true")
    _taxes(node, line.vat_rate, line.vat, includes_vat)


def render_document(doc: OrderDocument) -> str:
    """The <Документ> element of one order (text, no declaration): what the query answer concatenates."""
    root = ET.Element("Документ")
    _sub(root, "Ид", doc.number)
    _sub(root, "НомерВерсии", str(doc.version))
    _sub(root, "ПометкаУдаления", "false")
    _sub(root, "Номер", doc.number)
    _sub(root, "Дата", doc.created.date().isoformat())
    _sub(root, "ХозОперация", ORDER_OPERATION)
    _sub(root, "Роль", SELLER)
    _sub(root, "Валюта", doc.currency)
    _sub(root, "Курс", "1")
    _sub(root, "Сумма", money(doc.amount))
    _party(root, doc.buyer)
    _sub(root, "Время", doc.created.strftime("%H:%M:%S"))
    if doc.comment:
        _sub(root, "Комментарий", doc.comment)
    _taxes(root, None, sum((line.vat for line in doc.lines), Decimal(0)), doc.includes_vat)
    goods = _sub(root, "Товары")
    for line in doc.lines:
        _line(goods, line, doc.includes_vat)
    _values(root, [*doc.values, (CANCELLED, "true" if doc.cancelled else "false")])
    return ET.tostring(root, encoding="unicode")


def order_package(documents: Iterable[str], formed: dt.datetime) -> bytes:
    """The КоммерческаяИнформация 1C takes from `mode=query`: the documents as rendered, UTF-8."""
    head = (f'<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация ВерсияСхемы="{SCHEMA_VERSION}" '
            f'ДатаФормирования="{formed.strftime("%Y-%m-%dT%H:%M:%S")}">\n')
    body = "".join(f"{doc}\n" for doc in documents)
    return (head + body + "</КоммерческаяИнформация>\n").encode("utf-8")


# -- what 1C sends back ------------------------------------------------------------------------------------------

TRUE_WORDS = {"true", "истина", "да", "1", "yes"}


@dataclass(frozen=True)
class ReturnedOrder:
    """One order document from 1C: its site Ид and Номер (ours), 1C's own number, version and the values 1C put
    in ЗначенияРеквизитов (name → value as written)."""

    key: str
    number: str
    version: str = ""
    onec_number: str = ""
    deleted: bool = False
    amount: Decimal | None = None
    values: dict[str, str] = field(default_factory=dict)

    def flag(self, name: str) -> bool:
        return self.values.get(name, "").strip().lower() in TRUE_WORDS

    @property
    def cancelled(self) -> bool:
        """Cancelled or marked for deletion in 1C."""
        return self.deleted or self.flag(CANCELLED) or self.flag("ПометкаУдаления")

    @property
    def shipped(self) -> bool:
        """«Отгружен», or a shipment 1C names by its number or date (1C writes those once the sale is posted)."""
        return self.flag("Отгружен") or bool(self.shipment_number or self.values.get("Дата отгрузки по 1С"))

    @property
    def paid(self) -> bool:
        return self.flag("Заказ оплачен") or self.flag("Оплачен") or self.payment_date is not None

    @property
    def status(self) -> str:
        return self.values.get("Статус заказа", "").strip()

    @property
    def shipment_number(self) -> str:
        return self.values.get("Номер отгрузки по 1С", "").strip()

    @property
    def payment_number(self) -> str:
        return self.values.get("Номер оплаты по 1С", "").strip()

    @property
    def payment_date(self) -> dt.date | None:
        return parse_date(self.values.get("Дата оплаты по 1С") or self.values.get("Дата оплаты") or "")

    @property
    def shipment_date(self) -> dt.date | None:
        return parse_date(self.values.get("Дата отгрузки по 1С") or "")


def parse_date(text: str) -> dt.date | None:
    """"2017-08-16T21:30:00", "2017-08-16 21:30:00", "2017-08-16" or 1C's "16.08.2017 21:30:00"; None otherwise."""
    text = text.strip()
    if not text:
        return None
    head = text.replace("T", " ").split(" ")[0]
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(head, fmt).date()
        except ValueError:
            continue
    return None


def _child_text(node: ET.Element, name: str) -> str:
    return text_of(node, name)


def _document_values(node: ET.Element) -> dict[str, str]:
    """The document's own ЗначенияРеквизитов (not its items'): the first value of each name."""
    out: dict[str, str] = {}
    for item in children(node, "ЗначенияРеквизитов", "ЗначениеРеквизита"):
        name = text_of(item, "Наименование")
        if name and name not in out:
            out[name] = text_of(item, "Значение")
    return out


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ".")) if text else None
    except InvalidOperation:
        return None


def _returned(node: ET.Element) -> ReturnedOrder:
    values = _document_values(node)
    onec_number = _child_text(node, "Номер1С") or values.get("Номер по 1С", "")
    return ReturnedOrder(key=_child_text(node, "Ид"), number=_child_text(node, "Номер"),
                         version=_child_text(node, "НомерВерсии"), onec_number=onec_number.strip(),
                         deleted=_child_text(node, "ПометкаУдаления").lower() in TRUE_WORDS,
                         amount=_decimal(_child_text(node, "Сумма")), values=values)


# 2.x puts documents under the root; 3.1 wraps each in a <Контейнер> (the 3.1 samples).
DOCUMENT_PATHS = ("КоммерческаяИнформация/Документ", "КоммерческаяИнформация/Контейнер/Документ")


def read_documents(path: str) -> Iterator[ReturnedOrder]:
    """Every <Документ> of the file, one at a time, through the one streaming reader of CommerceML files
    (`safe_xml.read_elements`: each element dropped once read, memory flat for a file of any size). Raises
    `safe_xml.CommerceMLError` for malformed or unsafe XML — a DOCTYPE, entity or external reference is refused
    at its declaration, before the first document."""
    for found in read_elements(path, DOCUMENT_PATHS):
        yield _returned(found.element)

"""CommerceML exchange files written the way 1C's exchange with a website writes them (schema 2.08: classifier with
groups, a catalog of goods with ОКЕИ units, VAT and barcodes; an offers package with price types, warehouses, and
per offer its prices and Остатки per warehouse), of any size: streamed to disk line by line, so a 100,000-offer
exchange costs no memory to make. Used by the tests and by bench/commerceml_import.py.

Everything follows from the item's number, so a test can say what the portal must hold without reading the file
back: item n is "Товар n", article "A-n", in group n % 2, priced `price(n)`, with `n % 7` and `n % 3` in the two
warehouses; every `variants_every`-th item comes in two characteristics (sizes S and M) instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from uuid import NAMESPACE_URL, uuid5

CLASSIFIER = str(uuid5(NAMESPACE_URL, "test:classifier"))
GROUPS = [(str(uuid5(NAMESPACE_URL, "test:group:root")), "Мебель", None)] + [
    (str(uuid5(NAMESPACE_URL, f"test:group:{n}")), name, str(uuid5(NAMESPACE_URL, "test:group:root")))
    for n, name in enumerate(["Стулья", "Столы"])]
PRICE_TYPES = [(str(uuid5(NAMESPACE_URL, "test:price:retail")), "Розничная"),
               (str(uuid5(NAMESPACE_URL, "test:price:wholesale")), "Оптовая")]
WAREHOUSES = [(str(uuid5(NAMESPACE_URL, "test:warehouse:main")), "Основной склад"),
              (str(uuid5(NAMESPACE_URL, "test:warehouse:shop")), "Магазин на Ленина")]
SIZES = ("S", "M")


def item_key(n: int) -> str:
    return str(uuid5(NAMESPACE_URL, f"test:item:{n}"))


def variant_key(n: int, size: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"test:item:{n}:size:{size}"))


def default_price(n: int) -> Decimal:
    return Decimal(100 + n % 1000) + Decimal("0.50")


def wholesale(price: Decimal) -> Decimal:
    return (price * Decimal("0.9")).quantize(Decimal("0.01"))


def stock(n: int) -> tuple[int, int]:
    return n % 7, n % 3


def has_variants(n: int, variants_every: int) -> bool:
    return bool(variants_every) and n % variants_every == 0


def _flag(partial: bool) -> str:
    return "true" if partial else "false"


def write_import(path: Path, numbers: Iterable[int], *, partial: bool = False, deleted: Iterable[int] = (),
                 names: dict[int, str] | None = None, encoding: str = "utf-8") -> Path:
    deleted, names = set(deleted), names or {}
    with open(path, "w", encoding=encoding, newline="\r\n") as out:
        out.write(f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n')
        out.write('<КоммерческаяИнформация ВерсияСхемы="2.08" ДатаФормирования="2026-12-06T12:00:00">\n')
        out.write(f"<Классификатор><Ид>{CLASSIFIER}</Ид><Наименование>Классификатор (Каталог товаров)"
                  "</Наименование><Группы>")
        root, *children = GROUPS
        out.write(f"<Группа><Ид>{root[0]}</Ид><Наименование>{root[1]}</Наименование><Группы>")
        for key, name, _ in children:
            out.write(f"<Группа><Ид>{key}</Ид><Наименование>{name}</Наименование></Группа>")
        out.write("</Группы></Группа></Группы></Классификатор>\n")
        out.write(f'<Каталог СодержитТолькоИзменения="{_flag(partial)}"><Ид>{CLASSIFIER}</Ид>'
                  f"<ИдКлассификатора>{CLASSIFIER}</ИдКлассификатора><Наименование>Каталог товаров</Наименование>"
                  "<Товары>\n")
        for n in numbers:
            status = ' Статус="Удален"' if n in deleted else ""
            out.write(
                f"<Товар{status}><Ид>{item_key(n)}</Ид><Штрихкод>46{n:011d}</Штрихкод><Артикул>A-{n:06d}</Артикул>"
                f"<Наименование>{names.get(n, f'Товар {n}')}</Наименование>"
                '<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт'
                f"</БазоваяЕдиница><Группы><Ид>{children[n % 2][0]}</Ид></Группы>"
                "<СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>22</Ставка></СтавкаНалога>"
                "</СтавкиНалогов><ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>ВидНоменклатуры"
                "</Наименование><Значение>Товар</Значение></ЗначениеРеквизита><ЗначениеРеквизита><Наименование>"
                "ТипНоменклатуры</Наименование><Значение>Товар</Значение></ЗначениеРеквизита></ЗначенияРеквизитов>"
                "</Товар>\n")
        out.write("</Товары></Каталог></КоммерческаяИнформация>\n")
    return path


def write_offers(path: Path, numbers: Iterable[int], *, partial: bool = False, variants_every: int = 0,
                 price: Callable[[int], Decimal] = default_price, encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="\r\n") as out:
        out.write(f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n')
        out.write('<КоммерческаяИнформация ВерсияСхемы="2.08" ДатаФормирования="2026-12-06T12:00:00">\n')
        out.write(f'<ПакетПредложений СодержитТолькоИзменения="{_flag(partial)}"><Ид>{CLASSIFIER}#</Ид>'
                  f"<Наименование>Пакет предложений</Наименование><ИдКаталога>{CLASSIFIER}</ИдКаталога>"
                  f"<ИдКлассификатора>{CLASSIFIER}</ИдКлассификатора><ТипыЦен>")
        for key, name in PRICE_TYPES:
            out.write(f"<ТипЦены><Ид>{key}</Ид><Наименование>{name}</Наименование><Валюта>RUB</Валюта>"
                      "<Налог><Наименование>НДС</Наименование><УчтеноВСумме>true</УчтеноВСумме></Налог></ТипЦены>")
        out.write("</ТипыЦен><Склады>")
        for key, name in WAREHOUSES:
            out.write(f"<Склад><Ид>{key}</Ид><Наименование>{name}</Наименование></Склад>")
        out.write("</Склады><Предложения>\n")
        for n in numbers:
            if has_variants(n, variants_every):
                for size in SIZES:
                    out.write(_offer(f"{item_key(n)}#{variant_key(n, size)}", f"Товар {n} ({size})", price(n),
                                     stock(n), size))
            else:
                out.write(_offer(item_key(n), f"Товар {n}", price(n), stock(n), None))
        out.write("</Предложения></ПакетПредложений></КоммерческаяИнформация>\n")
    return path


def _offer(key: str, name: str, price: Decimal, quantities: tuple[int, int], size: str | None) -> str:
    traits = (f"<ХарактеристикиТовара><ХарактеристикаТовара><Наименование>Размер</Наименование>"
              f"<Значение>{size}</Значение></ХарактеристикаТовара></ХарактеристикиТовара>") if size else ""
    prices = "".join(
        f"<Цена><Представление>{p} руб. за шт</Представление><ИдТипаЦены>{key_}</ИдТипаЦены>"
        f"<ЦенаЗаЕдиницу>{p}</ЦенаЗаЕдиницу><Валюта>RUB</Валюта><Единица>шт</Единица><Коэффициент>1</Коэффициент>"
        "</Цена>" for (key_, _), p in zip(PRICE_TYPES, (price, wholesale(price)), strict=True))
    rests = "".join(f"<Остаток><Склад><Ид>{w}</Ид><Количество>{q}</Количество></Склад></Остаток>"
                    for (w, _), q in zip(WAREHOUSES, quantities, strict=True))
    return (f"<Предложение><Ид>{key}</Ид><Наименование>{name}</Наименование>"
            '<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</БазоваяЕдиница>'
            f"{traits}<Цены>{prices}</Цены><Количество>{sum(quantities)}</Количество><Остатки>{rests}</Остатки>"
            "</Предложение>\n")


def write_exchange(folder: Path, numbers: Iterable[int], *, partial: bool = False, variants_every: int = 0,
                   price: Callable[[int], Decimal] = default_price, deleted: Iterable[int] = (),
                   names: dict[int, str] | None = None, offers_numbers: Iterable[int] | None = None,
                   encoding: str = "utf-8") -> list[str]:
    """import.xml and offers.xml of one exchange in `folder`; their paths. `offers_numbers`: the items whose
    offers the package holds (default: the same as the catalog's)."""
    folder.mkdir(parents=True, exist_ok=True)
    numbers = list(numbers)
    return [str(write_import(folder / "import.xml", numbers, partial=partial, deleted=deleted, names=names,
                             encoding=encoding)),
            str(write_offers(folder / "offers.xml", numbers if offers_numbers is None else offers_numbers,
                             partial=partial, variants_every=variants_every, price=price, encoding=encoding))]

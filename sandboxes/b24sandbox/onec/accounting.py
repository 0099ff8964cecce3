"""Accounting registers (БП 3.0 `AccountingRegister_Хозрасчетный`): postings, and their virtual tables.

Shapes, from the platform docs (hacker-cb/1c-odata, docs/1c/markdown/, 17.4.4 and 17.4.13.1.1) and from a
real БП 3.0 `$metadata` published in public code:
- a record (`<Register>_RecordType`, and the rows of a recorder's `RecordSet`) is one posting: `AccountDr_Key`,
  `AccountCr_Key`, the balanced dimensions once (`Организация_Key`), the others per side (`ВалютаDr_Key`,
  `ВалютаCr_Key`), balanced resources once (`Сумма`), the others per side (`КоличествоDr`, `КоличествоCr`).
  Subconto values are not properties of a record;
- virtual tables are functions named as the query language's English names (17.4.9): `Balance(Period,
  AccountCondition, ExtraDimensions, Condition)`, `Turnovers(StartPeriod, EndPeriod, AccountCondition,
  ExtraDimensions, Condition)`, `BalanceAndTurnovers(…)` and `RecordsWithExtDimensions(StartPeriod, EndPeriod,
  Condition)`. Their rows carry `Account_Key`, the subconto as composite `ExtDimension1..3` (+ `_Type`), the
  dimensions, and resources with suffixes `Balance`/`BalanceDr`/`BalanceCr`, `Turnover`/`TurnoverDr`/
  `TurnoverCr`, `OpeningBalance…`/`ClosingBalance…`. The docs' example filters a counterparty with
  `Condition='ExtDimension1 eq cast(guid'…', 'Catalog_Контрагенты')'`.

Which account a subconto slot holds is the order of the account's `ExtDimensionTypes` rows in the chart of
accounts; `ExtraDimensions` (kinds of subconto, ChartOfCharacteristicTypes references) picks and orders them.

The sandbox's БП 3.0 postings, a simplified model chosen so balances stay consistent with documents:
a sale is Дт 62.01 (counterparty, contract, settlement document) Кт 90.01.1 for its amount, and per goods
line Дт 90.02.1 Кт 41.01 (item, warehouse) with the quantity on the credit side; a bank receipt is
Дт 51 Кт 62.01, a cash receipt Дт 50.01 Кт 62.01, per allocation line. So the debit balance of 62.01 on a
counterparty is its debt (a credit balance an advance), and the debit quantity balance of 41.01 the stock.
"""

from __future__ import annotations

from b24sandbox.onec import values as published
from b24sandbox.onec.schema import EMPTY_REF, UNDEFINED_TYPE, Attr, ObjectDef, composite, num, ref
from b24sandbox.onec.store import Base

RECORDS_WITH_EXT = "RecordsWithExtDimensions"
MAX_EXT_DIMENSIONS = 3
REGISTER = "AccountingRegister_Хозрасчетный"
SUBCONTO_KINDS = "ChartOfCharacteristicTypes_ВидыСубконтоХозрасчетные"

_ACCOUNT = [("AccountCondition", "Edm.String"), ("ExtraDimensions", "Edm.String")]
_SPAN = [("StartPeriod", "Edm.DateTime"), ("EndPeriod", "Edm.DateTime")]
FUNCTIONS: dict[str, list[tuple[str, str]]] = {
    "Balance": [("Period", "Edm.DateTime"), *_ACCOUNT, ("Condition", "Edm.String")],
    "Turnovers": [*_SPAN, *_ACCOUNT, ("Condition", "Edm.String")],
    "BalanceAndTurnovers": [*_SPAN, *_ACCOUNT, ("Condition", "Edm.String")],
    RECORDS_WITH_EXT: [*_SPAN, ("Condition", "Edm.String")],
}
_SUFFIXES = {
    "Balance": ["Balance", "BalanceDr", "BalanceCr"],
    "Turnovers": ["Turnover", "TurnoverDr", "TurnoverCr"],
    "BalanceAndTurnovers": [
        "OpeningBalance", "OpeningBalanceDr", "OpeningBalanceCr", "Turnover", "TurnoverDr", "TurnoverCr",
        "ClosingBalance", "ClosingBalanceDr", "ClosingBalanceCr",
    ],
}


def _ext_props(prefix: str) -> dict[str, str]:
    out = {}
    for i in range(1, MAX_EXT_DIMENSIONS + 1):
        out[f"{prefix}{i}"] = "Edm.String"
        out[f"{prefix}{i}_Type"] = "Edm.String"
    return out


def columns(obj: ObjectDef, function: str) -> dict[str, str]:
    """Columns of one of the register's virtual tables, in the order 1C lists them."""
    if function == RECORDS_WITH_EXT:
        cols = dict(obj.props())
        for side in ("Dr", "Cr"):
            cols.update(_ext_props(f"ExtDimension{side}"))
            cols.update({f"ExtDimensionType{side}{i}_Key": "Edm.Guid" for i in range(1, MAX_EXT_DIMENSIONS + 1)})
        return cols
    cols = {"Account_Key": "Edm.Guid", **_ext_props("ExtDimension")}
    for dim in obj.dimensions:
        cols.update(dict(dim.props()))
    for res in obj.resources:
        for suffix in _SUFFIXES[function]:
            cols[f"{res.name}{suffix}"] = "Edm.Double"
    return cols


def table_object(obj: ObjectDef, function: str) -> ObjectDef:
    """An object describing a virtual table's row, so `$filter`/`Condition` can follow `Account/Code` and
    `cast()` the composite subconto."""
    if function == RECORDS_WITH_EXT:
        return obj
    attrs: list[Attr] = [ref("Account", obj.chart)]
    attrs += [composite(f"ExtDimension{i}") for i in range(1, MAX_EXT_DIMENSIONS + 1)]
    attrs += obj.dimensions
    attrs += [num(f"{res.name}{suffix}") for res in obj.resources for suffix in _SUFFIXES[function]]
    return ObjectDef(f"{obj.set_name}_{function}", attrs)


# -- postings -------------------------------------------------------------------------------------------

Subconto = tuple[str, str, str]  # (kind of subconto, value, value type)


def account(base: Base, code: str) -> str:
    """Ref_Key of the account with this code in the base's chart of accounts."""
    return base.accounts[code]


def subconto(base: Base, kind: str, value: str, set_name: str) -> Subconto:
    if not value or value == EMPTY_REF:
        return (base.subconto_kinds[kind], "", UNDEFINED_TYPE)
    return (base.subconto_kinds[kind], value, f"StandardODATA.{set_name}")


def posting(doc: dict, set_name: str, dr: str, cr: str, amount: float, ext_dr: list[Subconto] = (),
            ext_cr: list[Subconto] = (), **values: object) -> dict:
    """One record: Дт `dr` Кт `cr` for `amount`, subconto of each side kept beside the record."""
    row = {
        "Recorder": doc["Ref_Key"],
        "Recorder_Type": f"StandardODATA.{set_name}",
        "Period": doc["Date"],
        "LineNumber": 0,
        "Active": True,
        "AccountDr_Key": dr,
        "AccountCr_Key": cr,
        "Организация_Key": published.ref(doc, "Организация"),
        "Сумма": round(amount, 2),
        "_ExtDr": tuple(ext_dr),
        "_ExtCr": tuple(ext_cr),
    }
    row.update(values)
    return row


def movements(base: Base, set_name: str, doc: dict) -> dict[str, list[dict]]:
    """The postings a БП 3.0 document makes (see the module docstring)."""
    if REGISTER not in base.config.objects or not base.accounts:
        return {}
    # `ref` reads both forms: `Контрагент_Key`, or the composite `Контрагент` of БП's bank receipt (facts).
    counterparty = published.ref(doc, "Контрагент")
    contract = published.ref(doc, "ДоговорКонтрагента")
    currency = published.ref(doc, "ВалютаДокумента")
    records = []
    if set_name == "Document_РеализацияТоваровУслуг":
        invoice = published.ref(doc, "СчетНаОплатуПокупателю")
        settlement_doc = (invoice, "Document_СчетНаОплатуПокупателю") if invoice != EMPTY_REF else (
            doc["Ref_Key"], set_name)
        customer = [subconto(base, "Контрагенты", counterparty, "Catalog_Контрагенты"),
                    subconto(base, "Договоры", contract, "Catalog_ДоговорыКонтрагентов"),
                    subconto(base, "ДокументыРасчетовСКонтрагентами", *settlement_doc)]
        records.append(posting(doc, set_name, account(base, "62.01"), account(base, "90.01.1"),
                               doc.get("СуммаДокумента", 0), customer, [], ВалютаDr_Key=currency))
        for line in doc.get("Товары", []):
            goods = [subconto(base, "Номенклатура", published.ref(line, "Номенклатура"), "Catalog_Номенклатура"),
                     subconto(base, "Склады", published.ref(doc, "Склад"), "Catalog_Склады")]
            cost = (line.get("Сумма", 0) or 0) * 0.7
            records.append(posting(doc, set_name, account(base, "90.02.1"), account(base, "41.01"), cost, [],
                                   goods, КоличествоCr=line.get("Количество", 0)))
    elif set_name in ("Document_ПоступлениеНаРасчетныйСчет", "Document_ПриходныйКассовыйОрдер"):
        money = "51" if set_name == "Document_ПоступлениеНаРасчетныйСчет" else "50.01"
        for line in doc.get("РасшифровкаПлатежа", []):
            invoice = published.ref(line, "СчетНаОплату")
            customer = [subconto(base, "Контрагенты", counterparty, "Catalog_Контрагенты"),
                        subconto(base, "Договоры", published.ref(line, "ДоговорКонтрагента"),
                                 "Catalog_ДоговорыКонтрагентов"),
                        subconto(base, "ДокументыРасчетовСКонтрагентами", invoice, "Document_СчетНаОплатуПокупателю")]
            amount = line.get("СуммаВзаиморасчетов") or line.get("СуммаПлатежа", 0)
            records.append(posting(doc, set_name, account(base, money), account(base, "62.01"), amount, [],
                                   customer, ВалютаCr_Key=currency))
    elif set_name == "Document_ВводНачальныхОстатков":
        for line in doc.get("Товары", []):
            goods = [subconto(base, "Номенклатура", published.ref(line, "Номенклатура"), "Catalog_Номенклатура"),
                     subconto(base, "Склады", published.ref(line, "Склад"), "Catalog_Склады")]
            records.append(posting(doc, set_name, account(base, "41.01"), account(base, "000"), line["Сумма"],
                                   goods, [], КоличествоDr=line["Количество"]))
    return {REGISTER: records} if records else {}


def keep_subconto(base: Base, record: dict) -> None:
    """Move a posting's subconto (`_ExtDr`/`_ExtCr` from `posting`) out of the record into `base.subconto`:
    they are not properties of a record (module docstring), so the stored row keeps only published ones."""
    if REGISTER not in base.config.objects:
        return
    # Stored even when empty, so a re-posted document's record never reads the subconto of its previous posting.
    sides = {side: tuple(record.pop(f"_Ext{side}", ())) for side in ("Dr", "Cr")}
    base.subconto[(record["Recorder"], record["LineNumber"])] = sides


def subconto_of(base: Base, record: dict) -> dict[str, tuple]:
    """The subconto per side ("Dr"/"Cr") `keep_subconto` kept for this stored record."""
    return base.subconto.get((record["Recorder"], record["LineNumber"]), {})


# -- virtual tables -------------------------------------------------------------------------------------

def _slots(ext: tuple[Subconto, ...], kinds: list[str] | None) -> dict[str, object]:
    """ExtDimension1..3 of one side: in the account's order, or in the order of `ExtraDimensions`."""
    if kinds is not None:
        by_kind = {k: (v, t) for k, v, t in ext}
        chosen = [by_kind.get(k, ("", UNDEFINED_TYPE)) for k in kinds]
    else:
        chosen = [(v, t) for _, v, t in ext]
    out: dict[str, object] = {}
    for i in range(1, MAX_EXT_DIMENSIONS + 1):
        value, type_name = chosen[i - 1] if i <= len(chosen) else ("", UNDEFINED_TYPE)
        out[f"ExtDimension{i}"] = value
        out[f"ExtDimension{i}_Type"] = type_name
    return out


def entries(obj: ObjectDef, record: dict, ext: dict[str, tuple], kinds: list[str] | None) -> list[dict]:
    """The debit and credit sides of a posting as rows of the virtual tables, amounts signed (Дт +, Кт −)."""
    out = []
    for side, sign in (("Dr", 1), ("Cr", -1)):
        row: dict[str, object] = {"Account_Key": record[f"Account{side}_Key"], "_sign": sign,
                                  **_slots(ext.get(side, ()), kinds)}
        for dim in obj.dimensions:
            source = f"{dim.name}{side}" if dim.name in obj.unbalanced else dim.name
            for (prop, _), (src, _) in zip(dim.props(), Attr(source, dim.kind).props(), strict=True):
                row[prop] = record.get(src)
        for res in obj.resources:
            source = f"{res.name}{side}" if res.name in obj.unbalanced else res.name
            row[res.name] = sign * (record.get(source) or 0)
        out.append(row)
    return out


def with_ext_dimensions(record: dict, ext_by_side: dict[str, tuple]) -> dict:
    """A record as `RecordsWithExtDimensions` returns it: the record plus the subconto of both sides."""
    row = dict(record)
    for side in ("Dr", "Cr"):
        ext = ext_by_side.get(side, ())
        for i in range(1, MAX_EXT_DIMENSIONS + 1):
            kind, value, type_name = ext[i - 1] if i <= len(ext) else (EMPTY_REF, "", UNDEFINED_TYPE)
            row[f"ExtDimension{side}{i}"] = value
            row[f"ExtDimension{side}{i}_Type"] = type_name
            row[f"ExtDimensionType{side}{i}_Key"] = kind
    return row


def aggregate(obj: ObjectDef, function: str, sides: list[dict], start: str | None, end: str | None,
              period: str | None) -> list[dict]:
    """Group sides by account, subconto and dimensions and sum their resources into the table's columns."""
    resources = [r.name for r in obj.resources]
    group_cols = ["Account_Key", *_ext_props("ExtDimension"), *[p for d in obj.dimensions for p, _ in d.props()]]
    groups: dict[tuple, dict] = {}
    for row in sides:
        moment = row["_period"]
        if function == "Balance":
            if period is not None and moment >= period:
                continue
            bucket = "Balance"
        else:
            if end is not None and moment > end:
                continue
            before = start is not None and moment < start
            if before and function == "Turnovers":
                continue
            bucket = "Opening" if before else "Turnover"
        key = tuple(row.get(c) for c in group_cols)
        acc = groups.get(key)
        if acc is None:
            acc = groups[key] = {c: row.get(c) for c in group_cols} | {
                f"{r}{b}": 0.0 for r in resources for b in ("Balance", "Opening", "TurnoverDr", "TurnoverCr")}
        for res in resources:
            amount = row[res]
            if bucket == "Turnover":
                acc[f"{res}Turnover{'Dr' if row['_sign'] > 0 else 'Cr'}"] += abs(amount)
            else:
                acc[f"{res}{bucket}"] += amount
    out = []
    for acc in groups.values():
        row = {c: acc[c] for c in group_cols}
        for res in resources:
            row.update(_resource_columns(function, res, acc))
        numbers = [v for k, v in row.items() if k not in group_cols]
        if any(abs(v) > 1e-9 for v in numbers):
            out.append(row)
    return out


def _split(prefix: str, net: float) -> dict[str, float]:
    """A balance as 1C shows it: the net value and its debit / credit parts."""
    net = round(net, 3)
    return {prefix: net, f"{prefix}Dr": max(net, 0.0), f"{prefix}Cr": max(-net, 0.0)}


def _resource_columns(function: str, res: str, acc: dict) -> dict[str, float]:
    if function == "Balance":
        return _split(f"{res}Balance", acc[f"{res}Balance"])
    dr, cr = round(acc[f"{res}TurnoverDr"], 3), round(acc[f"{res}TurnoverCr"], 3)
    turnover = {f"{res}Turnover": round(dr - cr, 3), f"{res}TurnoverDr": dr, f"{res}TurnoverCr": cr}
    if function == "Turnovers":
        return turnover
    opening = acc[f"{res}Opening"]
    return {**_split(f"{res}OpeningBalance", opening), **turnover,
            **_split(f"{res}ClosingBalance", opening + dr - cr)}

"""The counterparty preview as files an accountant opens: a CSV (UTF-8 with a BOM and `;` between fields, so Excel
in a Russian locale opens it as columns) and an XLSX with the counts on the first sheet and a sheet per list.
Both carry the same tables, built here once from a preview with the decisions applied
(`sync/counterparty_preview.decide`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from b24app.sync.counterparty_preview import ACTION_LISTS, LISTS
from b24app.web.counterparties_texts import PREVIEW_COUNTS, card_text, inn_kpp_text, pt

SHEET_TITLE_CHARS = 31  # Excel's limit on a sheet name
# A cell opening with one of these is a formula to a spreadsheet ("+7 495 …" would read as one and show an error;
# a name typed as "=…" in 1C would run): such text gets a leading apostrophe, as OWASP's CSV injection note says.
FORMULA_START = ("=", "+", "-", "@")


def _cell(value: Any) -> Any:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def _contacts(side: Mapping[str, Any]) -> str:
    return ", ".join([*side.get("phones", ()), *side.get("emails", ())])


def _outcome(row: Mapping[str, Any], lang: str) -> str:
    outcome = row.get("outcome")
    if outcome is None:
        return ""
    text = pt(f"outcome_{outcome}", lang, card=card_text(row.get("target") or "", lang),
              name=row.get("target_name") or "")
    return f"{text} ({pt('decided', lang)})" if row.get("decision") else text


def header(name: str, lang: str) -> list[str]:
    onec = pt("col_onec", lang)
    crm = pt("col_crm", lang)
    cols = ["№", f"{onec}: {pt('col_name', lang)}", f"{onec}: {pt('col_inn_kpp', lang)}",
            f"{onec}: {pt('col_phones', lang)}", pt("col_key", lang), pt("col_card", lang),
            f"{crm}: {pt('col_name', lang)}", f"{crm}: {pt('col_inn_kpp', lang)}", f"{crm}: {pt('col_phones', lang)}"]
    if name == "by_name":
        cols.append(pt("col_score", lang))
    if name in ACTION_LISTS:
        cols.append(pt("col_outcome", lang))
    return cols


def lines(name: str, rows: list[Mapping[str, Any]], lang: str) -> Iterator[list[Any]]:
    """One line per pair; a group (duplicates, a 1C counterparty with several CRM cards of its INN) takes a line
    per member, all with the row's number."""
    for number, row in enumerate(rows, start=1):
        onec, crm = list(row.get("onec") or ()), list(row.get("crm") or ())
        for n in range(max(len(onec), len(crm), 1)):
            one = onec[n] if n < len(onec) else {}
            other = crm[n] if n < len(crm) else {}
            line: list[Any] = [number, one.get("full_name") or one.get("name", ""),
                               inn_kpp_text(one.get("inn", ""), one.get("kpp", ""), lang) if one else "",
                               _contacts(one), one.get("key", ""),
                               card_text(other["key"], lang) if other else "",
                               other.get("legal_name") or other.get("name", ""),
                               inn_kpp_text(other.get("inn", ""), other.get("kpp", ""), lang) if other else "",
                               _contacts(other)]
            if name == "by_name":
                line.append(row.get("score", "") if n == 0 else "")
            if name in ACTION_LISTS:
                line.append(_outcome(row, lang) if n == 0 else "")
            yield line


def count_lines(preview: Mapping[str, Any], lang: str) -> list[list[Any]]:
    counts = preview.get("counts") or {}
    return [[pt(text, lang), int(counts.get(key) or 0)] for key, text in PREVIEW_COUNTS]


def csv_bytes(preview: Mapping[str, Any], lang: str) -> bytes:
    """Counts, then every list under its title."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow([pt("csv_base", lang), preview.get("base_name") or ""])
    w.writerow([])
    w.writerow([pt("csv_counts", lang)])
    w.writerow([pt("col_what", lang), pt("col_count", lang)])
    w.writerows(count_lines(preview, lang))
    lists = preview.get("lists") or {}
    for name in LISTS:
        w.writerow([])
        w.writerow([pt(f"list_{name}", lang), int((preview.get("counts") or {}).get(name) or 0)])
        w.writerow(header(name, lang))
        w.writerows([_cell(v) for v in line] for line in lines(name, lists.get(name) or [], lang))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(preview: Mapping[str, Any], lang: str) -> bytes:
    """The counts on the first sheet, a sheet per list (named in `lang`), headers in bold."""
    book = Workbook()
    first = book.active
    first.title = pt("sheet_counts", lang)[:SHEET_TITLE_CHARS]
    first.append([pt("csv_base", lang), preview.get("base_name") or ""])
    first.append([pt("col_what", lang), pt("col_count", lang)])
    for cell in first[2]:
        cell.font = Font(bold=True)
    for line in count_lines(preview, lang):
        first.append(line)
    first.column_dimensions["A"].width = 60
    lists = preview.get("lists") or {}
    for name in LISTS:
        sheet = book.create_sheet(pt(f"sheet_{name}", lang)[:SHEET_TITLE_CHARS])
        sheet.append(header(name, lang))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for line in lines(name, lists.get(name) or [], lang):
            sheet.append(line)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # openpyxl would store it as a formula
        for column in "BCDFGHI":
            sheet.column_dimensions[column].width = 32
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

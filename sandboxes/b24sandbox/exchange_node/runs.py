"""Whole exchanges as 1C's node runs them: the catalog upload and the orders round."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET  # noqa: S405 - parses the answer of the site under test, on loopback
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

from b24sandbox.exchange_node.protocol import ExchangeFailure, NodeSession, Transcript, zip_files


@dataclass
class CatalogReport:
    files: int = 0
    bytes: int = 0
    file_calls: int = 0
    import_polls: int = 0
    zipped: bool = False
    file_limit: int = 0
    attempts: int = 0
    transcript: Transcript = field(default_factory=Transcript)


def read_exchange_files(directory: Path) -> dict[str, bytes]:
    """The files of an exchange directory by their names relative to it (import.xml, import_files/…)."""
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def import_order(names: list[str]) -> list[str]:
    """The XML files 1C asks the site to import, in its order: the catalog, then offers (then prices, stock)."""
    top = [n for n in names if "/" not in n and n.lower().endswith(".xml")]

    def rank(name: str) -> tuple[int, str]:
        for n, prefix in enumerate(("import", "offers", "prices", "rests")):
            if PurePosixPath(name).name.lower().startswith(prefix):
                return n, name
        return 9, name
    return sorted(top, key=rank)


def run_catalog(url: str, login: str, password: str, files: dict[str, bytes], *, chunk: int | None = None,
                use_zip: bool = False, version: str = "", drop_once: tuple[str, int] | None = None,
                attempts: int = 2, poll: float = 0.2, import_timeout: float = 120.0) -> CatalogReport:
    """Upload and import a catalog. `drop_once=(name, n)` breaks the connection in the middle of chunk n of that
    file once; like 1C on its next run, the node then starts over from checkauth (at most `attempts` runs)."""
    report = CatalogReport()
    pending_drop = drop_once
    for attempt in range(1, attempts + 1):
        report.attempts = attempt
        session = NodeSession(url, login, password, transcript=report.transcript)
        try:
            session.checkauth("catalog")
            answer = session.init("catalog", version)
            report.file_limit = answer.file_limit
            size = min(chunk or answer.file_limit, answer.file_limit) if answer.file_limit else (chunk or 1 << 20)
            report.zipped = bool(use_zip and answer.zip)
            to_send = {"catalog.zip": zip_files(files)} if report.zipped else files
            for name, data in to_send.items():
                drop_at = pending_drop[1] if pending_drop and pending_drop[0] == name else -1
                for n, start in enumerate(range(0, max(len(data), 1), size)):
                    piece = data[start:start + size]
                    if n == drop_at:
                        pending_drop = None
                        session.drop_chunk("catalog", name, piece)
                        raise ConnectionError(f"connection dropped in chunk {n} of {name}")
                    session.send_chunk("catalog", name, piece)
                    report.file_calls += 1
                report.bytes += len(data)
            report.files = len(files)
            for name in import_order(list(files)):
                report.import_polls += len(session.import_file("catalog", name, poll=poll, timeout=import_timeout))
            return report
        except ConnectionError:
            if attempt == attempts:
                raise
        finally:
            session.close()
    return report


@dataclass
class SaleReport:
    orders_xml: bytes = b""
    orders: int = 0
    confirmed: str = ""
    sent_back: int = 0
    import_polls: int = 0
    transcript: Transcript = field(default_factory=Transcript)


def answer_documents(orders_xml: bytes, today: date | None = None) -> bytes:
    """1C's answer to the orders it took: each document back with the number and date it got in 1C, posted, paid
    and shipped (the ЗначенияРеквизитов 1C-Bitrix reads: «Номер по 1С», «Дата по 1С», «Проведен», «Дата оплаты по
    1С», «Номер отгрузки по 1С», «Дата отгрузки по 1С»)."""
    today = today or date.today()
    root = ET.fromstring(orders_xml)  # noqa: S314 - the site under test's own answer
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    out = ET.Element("КоммерческаяИнформация", {"ВерсияСхемы": root.get("ВерсияСхемы", "2.09"),
                                                 "ДатаФормирования": today.isoformat() + "T12:00:00"})
    for n, doc in enumerate(root.iter(f"{ns}Документ"), start=1):
        back = ET.SubElement(out, "Документ")
        for tag in ("Ид", "Номер", "Дата", "ХозОперация", "Роль", "Валюта", "Курс", "Сумма"):
            found = doc.find(f"{ns}{tag}")
            if found is not None:
                ET.SubElement(back, tag).text = found.text
        values = ET.SubElement(back, "ЗначенияРеквизитов")
        for name, value in (("Номер по 1С", f"УТ-{n:06d}"), ("Дата по 1С", today.isoformat()),
                            ("Проведен", "true"), ("ПометкаУдаления", "false"),
                            ("Дата оплаты по 1С", today.isoformat()), ("Номер отгрузки по 1С", f"РТУ-{n:06d}"),
                            ("Дата отгрузки по 1С", today.isoformat())):
            item = ET.SubElement(values, "ЗначениеРеквизита")
            ET.SubElement(item, "Наименование").text = name
            ET.SubElement(item, "Значение").text = value
    return ET.tostring(out, encoding="UTF-8", xml_declaration=True)


def count_documents(orders_xml: bytes) -> int:
    try:
        root = ET.fromstring(orders_xml)  # noqa: S314 - the site under test's own answer
    except ET.ParseError:
        return 0
    return sum(1 for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "Документ")


def run_sale(url: str, login: str, password: str, *, version: str = "2.09", orders_back: bytes | None = None,
             orders_out: Path | None = None, poll: float = 0.2, import_timeout: float = 60.0) -> SaleReport:
    """The orders round: take the site's orders, confirm them, send 1C's documents back."""
    report = SaleReport()
    session = NodeSession(url, login, password, transcript=report.transcript)
    try:
        session.checkauth("sale")
        answer = session.init("sale", version)
        report.orders_xml = session.query()
        report.orders = count_documents(report.orders_xml)
        if orders_out is not None:
            orders_out.mkdir(parents=True, exist_ok=True)
            (orders_out / f"orders-{int(time.time())}.xml").write_bytes(report.orders_xml)
        report.confirmed = " ".join(session.command("sale", "success"))
        body = orders_back if orders_back is not None else (
            answer_documents(report.orders_xml) if report.orders else b"")
        if body:
            name = f"orders-{int(time.time())}.xml"
            limit = answer.file_limit or len(body)
            session.send_file("sale", name, body, limit)
            report.sent_back = count_documents(body)
            if answer.version:  # the newer protocol processes the document on `import`
                report.import_polls = len(session.import_file("sale", name, poll=poll, timeout=import_timeout))
        return report
    finally:
        session.close()


__all__ = ["ExchangeFailure", "run_catalog", "run_sale", "read_exchange_files", "answer_documents"]

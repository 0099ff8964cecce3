"""The sandbox exchange node's own parts, without a site: the order it imports files in, the archive it packs,
how it reads a windows-1251 answer, the documents it sends back for the orders it took (from the official 1C
sample of a site's orders), and its command line's refusals."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from datetime import date

import requests

from b24sandbox.exchange_node.cli import main
from b24sandbox.exchange_node.protocol import decode_answer, zip_files
from b24sandbox.exchange_node.runs import answer_documents, count_documents, import_order, read_exchange_files
from tests.support.samples import needs, samples_dir

SAMPLES = samples_dir("commerceml")


def test_files_are_imported_catalog_first_then_offers_prices_stock_and_never_pictures():
    names = ["offers.xml", "rests___1.xml", "import_files/a/b.jpg", "prices___1.xml", "import.xml", "other.xml"]
    assert import_order(names) == ["import.xml", "offers.xml", "prices___1.xml", "rests___1.xml", "other.xml"]


def test_the_archive_holds_every_file_byte_for_byte(tmp_path):
    (tmp_path / "import_files" / "a").mkdir(parents=True)
    (tmp_path / "import.xml").write_bytes("<Каталог/>".encode())
    (tmp_path / "import_files" / "a" / "p.jpg").write_bytes(bytes(range(256)))
    files = read_exchange_files(tmp_path)
    assert set(files) == {"import.xml", "import_files/a/p.jpg"}
    with zipfile.ZipFile(io.BytesIO(zip_files(files))) as zf:
        assert {n: zf.read(n) for n in zf.namelist()} == files


def test_a_windows_1251_answer_is_read_as_such():
    response = requests.Response()
    response._content = "failure\nНеверный пароль\n".encode("cp1251")
    response.headers["Content-Type"] = "text/plain; charset=windows-1251"
    response.encoding = "windows-1251"
    assert decode_answer(response)[:2] == ["failure", "Неверный пароль"]


@needs(SAMPLES)
def test_orders_taken_go_back_numbered_posted_paid_and_shipped():
    sample = (SAMPLES / "commerceml_orders__irpsv_commerceml__off-doc-1c.xml").read_bytes()
    taken = count_documents(sample)
    assert taken >= 1
    back = answer_documents(sample, today=date(2026, 12, 6))
    root = ET.fromstring(back)
    docs = root.findall("Документ")
    assert len(docs) == taken
    source_ids = [d.findtext("Ид") for d in ET.fromstring(sample).iter("Документ")]
    assert [d.findtext("Ид") for d in docs] == source_ids
    values = {v.findtext("Наименование"): v.findtext("Значение") for v in docs[0].iter("ЗначениеРеквизита")}
    assert values["Номер по 1С"] == "УТ-000001" and values["Проведен"] == "true"
    assert values["Дата оплаты по 1С"] == "2026-12-06" and values["Номер отгрузки по 1С"] == "РТУ-000001"


def test_the_command_line_refuses_nothing_to_do(capsys):
    assert main(["--url", "http://127.0.0.1:9/x", "--login", "a", "--password", "b", "--no-sale"]) == 2
    assert "nothing to do" in capsys.readouterr().err

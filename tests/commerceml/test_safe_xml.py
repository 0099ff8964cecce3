"""The streaming reader refuses what a 1C exchange file never carries (DOCTYPE, entities, external references)
before handing out a single element, reads the encodings 1C writes, and keeps memory flat on a long file."""

from __future__ import annotations

import io
import tracemalloc

import pytest

from b24app.commerceml.catalog_files import read_catalog_file
from b24app.commerceml.safe_xml import CommerceMLError, read_elements

ITEM = ("<Товар><Ид>{key}</Ид><Наименование>{name}</Наименование>"
        "<БазоваяЕдиница Код=\"796\" НаименованиеПолное=\"Штука\">шт</БазоваяЕдиница></Товар>")


def catalog(body: str, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>', doctype: str = "") -> str:
    return (f'{declaration}\n{doctype}<КоммерческаяИнформация ВерсияСхемы="2.05">'
            f'<Каталог СодержитТолькоИзменения="false"><Товары>{body}</Товары></Каталог>'
            f"</КоммерческаяИнформация>")


XXE = '<!DOCTYPE КоммерческаяИнформация [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
LAUGHS = ('<!DOCTYPE КоммерческаяИнформация [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>\n')
EXTERNAL_DTD = '<!DOCTYPE КоммерческаяИнформация SYSTEM "http://127.0.0.1:9/commerceml.dtd">\n'


@pytest.mark.parametrize("doctype,name", [(XXE, "&x;"), (LAUGHS, "&d;"), (EXTERNAL_DTD, "Стол")],
                         ids=["xxe", "billion-laughs", "external-dtd"])
def test_a_doctype_is_refused_before_any_element(doctype, name):
    data = catalog(ITEM.format(key="k1", name=name), doctype=doctype).encode("utf-8")
    handed: list = []
    with pytest.raises(CommerceMLError) as caught:
        handed.extend(read_catalog_file(io.BytesIO(data), name="import.xml"))
    assert handed == []
    message = str(caught.value)
    assert message.startswith("import.xml: refused: a DOCTYPE declaration"), message
    assert "passwd" not in message


def test_an_undeclared_entity_is_a_plain_error_with_the_line():
    data = catalog("\n\n" + ITEM.format(key="k1", name="&x;")).encode("utf-8")
    with pytest.raises(CommerceMLError, match=r"^offers\.xml, line 4: not well-formed XML \(undefined entity"):
        list(read_catalog_file(io.BytesIO(data), name="offers.xml"))


def test_a_cut_off_file_names_the_line():
    data = catalog(ITEM.format(key="k1", name="Стол") * 3).encode("utf-8")[:-60]
    with pytest.raises(CommerceMLError, match=r"^import\.xml, line 2: not well-formed XML"):
        list(read_catalog_file(io.BytesIO(data), name="import.xml"))


def test_a_file_of_another_kind_is_not_commerceml():
    with pytest.raises(CommerceMLError, match="not a CommerceML file"):
        list(read_catalog_file(io.BytesIO(b"<?xml version='1.0'?><html><body/></html>"), name="x.xml"))


def test_windows_1251_with_crlf_reads_as_text():
    text = catalog(ITEM.format(key="k1", name="Стул «Венский»") + "\r\n" + ITEM.format(key="k2", name="Шкаф"),
                   declaration='<?xml version="1.0" encoding="windows-1251"?>').replace("\n", "\r\n")
    items = list(read_catalog_file(io.BytesIO(text.encode("cp1251")), name="import.xml"))
    named = [r.name for r in items if type(r).__name__ == "Item"]
    assert named == ["Стул «Венский»", "Шкаф"]


def test_windows_1251_declared_after_a_bom_reads_as_the_declaration_says():
    """Some exchange nodes put a BOM before a windows-1251 declaration; expat goes by the declaration."""
    text = catalog(ITEM.format(key="k1", name="Табурет"),
                   declaration='<?xml version="1.0" encoding="windows-1251"?>').replace("\n", "\r\n")
    items = list(read_catalog_file(io.BytesIO(b"\xef\xbb\xbf" + text.encode("cp1251")), name="import.xml"))
    assert [r.name for r in items if type(r).__name__ == "Item"] == ["Табурет"]


def test_utf8_with_bom_and_crlf():
    text = catalog(ITEM.format(key="k1", name="Кресло")).replace("\n", "\r\n")
    items = list(read_catalog_file(io.BytesIO(b"\xef\xbb\xbf" + text.encode("utf-8")), name="import.xml"))
    assert [r.name for r in items if type(r).__name__ == "Item"] == ["Кресло"]


def test_namespaces_are_dropped_and_unwanted_subtrees_are_not_kept():
    data = (b'<?xml version="1.0"?><a:Root xmlns:a="urn:x"><a:Big><a:Blob>1</a:Blob></a:Big>'
            b'<a:List><a:Row><a:V>1</a:V></a:Row><a:Row><a:V>2</a:V></a:Row></a:List></a:Root>')
    found = [(f.path, f.element.findtext("V")) for f in read_elements(io.BytesIO(data), {"Root/List/Row"})]
    assert found == [("Root/List/Row", "1"), ("Root/List/Row", "2")]


def _peak_reading(items: int) -> int:
    body = "".join(ITEM.format(key=f"key-{n:08d}", name=f"Товар номер {n} " + "x" * 200) for n in range(items))
    data = catalog(body).encode("utf-8")
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        count = sum(1 for _ in read_catalog_file(io.BytesIO(data), name="import.xml"))
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert count == items + 1  # the items and their one unit
    return peak


def test_memory_does_not_grow_with_the_number_of_items():
    small, large = _peak_reading(500), _peak_reading(5_000)
    # Ten times the items, the same peak (about 130 KiB) within 64 KiB. An element left behind, even emptied,
    # would cost some 80 bytes an item: 360 KiB more at 5,000.
    assert large < small + 64 * 1024, (small, large)

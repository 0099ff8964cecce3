"""The error a request handler raises to answer the way the 1C platform answers, and its two bodies.

Codes are the platform's internal codes, 1C:Enterprise 8.3.27 docs 17.4.10 «Ошибочные ситуации» (repo
hacker-cb/1c-odata, docs/1c/markdown/17.4_-_Cтандартный_интерфейс_OData_8_3_27.md): 0 feature not supported,
1 cannot parse a string, 2 bad request format, 3 representation type not supported, 4 bad property value,
6 wrong URL, 7 entity key element missing, 8 entity type not found, 9 entity not found, 10 requested property
not found, 11 method not found, 13 tabular rows cannot be created directly, 14 query option parse error,
15 key already exists, 19 HTTP method not allowed here, 21 unimplemented function, -1 internal error.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

ODATA_METADATA_NS = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"


class ODataError(Exception):
    """An error answered as JSON `{"odata.error": {"code", "message": {"lang", "value"}}}` or XML `m:error`."""

    def __init__(self, http_status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message

    def json_body(self) -> str:
        # The JSON shape 1C answers with $format=json (forum answers quoted in ARCHITECTURE.md's sources):
        # the code as a string and the message as {"lang", "value"}.
        body = {"odata.error": {"code": str(self.code), "message": {"lang": "ru", "value": self.message}}}
        return json.dumps(body, ensure_ascii=False)

    def xml_body(self) -> str:
        # Without $format=json 1C answers the XML of the example in 17.4.10: m:error with m:code and m:message.
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<m:error xmlns:m="{ODATA_METADATA_NS}">\n'
            f" <m:code>{self.code}</m:code>\n"
            f" <m:message>{escape(self.message)}</m:message>\n"
            "</m:error>\n"
        )


def unknown_resource(name: str) -> ODataError:
    return ODataError(404, 6, f"Неверный URL. Ресурс \"{name}\" не найден.")


def unknown_field(name: str, entity: str) -> ODataError:
    """A name in `$select`, `$filter`, `$orderby` or a virtual table's parameters that the entity lacks.

    Real 1C answers code 6 «Неверный URL» here, not 10 (the review of issue 11; ARCHITECTURE.md "Facts we
    rely on": "an unknown field in `$select` is error code 6"): the name is part of the URL's query options.
    """
    return ODataError(400, 6, f"Неверный URL. Свойство \"{name}\" не найдено у сущности \"{entity}\".")


def unknown_property(name: str, entity: str) -> ODataError:
    """A property requested as a path segment (`Set(guid'…')/Name`, 17.4.8 «через точку»): code 10
    «Запрошенное свойство не найдено» of 17.4.10."""
    return ODataError(400, 10, f"Запрошенное свойство \"{name}\" не найдено у сущности \"{entity}\".")


def unknown_entity_type(name: str) -> ODataError:
    """A type name in `cast()`/`isof()` that names no published entity: code 8 «Тип сущности не найден»."""
    return ODataError(400, 8, f"Тип сущности \"{name}\" не найден.")


def unsupported_format(name: str) -> ODataError:
    """A `$format` other than json/atom (17.4.2 names only these two): code 3 of 17.4.10."""
    return ODataError(406, 3, f"Запрошенный тип представления \"{name}\" не поддерживается.")


def entity_not_found(entity: str) -> ODataError:
    # Wording from the example in 17.4.10 of the platform docs.
    return ODataError(404, 9, f"Экземпляр сущности \"{entity}\" не найден по переданному ключу.")


def query_parse_error(detail: str) -> ODataError:
    return ODataError(400, 14, f"Ошибка разбора опций запроса: {detail}")


def bad_request(detail: str) -> ODataError:
    return ODataError(400, 2, f"Неверный формат запроса: {detail}")

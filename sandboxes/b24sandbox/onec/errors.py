"""The error a request handler raises to answer the way the 1C platform answers."""

from __future__ import annotations


class ODataError(Exception):
    """An error answered as `{"odata.error": {"code", "message": {"lang", "value"}}}`.

    Codes are the platform's internal codes (1C:Enterprise 8.3.27 docs, 17.4.10 «Ошибочные ситуации»,
    repo hacker-cb/1c-odata docs/1c/markdown/): 6 wrong URL, 9 entity not found, 10 property not found,
    14 query option parse error, 19 method not allowed, 21 unimplemented function, -1 internal error.
    """

    def __init__(self, http_status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message


def unknown_resource(name: str) -> ODataError:
    return ODataError(404, 6, f"Неверный URL. Ресурс \"{name}\" не найден.")


def unknown_property(name: str, entity: str) -> ODataError:
    return ODataError(400, 10, f"Запрошенное свойство \"{name}\" не найдено у сущности \"{entity}\".")


def entity_not_found(entity: str) -> ODataError:
    # Wording from the example in 17.4.10 of the platform docs.
    return ODataError(404, 9, f"Экземпляр сущности \"{entity}\" не найден по переданному ключу.")


def query_parse_error(detail: str) -> ODataError:
    return ODataError(400, 14, f"Ошибка разбора опций запроса: {detail}")


def bad_request(detail: str) -> ODataError:
    return ODataError(400, 2, f"Неверный формат запроса: {detail}")

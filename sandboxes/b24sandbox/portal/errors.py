"""REST errors the portal answers with, and their HTTP statuses.

Statuses and texts of the system errors come from the docs' shared table
(bitrix24/b24restdocs: _includes/system-errors.md); method-level errors name their own page.
"""

from __future__ import annotations


class RestError(Exception):
    """An error answer: ``{"error": code, "error_description": description}`` with an HTTP status."""

    def __init__(self, code: str, description: str, status: int = 400, **extra: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.status = status
        self.extra = extra

    def body(self) -> dict[str, str]:
        """The JSON body the portal sends for this error."""
        return {"error": self.code, "error_description": self.description, **self.extra}


# _includes/system-errors.md
def query_limit_exceeded() -> RestError:
    return RestError("QUERY_LIMIT_EXCEEDED", "Too many requests", 503)


def operation_time_limit() -> RestError:
    return RestError("OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit", 429)


def no_auth_found() -> RestError:
    return RestError("NO_AUTH_FOUND", "Wrong authorization data", 401)


def expired_token() -> RestError:
    return RestError("expired_token", "The access token provided has expired.", 401)


def invalid_token() -> RestError:
    # The system-errors table lists expired_token but not invalid_token; the real portal answers an unknown
    # token with 401 invalid_token (OAuth 2.0 bearer error, RFC 6750 §3.1). The description is ours.
    return RestError("invalid_token", "Unable to get application by token", 401)


def invalid_credentials() -> RestError:
    return RestError("INVALID_CREDENTIALS", "Invalid request credentials", 401)


def method_not_found() -> RestError:
    return RestError("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)


def insufficient_scope() -> RestError:
    return RestError(
        "insufficient_scope",
        "The request requires higher privileges than provided by the access token",
        401,
    )


def wrong_auth_type() -> RestError:
    # api-reference/widgets/placement-get.md: "WRONG_AUTH_TYPE ... Application context required", 403.
    return RestError(
        "WRONG_AUTH_TYPE",
        "Current authorization type is denied for this method. Application context required",
        403,
    )


def access_denied(text: str = "Access denied!") -> RestError:
    return RestError("ACCESS_DENIED", text, 403)


def not_found() -> RestError:
    # api-reference/crm/deals/crm-deal-get.md: empty error code, description "Not found", HTTP 400.
    return RestError("", "Not found", 400)


def crm_access_denied() -> RestError:
    # The calling user's CRM role does not let them read (or change) this record: empty error code, description
    # "Access denied", HTTP 400 (api-reference/crm/deals/crm-deal-get.md and crm-deal-update.md,
    # crm/companies/crm-company-get.md, crm/contacts/crm-contact-get.md, crm/deals/crm-deal-productrows-get.md).
    return RestError("", "Access denied", 400)


def requisite_access_denied() -> RestError:
    # api-reference/crm/requisites/universal/crm-requisite-get.md: "Empty string | Access denied." (with the dot).
    return RestError("", "Access denied.", 400)


def bad_id() -> RestError:
    # api-reference/crm/deals/crm-deal-get.md: "ID is not defined or invalid".
    return RestError("", "ID is not defined or invalid", 400)


def argument_error(argument: str, text: str | None = None) -> RestError:
    # api-reference/widgets/placement-bind.md: ERROR_ARGUMENT carries the argument name.
    return RestError("ERROR_ARGUMENT", text or f"Argument '{argument}' is null or empty", 400, argument=argument)


# -- requisites, bank details, addresses (api-reference/crm/requisites/) -----------------------------------------
# Every one of these pages shows an empty error code with the text as the description, HTTP 400.


def not_defined(name: str) -> RestError:
    # crm-requisite-add.md / -update.md: "ENTITY_TYPE_ID is not defined or invalid." (likewise ENTITY_ID,
    # PRESET_ID, ID); crm-requisite-bank-detail-add.md: "ENTITY_ID is not defined or invalid.";
    # crm-address-add.md: "TYPE_ID is not defined or invalid" (the table drops the dot its JSON example keeps).
    return RestError("", f"{name} is not defined or invalid.", 400)


def entity_not_found() -> RestError:
    # crm-requisite-add.md: "Entity not found." — the company or contact the requisite is for does not exist.
    return RestError("", "Entity not found.", 400)


def requisite_not_found(requisite_id: int) -> RestError:
    # crm-requisite-get.md / -update.md / -delete.md: "The Requisite with ID '27' is not found".
    return RestError("", f"The Requisite with ID '{requisite_id}' is not found", 400)


def bank_detail_not_found(detail_id: int) -> RestError:
    # crm-requisite-bank-detail-get.md / -delete.md: "The RequisiteBankDetail with ID '357' is not found" (the
    # -update.md table says "The Requisite with ID ..." for the same case; the sandbox answers one text for all).
    return RestError("", f"The RequisiteBankDetail with ID '{detail_id}' is not found", 400)


def preset_not_found(preset_id: int) -> RestError:
    # crm-requisite-preset-get.md: "The Preset with ID '347' is not found".
    return RestError("", f"The Preset with ID '{preset_id}' is not found", 400)


def address_exists() -> RestError:
    # crm-address-add.md: "TypeAddress exists" — an address of this type is already there for the parent.
    return RestError("", "TypeAddress exists", 400)


def address_not_found() -> RestError:
    # crm-address-update.md / -delete.md: "TypeAddress not found".
    return RestError("", "TypeAddress not found", 400)

"""What identifies a counterparty on either side, checked and normalised: INN, KPP and OGRN by their checksums and
formats, phones as E.164, e-mails in lower case, names without their legal form and quotes.

Keys (the counterparty issue): INN + KPP for a legal entity (a branch shares the head office's INN and has its own
KPP), INN alone for a sole proprietor, a phone or e-mail for an individual without INN. An invalid INN is never a
key: it is reported, and the party is matched as if it had none.

SOURCES: Tax Code of Russia, art. 83-84 and the Federal Tax Service's order ММВ-7-6/435@ (INN: 10 digits for an
organisation, 12 for a person, check digits; KPP: 9 characters, NNNN PP NNN, the middle two digits or capital Latin
letters); the OGRN (13 digits) and OGRNIP (15 digits) check digit; python-stdnum's stdnum.ru.inn and stdnum.ru.ogrn
implement both checksums.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from stdnum.ru import inn as inn_check
from stdnum.ru import ogrn as ogrn_check

DEFAULT_REGION = "RU"
_KPP = re.compile(r"\d{4}[\dA-Z]{2}\d{3}")
_QUOTES = "«»\"'“”„‘’`"
_PUNCT = re.compile(r"[^\w]+", re.UNICODE)

# Legal forms as they open or close a name, short and spelled out (ГК РФ ch. 4; the forms a 1C base and a CRM card
# are typed with). Longest first, so "публичное акционерное общество" goes before "акционерное общество".
LEGAL_FORMS = tuple(sorted({
    "общество с ограниченной ответственностью", "публичное акционерное общество",
    "непубличное акционерное общество", "закрытое акционерное общество", "открытое акционерное общество",
    "акционерное общество", "индивидуальный предприниматель", "крестьянское фермерское хозяйство",
    "государственное унитарное предприятие", "муниципальное унитарное предприятие", "некоммерческая организация",
    "автономная некоммерческая организация", "товарищество с ограниченной ответственностью",
    "производственный кооператив", "потребительский кооператив",
    "ооо", "пао", "зао", "оао", "нао", "ао", "ип", "кфх", "гуп", "муп", "фгуп", "нко", "ано", "тоо", "пк",
    "llc", "ltd", "inc", "gmbh",
}, key=len, reverse=True))
_FORMS = re.compile(r"(?:^|\s)(?:" + "|".join(re.escape(f) for f in LEGAL_FORMS) + r")(?=\s|$)")


def digits(value: object) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())


def valid_inn(value: object) -> str | None:
    """The INN when it is 10 or 12 digits with right check digits, else None."""
    text = digits(value)
    return text if len(text) in (10, 12) and inn_check.is_valid(text) else None


def valid_kpp(value: object) -> str | None:
    text = str(value or "").strip().upper()
    return text if _KPP.fullmatch(text) and text != "000000000" else None


def valid_ogrn(value: object) -> str | None:
    """OGRN (13 digits) or OGRNIP (15 digits) with a right check digit, else None."""
    text = digits(value)
    return text if len(text) in (13, 15) and ogrn_check.is_valid(text) else None


def normal_phone(raw: object, region: str = DEFAULT_REGION) -> str | None:
    """A phone as E.164 ("+74951234567"); None when it is not a possible number."""
    try:
        parsed = phonenumbers.parse(str(raw or ""), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normal_email(raw: object) -> str | None:
    text = str(raw or "").strip().lower()
    return text if text.count("@") == 1 and "." in text.rsplit("@", 1)[1] and " " not in text else None


@lru_cache(maxsize=200_000)
def normal_name(name: str) -> str:
    """A name as it is compared: lower case, ё as е, quotes, punctuation and the legal form gone, one space between
    words. "ООО «Ромашка»", "Ромашка ООО" and "ООО Ромашка" all become "ромашка"."""
    text = (name or "").lower().replace("ё", "е")
    for quote in _QUOTES:
        text = text.replace(quote, " ")
    text = " ".join(_PUNCT.sub(" ", text).split())
    stripped = " ".join(_FORMS.sub(" ", f" {text} ").split())
    return stripped or text  # a name that is only a legal form ("ИП") keeps it


def name_tokens(name: str) -> frozenset[str]:
    return frozenset(normal_name(name).split())

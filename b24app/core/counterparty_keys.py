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
_NAME_TABLE = str.maketrans("ё" + _QUOTES, "е" + " " * len(_QUOTES))  # ё as е, quotes as spaces
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


_NOT_DIGIT = re.compile(r"[^0-9]")


def digits(value: object) -> str:
    return _NOT_DIGIT.sub("", str(value or ""))


@lru_cache(maxsize=250_000)  # a first load checks each INN on both sides
def valid_inn(value: object) -> str | None:
    """The INN when it is 10 or 12 digits with right check digits, else None. The check digits are python-stdnum's
    (stdnum.ru.inn); its calc functions are called directly because `is_valid` cleans the text again, and a first
    load checks hundreds of thousands."""
    text = digits(value)
    if len(text) == 10:
        return text if inn_check.calc_company_check_digit(text[:9]) == text[9] else None
    if len(text) == 12:
        return text if inn_check.calc_personal_check_digits(text[:10]) == text[10:] else None
    return None


def valid_kpp(value: object) -> str | None:
    text = str(value or "").strip().upper()
    return text if _KPP.fullmatch(text) and text != "000000000" else None


def valid_ogrn(value: object) -> str | None:
    """OGRN (13 digits) or OGRNIP (15 digits) with a right check digit, else None."""
    text = digits(value)
    return text if len(text) in (13, 15) and ogrn_check.is_valid(text) else None


# A Russian number as people type it: digits, spaces, "+", "-", "(", ")", "." only. Russia's numbering plan has
# 10 national digits after the country code 7, written with "+7", "8" (the trunk prefix) or nothing in front.
_PLAIN_PHONE = re.compile(r"[\d\s+\-().]+")


def _russian_e164(text: str) -> str | None:
    """The fast path of `normal_phone` for the common case, the same answer phonenumbers gives for it (tested
    against it): parsing costs phonenumbers about 0.25 ms a number, and a first load compares hundreds of
    thousands."""
    if not _PLAIN_PHONE.fullmatch(text) or text.count("+") > 1 or ("+" in text and not text.lstrip().startswith("+")):
        return None
    digits = _NOT_DIGIT.sub("", text)
    if digits.startswith("810"):
        return None  # "8 10 …" is Russia's international prefix: phonenumbers decides
    if text.lstrip().startswith("+"):
        return "+" + digits if len(digits) == 11 and digits[0] == "7" else None
    if len(digits) == 11 and digits[0] == "8":
        return "+7" + digits[1:]
    return "+7" + digits if len(digits) == 10 else None


def normal_phone(raw: object, region: str = DEFAULT_REGION) -> str | None:
    """A phone as E.164 ("+74951234567"); None when it is not a possible number."""
    text = str(raw or "")
    if region == DEFAULT_REGION:
        fast = _russian_e164(text)
        if fast is not None:
            return fast
    try:
        parsed = phonenumbers.parse(text, region)
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
    text = (name or "").lower().translate(_NAME_TABLE)
    text = " ".join(_PUNCT.sub(" ", text).split())
    stripped = " ".join(_FORMS.sub(" ", f" {text} ").split())
    return stripped or text  # a name that is only a legal form ("ИП") keeps it


def name_tokens(name: str) -> frozenset[str]:
    return frozenset(normal_name(name).split())

"""Counterparties as the exchange sees them on each side: a 1C counterparty with what the CRM needs of it (legal
details, contacts, bank accounts, addresses, contact persons) and a CRM company or contact with its requisite.

Plain values shared by the 1C reader (`onec/counterparty_reads.py`), the CRM reader
(`sync/to_bitrix/crm_parties.py`), the preview and the load. Each side turns into a matcher `Party`
(`core/counterparty_match.py`) with `party()`; `fingerprint()` is what the load compares with what it last wrote, so
an unchanged counterparty costs no request.
"""

from __future__ import annotations

from dataclasses import dataclass

from b24app.core.catalog_model import fingerprint
from b24app.core.counterparty_match import ENTREPRENEUR, LEGAL, PERSON, Party

KINDS = (LEGAL, ENTREPRENEUR, PERSON)
# Address kinds as 1C names them; the loader maps each to the portal's own crm.address TYPE_ID, read from
# crm.enum.addresstype rather than assumed.
LEGAL_ADDRESS, ACTUAL_ADDRESS, POSTAL_ADDRESS = "legal", "actual", "postal"


@dataclass(frozen=True)
class Address:
    kind: str  # LEGAL_ADDRESS, ACTUAL_ADDRESS or POSTAL_ADDRESS
    text: str  # the presentation as 1C shows it ("115054, Москва г, Щипок ул, дом 11")
    postal_code: str = ""
    region: str = ""
    city: str = ""
    street: str = ""  # street, house, office as one line (ADDRESS_1)


@dataclass(frozen=True)
class BankAccount:
    key: str  # the 1C bank account's Ref_Key ("" when the CRM side has no 1C key yet)
    account: str  # расчётный счёт, 20 digits
    bik: str = ""
    bank_name: str = ""
    corr_account: str = ""
    name: str = ""


@dataclass(frozen=True)
class ContactPerson:
    key: str  # 1C Ref_Key of the contact person
    name: str  # as 1C shows it
    last_name: str = ""
    first_name: str = ""
    second_name: str = ""
    position: str = ""
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    deleted: bool = False


@dataclass(frozen=True)
class OneCParty:
    """One 1C counterparty (Catalog_Контрагенты), folders excluded."""

    key: str  # Ref_Key
    name: str  # Description (short name)
    full_name: str = ""  # НаименованиеПолное (the legal name on documents)
    inn: str = ""
    kpp: str = ""
    ogrn: str = ""  # ОГРН of a legal entity, ОГРНИП of a sole proprietor, when the base publishes it
    kind: str = LEGAL  # LEGAL, ENTREPRENEUR or PERSON: from 1C's legal form, else from the INN's length
    head_key: str = ""  # the head office of a branch (УТ 11 ГоловнойКонтрагент), "" otherwise
    partner_key: str = ""  # УТ 11: the partner the counterparty belongs to
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    addresses: tuple[Address, ...] = ()
    bank_accounts: tuple[BankAccount, ...] = ()
    contact_persons: tuple[ContactPerson, ...] = ()
    deleted: bool = False  # DeletionMark
    data_version: str = ""

    def party(self) -> Party:
        return Party(key=self.key, name=self.full_name or self.name, inn=self.inn, kpp=self.kpp,
                     phones=self.phones, emails=self.emails)

    def fingerprint(self) -> str:
        """Of everything the CRM shows (the data version is left out: 1C bumps it on changes we don't load)."""
        return fingerprint({k: v for k, v in self.__dict__.items() if k != "data_version"})


@dataclass(frozen=True)
class CrmRequisite:
    id: int
    preset_id: int  # 1 organisation, 2 sole proprietor, 3 individual on a fresh portal (crm.requisite.preset.list)
    name: str = ""
    inn: str = ""  # RQ_INN
    kpp: str = ""  # RQ_KPP
    ogrn: str = ""  # RQ_OGRN or RQ_OGRNIP
    company_name: str = ""  # RQ_COMPANY_NAME / RQ_COMPANY_FULL_NAME
    xml_id: str = ""  # XML_ID: the 1C counterparty key once linked


@dataclass(frozen=True)
class CrmParty:
    """A CRM company (entity "company") or contact ("contact") with its first requisite."""

    entity: str  # "company" or "contact"
    id: int
    title: str  # TITLE of a company; "LAST_NAME NAME SECOND_NAME" of a contact
    requisite: CrmRequisite | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    origin_id: str = ""  # ORIGIN_ID: the 1C key of a card we created or linked
    originator_id: str = ""  # ORIGINATOR_ID: which app/base wrote ORIGIN_ID
    company_id: int | None = None  # a contact's company

    @property
    def crm_key(self) -> str:
        return f"{self.entity}:{self.id}"

    def party(self) -> Party:
        req = self.requisite
        return Party(key=self.crm_key, name=(req.company_name if req and req.company_name else self.title),
                     inn=req.inn if req else "", kpp=req.kpp if req else "", phones=self.phones, emails=self.emails)

"""1C counterparties through the standard OData interface, in the exchange's terms (`core/counterparty_model.py`):
each with its phones, e-mails and addresses (rows of its КонтактнаяИнформация), its bank accounts with their banks
and its contact persons.

Counterparties come page by page (`pages`), each page's related rows read for those counterparties only, in
parallel chunks of up to MAX_OR_TERMS keys (as `catalog_reads.py` reads a page of items), so memory stays flat
whatever the base's size. The configuration decides where each part lives (the profile's `counterparty`,
`bank_account`, `bank`, `contact_kind`, `contact_person`, `party_contact_link`):
- УТ 11: bank accounts in Catalog_БанковскиеСчетаКонтрагентов, their banks in Catalog_КлассификаторБанков (or typed by
  hand on the account); contact persons belong to the counterparty's partner (Catalog_КонтактныеЛицаПартнеров,
  Owner = the partner), so every counterparty of a partner lists them;
- БП 3.0: Catalog_БанковскиеСчета with Catalog_Банки; contact persons name the counterparty in ОбъектВладелец;
- УНФ 3.0: Catalog_БанковскиеСчета with Catalog_Банки; contact persons are linked in the register
  СвязиКонтрагентКонтакт (and the counterparty's own КонтактноеЛицо).
The legal form decides the kind (УТ ЮрФизЛицо; БП / УНФ ЮридическоеФизическоеЛицо with БП's flag
ИндивидуальныйПредприниматель), else the INN's length (10 digits: a company, 12: a sole proprietor).

`changed(watermark)` walks the counterparties by DataVersion (`changes.catalog_changes`: an edit of the card, its
contacts or addresses bumps it, platform docs 17.4.13.1.5). A bank account and a contact person are objects of their
own whose edits leave the counterparty's DataVersion alone, so their versions are walked too (key, version and owner
only) and an owner whose account or person is new, changed or gone counts as changed; УНФ's register of links has no
versions, so the watermark keeps a digest of each counterparty's links.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from b24app.core.counterparty_match import ENTREPRENEUR, LEGAL, PERSON
from b24app.core.counterparty_model import (
    ACTUAL_ADDRESS,
    LEGAL_ADDRESS,
    POSTAL_ADDRESS,
    Address,
    BankAccount,
    ContactPerson,
    OneCParty,
)
from b24app.onec import changes, refs
from b24app.onec import query as q
from b24app.onec.catalog_reads import MAX_OR_TERMS, READ_THREADS
from b24app.onec.errors import OneCNotFound
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import ObjectSpec, Profile

PAGE = 500
# The profile's contact_kind values naming each address kind's predefined element.
_ADDRESS_KINDS = {"legal_address": LEGAL_ADDRESS, "actual_address": ACTUAL_ADDRESS, "postal_address": POSTAL_ADDRESS}
_POSTAL_CODE = re.compile(r"^\s*(\d{6})\s*,")
# The type of a region that is a city of federal significance (Москва, Санкт-Петербург, Севастополь) in an address's
# JSON (areaType): its city is the region itself.
FEDERAL_CITY_TYPE = "г"


def _chunks(keys: Sequence[str], size: int = MAX_OR_TERMS) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), size):
        yield keys[start:start + size]


def _text(row: Mapping, spec: ObjectSpec, logical: str) -> str:
    return str(row.get(spec.field(logical)) or "").strip() if spec.has(logical) else ""


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


class OneCParties:
    """Reads one base's counterparties with the profile's names."""

    def __init__(self, client: ODataClient, profile: Profile) -> None:
        self.client = client
        self.profile = profile
        self.spec = profile.object("counterparty")
        self._kinds: dict[str, str] | None = None
        self._banks: dict[str, dict] = {}

    def _optional(self, logical: str) -> ObjectSpec | None:
        spec = self.profile.objects.get(logical)
        return spec if spec is not None and spec.enabled else None

    # ------------------------------------------------------------------ the interface

    def count(self) -> int:
        """Counterparties (folders left out), deletion-marked ones included."""
        return self.client.count(self.spec.entity_set, filter=self._not_folder())

    def pages(self, page_size: int = PAGE) -> Iterator[list[OneCParty]]:
        """Every counterparty in key order, a page at a time, with its contacts, addresses, bank accounts and
        contact persons; deletion-marked ones come with deleted=True."""
        with ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="onec-parties") as pool:
            for rows in self.client.iter_pages_by_key(self.spec.entity_set, filter=self._not_folder(),
                                                      select=self._select(), page_size=page_size):
                yield self._parties(pool, rows)

    def get(self, key: str) -> OneCParty | None:
        """One counterparty by its key, None when the base has none (or it is a folder)."""
        try:
            row = self.client.get(self.spec.entity_set, key, select=self._select())
        except OneCNotFound:
            return None
        if self.spec.has("is_folder") and row.get(self.spec.field("is_folder")):
            return None
        with ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="onec-parties") as pool:
            return self._parties(pool, [row])[0]

    def changed(self, watermark: dict | None) -> tuple[list[OneCParty], list[str], dict]:
        """(counterparties new or changed since the watermark — their own card, a bank account or a contact person
        —, keys of counterparties gone from the base, the watermark to store once they are handled). None = the
        first walk: every counterparty is new."""
        mark = watermark or {}
        walk = changes.catalog_changes(self.client, self.spec, changes.CatalogWatermark.from_dict(mark.get("parties")),
                                       select=self._fields(self.spec, "is_folder"))
        folder = self.spec.field("is_folder") if self.spec.has("is_folder") else None
        touched: set[str] = set()
        vanished: list[str] = []
        for change in walk.changes:
            if change.kind == changes.DELETED:
                vanished.append(change.ref_key)
            elif not (folder and change.row.get(folder)):
                touched.add(change.ref_key)
        # On the first walk every counterparty is new already: the related objects' owners need not be looked up.
        first = watermark is None
        accounts, account_owners = self._walk_accounts(mark.get("accounts") or {})
        persons, person_owners = self._walk_persons(mark.get("persons") or {}, resolve=not first)
        links, link_owners = self._walk_links(mark.get("links") or {})
        if not first:
            touched |= account_owners | person_owners | link_owners
        known = set(walk.watermark.versions)
        keys = sorted(k for k in touched if k in known)
        found = self._by_keys(keys)
        new_mark = {"parties": walk.watermark.to_dict(), "accounts": accounts, "persons": persons, "links": links}
        return found, vanished, new_mark

    # ------------------------------------------------------------------ counterparties

    def _not_folder(self) -> str | None:
        return q.eq(self.spec.field("is_folder"), False) if self.spec.has("is_folder") else None

    def _select(self) -> list[str]:
        fields = self._fields(self.spec, "key", "version", "deleted", "name", "full_name", "inn", "kpp", "ogrn",
                              "legal_form", "is_entrepreneur", "parent_counterparty", "partner", "main_contact")
        contacts = self.spec.tables.get("contacts")
        return fields + ([contacts.name] if contacts is not None else [])

    def _by_keys(self, keys: Sequence[str]) -> list[OneCParty]:
        """The counterparties with these keys (folders left out), read in chunks of keys."""
        if not keys:
            return []
        key = self.spec.field("key")
        out: list[OneCParty] = []
        with ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="onec-parties") as pool:
            for page in (keys[start:start + PAGE] for start in range(0, len(keys), PAGE)):
                futures = [pool.submit(lambda chunk: list(self.client.iter_rows(
                    self.spec.entity_set, filter=q.all_of(self._not_folder(), q.any_of(*(q.eq(key, k) for k in chunk))),
                    select=self._select())), chunk) for chunk in _chunks(page)]
                rows = [row for future in futures for row in future.result()]
                out += self._parties(pool, rows)
        return out

    def _parties(self, pool: ThreadPoolExecutor, rows: list[dict]) -> list[OneCParty]:
        """A page's counterparties with their related rows, read in parallel."""
        spec = self.spec
        keys = [r[spec.field("key")] for r in rows]
        partners = {r[spec.field("key")]: refs.read(spec.spec_of("partner"), r) for r in rows} \
            if spec.has("partner") else {}
        kinds = self.contact_kinds()
        accounts = self._submit(pool, keys, self._account_rows)
        persons = self._person_reads(pool, keys, rows, partners)
        account_rows = [row for future in accounts for row in future.result()]
        self._read_banks(pool, account_rows)
        by_owner = self._accounts(account_rows)
        people = persons()
        return [self._party(row, kinds, by_owner, people) for row in rows]

    def _party(self, row: dict, kinds: dict[str, str], accounts: dict[str, list[BankAccount]],
               people: dict[str, list[ContactPerson]]) -> OneCParty:
        spec = self.spec
        key = row[spec.field("key")]
        inn = _text(row, spec, "inn")
        ogrn = _text(row, spec, "ogrn")
        head = refs.read(spec.spec_of("parent_counterparty"), row) if spec.has("parent_counterparty") else None
        contacts = row.get(spec.tables["contacts"].name) or [] if "contacts" in spec.tables else []
        phones, emails, addresses = self._contacts(contacts, kinds) if contacts else ((), (), ())
        return OneCParty(
            key=key, name=_text(row, spec, "name"), full_name=_text(row, spec, "full_name"), inn=inn,
            kpp=_text(row, spec, "kpp"), ogrn=ogrn, kind=self._kind(row, inn, ogrn),
            head_key=head if head and head != key else "",
            partner_key=(refs.read(spec.spec_of("partner"), row) or "") if spec.has("partner") else "",
            phones=phones, emails=emails, addresses=addresses, bank_accounts=tuple(accounts.get(key, ())),
            contact_persons=tuple(people.get(key, ())), deleted=bool(row.get(spec.field("deleted"))),
            data_version=str(row.get(spec.field("version")) or ""))

    def _kind(self, row: Mapping, inn: str, ogrn: str) -> str:
        """LEGAL, ENTREPRENEUR or PERSON: from the legal form, else from the INN's length."""
        spec = self.spec
        form = row.get(spec.field("legal_form")) if spec.has("legal_form") else None
        values = spec.values
        if form and form in (values.get("legal_form_company"), values.get("legal_form_nonresident")):
            return LEGAL
        if form and values.get("legal_form_entrepreneur") != values.get("legal_form_individual") and \
                form == values.get("legal_form_entrepreneur"):
            return ENTREPRENEUR
        if form and form == values.get("legal_form_individual"):
            # БП / УНФ keep a sole proprietor as a private person: БП 3.0.198 with its flag, else a 12-digit INN
            # (or a 15-digit ОГРНИП) tells.
            if spec.has("is_entrepreneur"):
                return ENTREPRENEUR if row.get(spec.field("is_entrepreneur")) else PERSON
            if values.get("legal_form_entrepreneur") == form and (len(inn) == 12 or len(ogrn) == 15):
                return ENTREPRENEUR
            return PERSON
        return {10: LEGAL, 12: ENTREPRENEUR}.get(len(inn), PERSON)

    # ------------------------------------------------------------------ contacts and addresses

    def contact_kinds(self) -> dict[str, str]:
        """Catalog_ВидыКонтактнойИнформации element -> address kind, for the predefined kinds of a counterparty's
        legal, actual and postal address (read once)."""
        if self._kinds is None:
            spec = self._optional("contact_kind")
            self._kinds = {}
            if spec is not None:
                wanted = {spec.values[f"predefined_name_{name}"]: kind for name, kind in _ADDRESS_KINDS.items()
                          if f"predefined_name_{name}" in spec.values}
                name = spec.field("predefined_name")
                condition = q.any_of(*(q.eq(name, value) for value in wanted))
                for row in self.client.iter_rows(spec.entity_set, filter=condition,
                                                 select=self._fields(spec, "key", "predefined_name")):
                    if row.get(name) in wanted:
                        self._kinds[row[spec.field("key")]] = wanted[row[name]]
        return self._kinds

    def _contacts(self, rows: Sequence[Mapping], kinds: Mapping[str, str]
                  ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[Address, ...]]:
        """(phones, e-mails, addresses) of a counterparty's contact-information rows."""
        table = self.spec.tables["contacts"]
        values = self.spec.values
        field = {logical: spec.name for logical, spec in table.fields.items()}
        phones, emails, addresses = [], [], []
        for row in rows:
            kind = row.get(field["kind"])
            shown = str(row.get(field.get("presentation", "")) or "").strip()
            if kind == values.get("contacts_kind_phone"):
                phones.append(str(row.get(field.get("phone", "")) or "").strip() or shown)
            elif kind == values.get("contacts_kind_email"):
                emails.append(str(row.get(field.get("email", "")) or "").strip() or shown)
            elif kind == values.get("contacts_kind_address"):
                address_kind = kinds.get(str(row.get(field.get("kind_ref", "")) or ""))
                if address_kind is not None and shown:
                    addresses.append(_address(address_kind, shown, row, field))
        return _unique(phones), _unique(emails), tuple(addresses)

    # ------------------------------------------------------------------ bank accounts

    def _submit(self, pool: ThreadPoolExecutor, keys: Sequence[str], read) -> list:  # noqa: ANN001 - a reader
        return [pool.submit(read, chunk) for chunk in _chunks(keys)]

    def _account_rows(self, chunk: Sequence[str]) -> list[dict]:
        spec = self._optional("bank_account")
        if spec is None:
            return []
        owner = spec.spec_of("owner")
        return list(self.client.iter_rows(
            spec.entity_set, filter=refs.any_equals(owner, chunk, self.spec.entity_set),
            select=self._fields(spec, "key", "owner", "name", "number", "bank", "bik", "bank_name", "corr_account",
                                "deleted", "closed")))

    def _read_banks(self, pool: ThreadPoolExecutor, accounts: list[dict]) -> None:
        """The banks the accounts refer to, read once per base (a bank classifier holds every bank of the
        country, so only those referenced are read)."""
        account, bank = self._optional("bank_account"), self._optional("bank")
        if account is None or bank is None or not account.has("bank"):
            return
        wanted = sorted({k for row in accounts if (k := refs.read(account.spec_of("bank"), row))} - set(self._banks))
        key = bank.field("key")
        select = self._fields(bank, "key", "bik", "name", "corr_account")
        futures = [pool.submit(lambda chunk: list(self.client.iter_rows(
            bank.entity_set, filter=q.any_of(*(q.eq(key, k) for k in chunk)), select=select)), chunk)
            for chunk in _chunks(wanted)]
        for future in futures:
            for row in future.result():
                self._banks[row[key]] = row

    def _accounts(self, rows: list[dict]) -> dict[str, list[BankAccount]]:
        """Counterparty key -> its current bank accounts (deletion-marked and closed ones left out), by number."""
        spec, bank = self._optional("bank_account"), self._optional("bank")
        out: dict[str, list[BankAccount]] = {}
        if spec is None:
            return out
        for row in rows:
            owner = refs.read(spec.spec_of("owner"), row, self.spec.entity_set)
            if owner is None or row.get(spec.field("deleted")) or (spec.has("closed") and row.get(
                    spec.field("closed"))):
                continue
            classified = self._banks.get(refs.read(spec.spec_of("bank"), row) or "") if spec.has("bank") else None
            if classified is not None and bank is not None:
                bik, bank_name, corr = (_text(classified, bank, "bik"), _text(classified, bank, "name"),
                                        _text(classified, bank, "corr_account"))
            else:  # typed by hand on the account (УТ 11), or no bank at all
                bik, bank_name, corr = (_text(row, spec, "bik"), _text(row, spec, "bank_name"),
                                        _text(row, spec, "corr_account"))
            out.setdefault(owner, []).append(BankAccount(
                key=row[spec.field("key")], account=_text(row, spec, "number"), bik=bik, bank_name=bank_name,
                corr_account=corr, name=_text(row, spec, "name")))
        for accounts in out.values():
            accounts.sort(key=lambda a: (a.account, a.key))
        return out

    # ------------------------------------------------------------------ contact persons

    def _person_reads(self, pool: ThreadPoolExecutor, keys: Sequence[str], rows: list[dict],
                      partners: Mapping[str, str | None]):  # noqa: ANN202 - returns a callable gathering the reads
        """Submits the reads of a page's contact persons; the returned callable gathers them into counterparty key
        -> persons."""
        spec = self._optional("contact_person")
        if spec is None:
            return dict
        if spec.has("owner") and self.spec.has("partner") and not spec.spec_of("owner").composite:
            # УТ 11: persons of the partner (their one owner type), listed under every counterparty of that partner.
            partner_keys = sorted({p for p in partners.values() if p})
            futures = self._submit(pool, partner_keys, lambda chunk: self._person_rows(
                refs.any_equals(spec.spec_of("owner"), chunk, self.profile.object("partner").entity_set)))

            def gather() -> dict[str, list[ContactPerson]]:
                by_partner = self._persons_by(
                    [r for f in futures for r in f.result()],
                    lambda row: [refs.read(spec.spec_of("owner"), row) or ""])
                return {key: by_partner.get(partner or "", []) for key, partner in partners.items()}
            return gather
        if spec.has("owner"):
            # БП 3.0: ОбъектВладелец names the counterparty.
            futures = self._submit(pool, keys, lambda chunk: self._person_rows(
                refs.any_equals(spec.spec_of("owner"), chunk, self.spec.entity_set)))
            return lambda: self._persons_by([r for f in futures for r in f.result()], lambda row: [
                refs.read(spec.spec_of("owner"), row, self.spec.entity_set) or ""])
        # УНФ 3.0: the links register, plus the counterparty's own main contact.
        link_futures = self._submit(pool, keys, self._link_rows)
        main = {r[self.spec.field("key")]: refs.read(self.spec.spec_of("main_contact"), r)
                for r in rows} if self.spec.has("main_contact") else {}

        def gather_unf() -> dict[str, list[ContactPerson]]:
            owners: dict[str, list[str]] = {}
            positions: dict[tuple[str, str], str] = {}  # the position is the link's (Должность), not the person's
            for party, person in main.items():
                if person:
                    owners.setdefault(person, []).append(party)
            for link in (r for f in link_futures for r in f.result()):
                party, person, position = self._link(link)
                if party and person:
                    if party not in owners.setdefault(person, []):
                        owners[person].append(party)
                    positions[(party, person)] = position
            person_keys = sorted(owners)
            key = spec.field("key")
            found = [r for chunk in _chunks(person_keys)
                     for r in self._person_rows(q.any_of(*(q.eq(key, k) for k in chunk)))]
            by_party = self._persons_by(found, lambda row: owners.get(row[key], []))
            return {party: [replace(p, position=positions.get((party, p.key)) or p.position) for p in people]
                    for party, people in by_party.items()}
        return gather_unf

    def _person_rows(self, condition: str | None) -> list[dict]:
        spec = self.profile.object("contact_person")
        contacts = spec.tables.get("contacts")
        select = self._fields(spec, "key", "owner", "name", "last_name", "first_name", "second_name", "position",
                              "deleted") + ([contacts.name] if contacts is not None else [])
        return list(self.client.iter_rows(spec.entity_set, filter=condition, select=select))

    def _persons_by(self, rows: list[dict], owners_of) -> dict[str, list[ContactPerson]]:  # noqa: ANN001
        """Owner key -> persons (by name, then key); `owners_of(row)` names the counterparties (or partners) a
        person row belongs to."""
        spec = self.profile.object("contact_person")
        out: dict[str, list[ContactPerson]] = {}
        for row in rows:
            person = self._person(spec, row)
            for owner in owners_of(row):
                if owner:
                    out.setdefault(owner, []).append(person)
        for people in out.values():
            people.sort(key=lambda p: (p.name, p.key))
        return out

    def _person(self, spec: ObjectSpec, row: dict) -> ContactPerson:
        name = _text(row, spec, "name")
        last, first, second = (_text(row, spec, "last_name"), _text(row, spec, "first_name"),
                               _text(row, spec, "second_name"))
        if not (last or first):
            # УТ / УНФ keep the person's name in one line, surname first: «Иванов Иван Петрович».
            words = name.split()
            if 1 < len(words) <= 3:
                last, first, second = (words + ["", ""])[:3]
        phones, emails = [], []
        table = spec.tables.get("contacts")
        for line in row.get(table.name) or [] if table is not None else []:
            kind = line.get(table.fields["kind"].name)
            shown = str(line.get(table.fields["presentation"].name) or "").strip()
            if kind == spec.values.get("contacts_kind_phone"):
                phones.append(str(line.get(table.fields["phone"].name) or "").strip() or shown)
            elif kind == spec.values.get("contacts_kind_email"):
                emails.append(str(line.get(table.fields["email"].name) or "").strip() or shown)
        return ContactPerson(key=row[spec.field("key")], name=name, last_name=last, first_name=first,
                             second_name=second, position=_text(row, spec, "position"), phones=_unique(phones),
                             emails=_unique(emails), deleted=bool(row.get(spec.field("deleted"))))

    def _link_rows(self, chunk: Sequence[str]) -> list[dict]:
        spec = self._optional("party_contact_link")
        if spec is None:
            return []
        return [r for page in self.client.iter_pages(
            spec.records_set, filter=refs.any_equals(spec.spec_of("counterparty"), chunk, self.spec.entity_set),
            select=self._fields(spec, "counterparty", "contact", "position", "inactive"), orderby=None)
            for r in page]

    def _link(self, row: Mapping) -> tuple[str | None, str | None, str]:
        """(counterparty, person, position) of a current link; (None, None, "") for a link marked invalid."""
        spec = self.profile.object("party_contact_link")
        if spec.has("inactive") and row.get(spec.field("inactive")):
            return None, None, ""
        return (refs.read(spec.spec_of("counterparty"), row), refs.read(spec.spec_of("contact"), row),
                _text(row, spec, "position"))

    # ------------------------------------------------------------------ change detection of related objects

    def _walk_accounts(self, before: Mapping[str, list]) -> tuple[dict[str, list], set[str]]:
        """(bank account key -> [version, owner], owners whose accounts are new, changed or gone)."""
        spec = self._optional("bank_account")
        if spec is None:
            return {}, set()
        owner = spec.spec_of("owner")
        now: dict[str, list] = {}
        for page in self.client.iter_pages_by_key(spec.entity_set, select=self._fields(spec, "key", "version",
                                                                                        "owner")):
            for row in page:
                party = refs.read(owner, row, self.spec.entity_set)
                if party:
                    now[row[spec.field("key")]] = [str(row.get(spec.field("version")) or ""), party]
        return now, _owners_of_changes(before, now)

    def _walk_persons(self, before: Mapping[str, list], *, resolve: bool = True) -> tuple[dict[str, list], set[str]]:
        """(person key -> [version, owner], counterparties whose persons are new, changed or gone). УТ's owner is
        the partner, turned into its counterparties; УНФ's persons are walked too (their owners come from the
        links)."""
        spec = self._optional("contact_person")
        if spec is None or not spec.has("version"):
            return {}, set()
        owner = spec.spec_of("owner") if spec.has("owner") else None
        now: dict[str, list] = {}
        for page in self.client.iter_pages_by_key(spec.entity_set, select=self._fields(spec, "key", "version",
                                                                                        "owner")):
            for row in page:
                holder = refs.read(owner, row) if owner is not None else None
                now[row[spec.field("key")]] = [str(row.get(spec.field("version")) or ""), holder or ""]
        changed = {k for k in set(before) | set(now) if before.get(k) != now.get(k)}
        if not resolve:
            return now, set()
        if owner is None:
            return now, self._parties_of_persons(changed)
        holders = {h for k in changed for h in (before.get(k, [None, None])[1], now.get(k, [None, None])[1]) if h}
        if not owner.composite and self.spec.has("partner"):
            return now, self._parties_of_partners(sorted(holders))
        return now, holders

    def _walk_links(self, before: Mapping[str, str]) -> tuple[dict[str, str], set[str]]:
        """УНФ: (counterparty -> digest of its links, counterparties whose links changed)."""
        spec = self._optional("party_contact_link")
        if spec is None:
            return {}, set()
        grouped: dict[str, list] = {}
        select = self._fields(spec, "counterparty", "contact", "position", "inactive")
        for page in self.client.iter_pages(spec.records_set, select=select, orderby=None):
            for row in page:
                party = refs.read(spec.spec_of("counterparty"), row)
                if party:
                    grouped.setdefault(party, []).append([str(row.get(name) or "") for name in select])
        now = {party: _digest(sorted(rows)) for party, rows in grouped.items()}
        return now, {k for k in set(before) | set(now) if before.get(k) != now.get(k)}

    def _parties_of_partners(self, partners: Sequence[str]) -> set[str]:
        field = self.spec.spec_of("partner")
        key = self.spec.field("key")
        partner_set = self.profile.object("partner").entity_set
        return {row[key] for chunk in _chunks(partners) for row in self.client.iter_rows(
            self.spec.entity_set, filter=refs.any_equals(field, chunk, partner_set), select=[key])}

    def _parties_of_persons(self, persons: set[str]) -> set[str]:
        """УНФ: the counterparties linked to these persons (the register) or having one as the main contact."""
        out: set[str] = set()
        links = self._optional("party_contact_link")
        wanted = sorted(persons)
        if links is not None:
            for chunk in _chunks(wanted):
                for page in self.client.iter_pages(links.records_set, filter=refs.any_equals(
                        links.spec_of("contact"), chunk, self.profile.object("contact_person").entity_set),
                        select=self._fields(links, "counterparty"), orderby=None):
                    out |= {p for row in page if (p := refs.read(links.spec_of("counterparty"), row))}
        if self.spec.has("main_contact"):
            main = self.spec.spec_of("main_contact")
            key = self.spec.field("key")
            for chunk in _chunks(wanted):
                out |= {row[key] for row in self.client.iter_rows(
                    self.spec.entity_set, filter=refs.any_equals(main, chunk, ""), select=[key])}
        return out

    @staticmethod
    def _fields(spec: ObjectSpec, *logical: str) -> list[str]:
        """`$select` for the logical fields the profile maps (both properties of a composite one)."""
        return refs.select(*(spec.spec_of(name) for name in logical if spec.has(name)))


def _owners_of_changes(before: Mapping[str, list], now: Mapping[str, list]) -> set[str]:
    """Owners (the second item) of entries new, changed or gone between two walks, under both owners."""
    out: set[str] = set()
    for key in set(before) | set(now):
        old, new = before.get(key), now.get(key)
        if old != new:
            out |= {entry[1] for entry in (old, new) if entry and entry[1]}
    return out


def _address(kind: str, shown: str, row: Mapping, field: Mapping[str, str]) -> Address:
    """An address from its row: the БСП 3 JSON in Значение when the base keeps it, else the presentation and the
    Регион / Город columns."""
    parsed = _json_value(row.get(field.get("value", "")))
    region_column = str(row.get(field.get("region", "")) or "").strip()
    city_column = str(row.get(field.get("city", "")) or "").strip()
    if parsed:
        # An address kept in free form (addressType ВСвободнойФорме) has no parts: the columns stand in for them.
        region = _joined(parsed.get("area"), parsed.get("areaType")) or region_column
        city = _joined(parsed.get("city"), parsed.get("cityType")) or city_column
        if not city and str(parsed.get("areaType") or "") == FEDERAL_CITY_TYPE:
            city = region  # a city of federal significance is its own region (Москва г)
        house = _joined(parsed.get("houseNumber"), str(parsed.get("houseType") or "").lower(), first=True)
        rooms = [_joined(room.get("number"), str(room.get("type") or "").lower(), first=True)
                 for room in (*(parsed.get("buildings") or ()), *(parsed.get("apartments") or ()))
                 if isinstance(room, Mapping) and room.get("number")]
        street = ", ".join(p for p in (_joined(parsed.get("street"), parsed.get("streetType")), house, *rooms) if p)
        return Address(kind=kind, text=shown, postal_code=str(parsed.get("ZIPcode") or ""), region=region,
                       city=city, street=street)
    match = _POSTAL_CODE.match(shown)
    return Address(kind=kind, text=shown, postal_code=match.group(1) if match else "", region=region_column,
                   city=city_column)


def _json_value(value: object) -> dict | None:
    if not isinstance(value, str) or not value.lstrip().startswith("{"):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _joined(name: object, kind: object, *, first: bool = False) -> str:
    """«Щипок ул» as 1C writes a level (name, then its type); `first` puts the type first («дом 11»)."""
    name, kind = str(name or "").strip(), str(kind or "").strip()
    if not name:
        return ""
    return " ".join(p for p in ((kind, name) if first else (name, kind)) if p)

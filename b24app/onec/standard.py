"""Names the 1C standard OData interface gives every object of a kind, whatever the configuration.

The one module outside the profiles (`b24app/onec/profiles/*.toml`) where a 1C name may be written; the scan in
tests/unit/test_no_onec_literals.py keeps it so. Everything here is the platform's, not a configuration's, and
holds for every object of the kind named: a name that exists only on some objects (`Code` — absent when the
catalog's CodeLength is 0; `IsFolder` / `Parent_Key` — only on hierarchical catalogs; `Owner_Key` — only on
subordinate catalogs) is not here but in the profile of each object that has it.

Source: the platform docs, 1C:Enterprise 8.3.27, chapter 17.4 "Стандартный интерфейс OData" (repo
hacker-cb/1c-odata, docs/1c/markdown/17.4_-_Cтандартный_интерфейс_OData_8_3_27.md); the section is named at
each group below.
"""

from __future__ import annotations

from typing import Final

# --- property suffixes (17.4.3 "Key", "Type") ----------------------------------------------------------------
# A reference attribute X is published as X_Key (the GUID) plus a navigation property X; a composite-type
# attribute X as X (the value) plus X_Type (the value's type, e.g. "StandardODATA.Document_РасходТовара").
KEY_SUFFIX: Final = "_Key"
TYPE_SUFFIX: Final = "_Type"
# The type name written into X_Type: "StandardODATA." + the entity set of the referenced object (17.4.3).
TYPE_NAMESPACE: Final = "StandardODATA."
# X_Type of a composite attribute holding Неопределено; its value is to be ignored (17.4.3).
UNDEFINED_TYPE: Final = "StandardODATA.Undefined"
# The value of an empty reference (a reference attribute not filled in).
EMPTY_REF: Final = "00000000-0000-0000-0000-000000000000"

# --- the key of every reference object (catalogs, documents) ---------------------------------------------------
# 17.4.8: the canonical URL `Catalog_Товары(guid'value')`; 17.4.3 "Key". The client pages by it when the caller
# names no other key; the profile names it for each object the app reads (`key`).
REF_KEY: Final = "Ref_Key"
# A row of a tabular section is keyed by its owner's Ref_Key and its LineNumber (17.4.4 `<Object>_<Section>`); 1C
# numbers the rows itself when a section is written whole.
LINE_NUMBER: Final = "LineNumber"

# --- entity set and type names (17.4.4) -----------------------------------------------------------------------
# `<Prefix>_<ObjectName>[_<Suffix>]`: the prefixes of the objects the app links to in the web client.
CATALOG: Final = "Catalog"
DOCUMENT: Final = "Document"
# Single register records: `<Register>_RecordType`; a recorder-subordinate information register is read through
# it, virtual tables included (17.4.4, 17.4.13.1.1 `InformationRegister_КурсыВалют_RecordType/SliceLast`).
RECORD_TYPE_SUFFIX: Final = "_RecordType"

# --- register records (17.4.13.1.1) ---------------------------------------------------------------------------
# A recorder-subordinate register's record set is keyed by its recorder (`InformationRegister_ПриходныеЦены(
# Recorder_Key=guid'value')`; a real `$metadata` keys an accumulation register by `Recorder` + `Recorder_Type`:
# repo datareducer/console @8742fe5, src/test/resources/odata/metadata.xml); an independent one by period and
# dimensions (17.4.8 `InformationRegister_КурсыВалют(Period=…, Валюта_Key=…)`).
RECORDER: Final = "Recorder"
RECORDER_KEYS: Final = ("Recorder", "Recorder_Key")

# --- virtual tables (17.4.4, 17.4.9, 17.4.13.2) ---------------------------------------------------------------
# Functions named as the query language's virtual tables in English, "the function's parameters are the virtual
# table's parameters" (17.4.4). Only a filter argument (Condition, AccountCondition) follows the $filter rules and
# names OData properties (`Condition='Валюта_Key eq guid'…''`, 17.4.9); the others are the virtual table's own,
# so Dimensions lists the register's dimensions by their configuration names, as the query language knows them
# (`Dimensions='ОбъектРасчетов'`, not the property `ОбъектРасчетов_Key`; see `profiles.FieldSpec.attribute`).
# Chapter 17.4 spells no Dimensions example; public clients that run against real bases pass names
# (`AccumulationRegister_СвободныеОстатки/Balance(Dimensions='Номенклатура,Склад')`, and for a composite dimension
# `Balance(Dimensions='ЗаказКлиента')`), and the rows carry the properties (`Номенклатура_Key`).
# The argument names are also those of the real `$metadata`'s FunctionImports (Balance: Period, Condition,
# Dimensions, …; datareducer/console @8742fe5, src/test/resources/odata/metadata.xml).
BALANCE: Final = "Balance"
# The latest record per dimensions of a periodic information register (17.4.4, 17.4.13.1.1).
SLICE_LAST: Final = "SliceLast"
TURNOVERS: Final = "Turnovers"
ARG_PERIOD: Final = "Period"
ARG_START_PERIOD: Final = "StartPeriod"
ARG_END_PERIOD: Final = "EndPeriod"
ARG_CONDITION: Final = "Condition"
ARG_DIMENSIONS: Final = "Dimensions"
# Columns of a virtual table: `<Resource><Suffix>`; an accounting register splits a balance into debit and
# credit (17.4.13.1.1 example on AccountingRegister_Хозрасчетный/Balance).
BALANCE_SUFFIX: Final = "Balance"
BALANCE_DEBIT_SUFFIX: Final = "BalanceDr"
BALANCE_CREDIT_SUFFIX: Final = "BalanceCr"

# --- document actions (17.4.13.1.7) ---------------------------------------------------------------------------
POST: Final = "Post"
UNPOST: Final = "Unpost"
POSTING_MODE_OPERATIONAL: Final = "PostingModeOperational"

# --- links into the web client ------------------------------------------------------------------------------
# `e1cib/data/<Class>.<Name>?ref=…` names the metadata class in Russian (Документ, Справочник): the form of
# navigation links in 1C's own test data (Vanessa-Automation scenarios, `e1cib/data/Справочник.Валюты?ref=…`).
NAVIGATION_CLASS: Final = {DOCUMENT: "Документ", CATALOG: "Справочник"}


def type_name(entity_set: str) -> str:
    """What `X_Type` holds for a reference to an object of `entity_set` (17.4.3)."""
    return TYPE_NAMESPACE + entity_set

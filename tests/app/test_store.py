"""The storage layer on the configured database (SQLite, and PostgreSQL in the second CI run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from b24app.config import Settings
from b24app.runtime import Runtime
from b24app.store.bases import BaseNotFound
from b24app.store.journal import JournalEntry
from b24app.store.models import Base, OneCBaseRow
from b24app.store.portals import PortalNotFound, TokenGrant

pytestmark = pytest.mark.db


@pytest.fixture
def store_ctx(database_url):
    ctx = Runtime(Settings(database_url=database_url, secret_key="test-secret-key-0123456789"))
    yield ctx
    ctx.db.dispose()


def _portal(ctx: Runtime, member_id: str = "m" * 32) -> str:
    grant = TokenGrant("access", "refresh", datetime.now(UTC) + timedelta(hours=1))
    ctx.portals.save_install(member_id, f"{member_id[:4]}.bitrix24.ru", f"https://{member_id[:4]}.bitrix24.ru/rest/",
                             grant)
    return member_id


def test_migrations_match_the_models(store_ctx):
    with store_ctx.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_bases_keep_passwords_encrypted_and_per_portal(store_ctx):
    a, b = _portal(store_ctx, "a" * 32), _portal(store_ctx, "b" * 32)
    saved = store_ctx.bases.save(a, name="ООО Ромашка", url="https://1c.example/ut/", login="Администратор",
                                 password="пароль-1", profile="ut11", legal_entity="ООО Ромашка",
                                 legal_entity_inn="7707083893")
    assert saved.has_password and not hasattr(saved, "password")
    with store_ctx.db.transaction() as s:
        assert "пароль-1" not in s.scalar(select(OneCBaseRow.password_enc))
    assert store_ctx.bases.connection(a, saved.id).password == "пароль-1"
    # An update without a password keeps the stored one.
    store_ctx.bases.save(a, base_id=saved.id, name="ООО Ромашка", url="https://1c.example/ut2/",
                         login="Администратор", password=None, profile="ut11")
    assert store_ctx.bases.connection(a, saved.id).password == "пароль-1"
    assert store_ctx.bases.connection(a, saved.id).url == "https://1c.example/ut2/"
    # Another portal cannot reach it.
    assert store_ctx.bases.list(b) == []
    with pytest.raises(BaseNotFound):
        store_ctx.bases.connection(b, saved.id)
    with pytest.raises(PortalNotFound):
        store_ctx.bases.list("z" * 32)


def test_links_are_unique_per_entity_base_and_kind(store_ctx):
    m = _portal(store_ctx)
    base = store_ctx.bases.save(m, name="УТ", url="https://1c/ut/", login="u", password="p", profile="ut11")
    store_ctx.links.put(m, base.id, "deal", "42", "Document_ЗаказКлиента", "a" * 8 + "-0000-0000-0000-" + "0" * 12,
                        "УТ-000001")
    store_ctx.links.put(m, base.id, "deal", "42", "Document_ЗаказКлиента", "b" * 8 + "-0000-0000-0000-" + "0" * 12,
                        "УТ-000002")
    links = store_ctx.links.for_entity(m, "deal", "42")
    assert len(links) == 1 and links[0].onec_number == "УТ-000002"
    assert store_ctx.links.for_onec(m, base.id, "Document_ЗаказКлиента", links[0].onec_ref)[0].b24_id == "42"


def test_journal_times_and_records_failures(store_ctx):
    m = _portal(store_ctx)
    with store_ctx.journal.exchange(m, "payments", "1c_to_b24") as entry:
        entry.items = 3
    with pytest.raises(RuntimeError), store_ctx.journal.exchange(m, "deal_order", "b24_to_1c", entity="deal:7"):
        raise RuntimeError("1C is down")
    recent = store_ctx.journal.recent(m)
    assert [(e.kind, e.status) for e in recent] == [("deal_order", "error"), ("payments", "ok")]
    assert recent[0].error == "RuntimeError: 1C is down" and recent[1].items == 3
    assert all(e.duration_ms is not None for e in recent)
    with pytest.raises(ValueError):
        store_ctx.journal.record(m, JournalEntry(kind="x", direction="sideways"))


def test_portal_settings_round_trip_defaults_and_stale_writes(store_ctx):
    from dataclasses import replace

    from b24app.core.portal_settings import PortalSettings, StageMap
    from b24app.store.portal_settings import StaleSettings

    m = _portal(store_ctx)
    settings, version = store_ctx.portal_settings.load(m)
    assert version == 0 and settings.deal_fields["paid_sum"] == "UF_CRM_B24_1C_PAID_SUM"
    changed = replace(settings, stages={"0": StageMap(make_order="PREPARATION", paid="WON")},
                      deal_fields={**settings.deal_fields, "order_number": "UF_CRM_ORDER_1C"})
    assert store_ctx.portal_settings.save(m, changed, version) == 1
    loaded = store_ctx.portal_settings.get(m)
    assert loaded.stage_map(0).paid == "WON" and loaded.stage_map("5") == StageMap()
    assert loaded.deal_fields["order_number"] == "UF_CRM_ORDER_1C"
    with pytest.raises(StaleSettings):
        store_ctx.portal_settings.save(m, changed, version)
    # Documents from older versions: unknown keys dropped, missing ones defaulted.
    old = PortalSettings.from_json({"nonsense": 1, "schedules": {"payments_seconds": 60}})
    assert old.schedules.debt_seconds == 900 and old.schedules.payments_seconds == 60


def test_marks_are_durable_first_writer_wins_and_long_keys_fit(store_ctx):
    from b24app.store.marks import Marks

    marks = store_ctx.marks
    assert marks.get("told", "m:1:doc:1") is None
    assert marks.add("told", "m:1:doc:1") and not marks.add("told", "m:1:doc:1")
    marks.put_many("told", {"m:1:doc:1": "2", "m:2:doc:1": "1"})
    assert marks.get_many("told", ["m:1:doc:1", "m:2:doc:1", "m:3:doc:1"]) == {"m:1:doc:1": "2", "m:2:doc:1": "1"}
    long_key = "m:" + "x" * 400
    marks.put("pushed", long_key, "fp")
    assert Marks(store_ctx.db).get("pushed", long_key) == "fp"  # another process (a new store) sees it
    assert marks.get("pushed", "m:" + "x" * 399 + "y") is None  # a digest, not a truncation
    marks.remove("told", "m:1:doc:1")
    assert marks.get("told", "m:1:doc:1") is None and marks.get("told", "m:2:doc:1") == "1"


def test_profile_overrides_reach_every_1c_client_the_runtime_builds(database_url, tmp_path):
    from b24app.jobs.outbox import order_deps

    (tmp_path / "ut11.toml").write_text('[objects.price]\nentity_set = "InformationRegister_ЦеныНоменклатуры25"\n',
                                        encoding="utf-8")
    env = {"DATABASE_URL": database_url, "B24APP_SECRET_KEY": "test-secret-key-0123456789",
           "B24APP_ONEC_PROFILE_PATH": str(tmp_path)}
    rt = Runtime(Settings.from_env(env))
    try:
        m = _portal(rt)
        base = rt.bases.save(m, name="УТ", url="http://127.0.0.1:9/ut/", login="l", password="p", profile="ut11")
        _, profile = rt.onec(m, base.id)
        assert profile.object("price").entity_set == "InformationRegister_ЦеныНоменклатуры25"
        bases = order_deps(rt, m).bases
        assert bases.profile(base.id).object("price").entity_set == "InformationRegister_ЦеныНоменклатуры25"
    finally:
        rt.close()

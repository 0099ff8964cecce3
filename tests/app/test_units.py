"""Unit tests of small pieces: configuration, secrets at rest, endpoint checks, manifest, formatting."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from b24app.bitrix.endpoints import UntrustedEndpoint, rest_endpoint, same_portal
from b24app.bitrix.installation import binding_commands
from b24app.config import ConfigError, Settings
from b24app.manifest import load_manifest
from b24app.store.crypto import SecretBox, SecretDecryptError, same_secret
from b24app.web.formatting import format_datetime, format_money


def test_settings_defaults_and_env():
    s = Settings.from_env({})
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("b24app.sqlite3")
    assert s.redis_url == "redis://127.0.0.1:6379/0"
    assert s.oauth_token_url == "https://oauth.bitrix.info/oauth/token/"
    assert not s.allow_insecure_loopback
    s = Settings.from_env({"B24APP_OAUTH_SERVER": "http://127.0.0.1:9/", "B24APP_DEV_INSECURE_LOOPBACK": "1",
                           "B24APP_BX24_JS_URL": "http://{domain}/bx24.js"})
    assert s.oauth_token_url == "http://127.0.0.1:9/oauth/token/"
    assert s.allow_insecure_loopback
    assert s.bx24_js_url_for("a.b:1") == "http://a.b:1/bx24.js"


def test_serving_refuses_to_start_without_secret_key():
    with pytest.raises(ConfigError, match="B24APP_SECRET_KEY"):
        Settings.from_env({"B24APP_CLIENT_ID": "x", "B24APP_CLIENT_SECRET": "y"}).require_production_ready()
    with pytest.raises(ConfigError, match="CLIENT_ID"):
        Settings.from_env({"B24APP_SECRET_KEY": "k" * 32}).require_production_ready()
    Settings.from_env({"B24APP_SECRET_KEY": "k" * 32, "B24APP_CLIENT_ID": "x",
                       "B24APP_CLIENT_SECRET": "y"}).require_production_ready()


def test_secret_box_round_trip_and_tamper():
    box = SecretBox("a-secret-key-of-some-length")
    token = "access-токен-42"
    enc = box.encrypt(token)
    assert token not in enc and box.decrypt(enc) == token
    assert box.encrypt(None) is None and box.decrypt(None) is None
    with pytest.raises(SecretDecryptError):
        SecretBox("another-secret-key-entirely").decrypt(enc)
    assert same_secret("abc", "abc") and not same_secret("abc", "abd") and not same_secret(None, None)


@pytest.mark.parametrize("domain, https, loopback_ok, expected", [
    ("portal.bitrix24.ru", True, False, "https://portal.bitrix24.ru/rest/"),
    ("Portal.Bitrix24.RU", True, False, "https://portal.bitrix24.ru/rest/"),
    ("127.0.0.1:8080", False, True, "http://127.0.0.1:8080/rest/"),
])
def test_rest_endpoint_accepts(domain, https, loopback_ok, expected):
    assert rest_endpoint(domain, https=https, allow_insecure_loopback=loopback_ok) == expected


@pytest.mark.parametrize("domain, https, loopback_ok", [
    ("portal.bitrix24.ru", False, False),          # plain HTTP in production
    ("127.0.0.1:8080", True, False),               # loopback in production
    ("10.0.0.5", True, False),                     # private network
    ("evil.example/rest/?x=", True, False),        # not a domain
    ("", True, True),
    ("portal.bitrix24.ru@evil.example", True, False),
])
def test_rest_endpoint_refuses(domain, https, loopback_ok):
    with pytest.raises(UntrustedEndpoint):
        rest_endpoint(domain, https=https, allow_insecure_loopback=loopback_ok)


def test_same_portal():
    assert same_portal("https://a.bitrix24.ru/rest/", "a.bitrix24.ru")
    assert not same_portal("https://evil.example/rest/", "a.bitrix24.ru")
    assert not same_portal("https://a.bitrix24.ru/other/", "a.bitrix24.ru")


def test_binding_batch_is_built_from_the_manifest():
    manifest = load_manifest()
    commands = binding_commands(manifest, "https://app.example/")
    placements = [c for c in commands.values() if c[0] == "placement.bind"]
    assert {p[1]["PLACEMENT"] for p in placements} == {"CRM_DEAL_DETAIL_TAB", "CRM_COMPANY_DETAIL_TAB"}
    deal = next(p[1] for p in placements if p[1]["PLACEMENT"] == "CRM_DEAL_DETAIL_TAB")
    assert deal["HANDLER"] == "https://app.example/tabs/deal"
    assert deal["LANG_ALL"]["ru"]["TITLE"] and deal["LANG_ALL"]["en"]["TITLE"]
    events = {(c[1]["event"], c[1].get("event_type", "online")) for c in commands.values() if c[0] == "event.bind"}
    assert ("ONAPPUNINSTALL", "online") in events and ("ONAPPINSTALL", "online") in events
    # every bind is preceded by its unbind, so a reinstall never duplicates a binding
    keys = list(commands)
    for key in keys:
        if key.startswith("bind_"):
            assert keys.index("un" + key) < keys.index(key)
    assert len(commands) <= 50, "the bindings must fit one batch call"


def test_money_and_dates_as_an_accountant_writes_them():
    assert format_money(Decimal("1234567.891"), "ru") == "1\u202f234\u202f567,89\u00a0₽"
    assert format_money(-5, "ru") == "-5,00\u00a0₽"
    assert format_money(1234.5, "en") == "1,234.50\u00a0₽"
    moment = datetime(2026, 11, 24, 9, 5, tzinfo=UTC)
    assert format_datetime(moment, "ru") == "24.11.2026 12:05"
    assert format_datetime(None, "ru") == "—"

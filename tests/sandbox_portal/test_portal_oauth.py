"""OAuth server side of the sandbox: refresh rotation, client auth variants, expiry, app.info."""

from __future__ import annotations

import requests

from tests.sandbox_portal.conftest import InstalledApp, Portal


def _refresh(portal: Portal, app: InstalledApp, refresh_token: str, **kwargs) -> requests.Response:
    data = {
        "grant_type": "refresh_token",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "refresh_token": refresh_token,
    }
    return requests.post(f"{portal.url}/oauth/token/", data=data, timeout=10, **kwargs)


def test_refresh_rotates_and_a_spent_token_is_invalid_grant(portal: Portal, installed_app: InstalledApp) -> None:
    first = _refresh(portal, installed_app, installed_app.refresh_token)
    assert first.status_code == 200
    grant = first.json()
    assert {
        "access_token",
        "refresh_token",
        "expires_in",
        "scope",
        "domain",
        "server_endpoint",
        "client_endpoint",
        "member_id",
        "user_id",
        "status",
    } <= set(grant)
    assert grant["client_endpoint"] == f"{portal.url}/rest/"
    assert grant["server_endpoint"] == f"{portal.url}/oauth/rest/"
    assert grant["refresh_token"] != installed_app.refresh_token and grant["user_id"] == 1

    again = _refresh(portal, installed_app, installed_app.refresh_token)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    fresh = requests.get(f"{portal.url}/rest/user.current", params={"auth": grant["access_token"]}, timeout=10)
    assert fresh.status_code == 200 and fresh.json()["result"]["ID"] == "1"
    counts = portal.state()["refreshes"]
    assert (counts["ok"], counts["invalid_grant"]) == (1, 1)


def test_query_string_and_basic_auth_are_accepted(portal: Portal, installed_app: InstalledApp) -> None:
    by_query = requests.get(
        f"{portal.url}/oauth/token/",
        params={
            "grant_type": "refresh_token",
            "client_id": installed_app.client_id,
            "client_secret": installed_app.client_secret,
            "refresh_token": installed_app.refresh_token,
        },
        timeout=10,
    )
    assert by_query.status_code == 200
    by_basic = requests.post(
        f"{portal.url}/oauth/token/",
        data={"grant_type": "refresh_token", "refresh_token": by_query.json()["refresh_token"]},
        auth=(installed_app.client_id, installed_app.client_secret),
        timeout=10,
    )
    assert by_basic.status_code == 200 and by_basic.json()["access_token"]


def test_wrong_client_is_invalid_client(portal: Portal, installed_app: InstalledApp) -> None:
    wrong = requests.post(
        f"{portal.url}/oauth/token/",
        data={
            "grant_type": "refresh_token",
            "client_id": installed_app.client_id,
            "client_secret": "wrong",
            "refresh_token": installed_app.refresh_token,
        },
        timeout=10,
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    # The refresh token was not spent by the refused attempt.
    assert _refresh(portal, installed_app, installed_app.refresh_token).status_code == 200


def test_expired_access_token_then_refresh(portal: Portal, installed_app: InstalledApp) -> None:
    portal.control("tokens/expire")
    expired = requests.get(
        f"{portal.url}/rest/crm.deal.get", params={"auth": installed_app.access_token, "id": 1}, timeout=10
    )
    assert expired.status_code == 401
    assert expired.json()["error"] == "expired_token" and expired.json()["error_description"]
    grant = _refresh(portal, installed_app, installed_app.refresh_token).json()
    ok = requests.get(f"{portal.url}/rest/crm.deal.get", params={"auth": grant["access_token"], "id": 1}, timeout=10)
    assert ok.status_code == 200


def test_short_access_ttl_expires_by_itself(portal: Portal, installed_app: InstalledApp) -> None:
    portal.control("config", {"access_ttl": 0})
    grant = _refresh(portal, installed_app, installed_app.refresh_token).json()
    assert grant["expires_in"] == 0
    answer = requests.get(f"{portal.url}/rest/app.info", params={"auth": grant["access_token"]}, timeout=10)
    assert answer.status_code == 401 and answer.json()["error"] == "expired_token"


def test_server_endpoint_answers_app_info(portal: Portal, installed_app: InstalledApp) -> None:
    answer = requests.post(f"{portal.url}/oauth/rest/app.info", data={"auth": installed_app.access_token}, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["result"]["CODE"] == installed_app.client_id

"""Helpers for the settings-page tests: the app with the settings blueprint, frame posts as the sandbox portal
sends them to the app's own page, and an RQ worker process."""

from __future__ import annotations

import re
import subprocess
import sys

import requests

from tests.support.processes import get_json, post_json


def app_frame(sandbox_url: str, client_id: str, user_id: int = 1, lang: str = "ru") -> dict:
    """What the portal POSTs to the app's page (widgets/_includes/widget_data.md), with a fresh token of `user_id`."""
    state = get_json(sandbox_url + "/_sandbox/state")
    token = post_json(f"{sandbox_url}/_sandbox/apps/{client_id}/tokens", {"user_id": user_id})
    return {"member_id": state["member_id"], "DOMAIN": state["domain"], "PLACEMENT": "DEFAULT",
            "PLACEMENT_OPTIONS": "{}", "LANG": lang, "AUTH_ID": token["access_token"], "PROTOCOL": "0"}


def open_settings(app_url: str, params: dict) -> requests.Response:
    return requests.post(f"{app_url}/settings", data=params, timeout=30)


def frame_token(html: str) -> str:
    """The signed frame token the page put into its forms."""
    found = re.search(r'name="frame" value="([^"]+)"', html)
    assert found, "the page carries no frame token"
    return found.group(1)


def version_of(html: str) -> int:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "the page carries no settings version"
    return int(found.group(1))


def post_form(app_url: str, path: str, token: str, data: dict | None = None, **kw) -> requests.Response:
    return requests.post(f"{app_url}{path}", data={"frame": token, **(data or {})}, timeout=60, **kw)


def base_form(onec_url: str, base: str = "ut", **overrides) -> dict:
    from tests.app.conftest import ONEC_LOGIN, ONEC_PASSWORD

    form = {"name": f"ООО «Ромашка» ({base})", "url": f"{onec_url}/{base}/", "login": ONEC_LOGIN,
            "password": ONEC_PASSWORD, "profile": "ut11" if base == "ut" else "bp30",
            "legal_entity": "ООО «Ромашка»", "legal_entity_inn": "7707083893", "enabled": "1", "action": "save"}
    form.update(overrides)
    return form


def start_worker(env: dict) -> subprocess.Popen:
    """A real RQ worker on the app's queues (b24app worker), in its own process."""
    return subprocess.Popen([sys.executable, "-c", "from b24app.cli import main; main(['worker'])"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop_worker(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate(timeout=5)
    return out or ""

"""batch: references between commands, halt, the 50-command limit, no nesting, one request for the limiter."""

from __future__ import annotations

import requests

from tests.sandbox_portal.conftest import Portal


def test_references_feed_later_commands(portal: Portal) -> None:
    cmd = {
        "deal": "crm.deal.get?id=5",
        "company": "crm.company.get?id=$result[deal][COMPANY_ID]",
        "firsts": "crm.deal.list?filter[>ID]=0&select[]=ID",
        "by_list": "crm.deal.get?id=$result[firsts][2][ID]",
    }
    body = requests.post(portal.webhook() + "batch", json={"halt": 0, "cmd": cmd}, timeout=10).json()
    result = body["result"]
    assert set(result) == {"result", "result_error", "result_total", "result_next", "result_time"}
    assert result["result"]["company"]["ID"] == result["result"]["deal"]["COMPANY_ID"]
    assert result["result"]["by_list"]["ID"] == "3"
    assert result["result_total"]["firsts"] == 10_000 and result["result_next"]["firsts"] == 50
    assert result["result_error"] == []
    assert "time" in body


def test_errors_without_and_with_halt(portal: Portal) -> None:
    cmd = {"bad": "crm.deal.get?id=99999999", "good": "crm.deal.get?id=1"}
    go_on = requests.post(portal.webhook() + "batch", json={"halt": 0, "cmd": cmd}, timeout=10).json()["result"]
    assert go_on["result_error"]["bad"]["error_description"] == "Not found"
    assert go_on["result"]["good"]["ID"] == "1"
    halted = requests.post(portal.webhook() + "batch", json={"halt": 1, "cmd": cmd}, timeout=10).json()["result"]
    assert list(halted["result_error"]) == ["bad"] and halted["result"] == []


def test_form_encoded_batch_with_double_encoding(portal: Portal) -> None:
    data = {
        "halt": "0",
        "cmd[a]": "crm.deal.update?id=3&fields%5BTITLE%5D=%D0%A2%D0%B5%D1%81%D1%82",
        "cmd[b]": "crm.deal.get?id=3",
    }
    result = requests.post(portal.webhook() + "batch", data=data, timeout=10).json()["result"]
    assert result["result"]["a"] is True and result["result"]["b"]["TITLE"] == "Тест"


def test_fifty_is_the_limit_and_nesting_is_refused(portal: Portal) -> None:
    fifty = {f"c{i}": f"crm.deal.get?id={i + 1}" for i in range(50)}
    ok = requests.post(portal.webhook() + "batch", json={"cmd": fifty}, timeout=10)
    assert ok.status_code == 200 and len(ok.json()["result"]["result"]) == 50
    too_many = requests.post(portal.webhook() + "batch", json={"cmd": {**fifty, "c50": "app.info"}}, timeout=10)
    assert too_many.status_code == 400 and too_many.json()["error"] == "ERROR_BATCH_LENGTH_EXCEEDED"
    nested = requests.post(
        portal.webhook() + "batch", json={"cmd": {"inner": "batch?cmd[x]=user.current"}}, timeout=10
    ).json()["result"]
    assert nested["result_error"]["inner"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"


def test_a_batch_counts_once_for_the_limiter(portal: Portal) -> None:
    hook = portal.webhook()
    portal.control("config", {"rate": 0.001, "burst": 3, "reset_limits": True})
    cmd = {f"u{i}": f"crm.deal.update?id={i + 1}&fields[COMMENTS]=x" for i in range(50)}
    answers = [requests.post(hook + "batch", json={"cmd": cmd}, timeout=10) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert requests.post(hook + "batch", json={"cmd": cmd}, timeout=10).status_code == 503

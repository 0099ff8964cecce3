"""The install proof (bitrix/installation.prove_pair) with fakes for the OAuth server, the admin check and the marks:
each branch that refuses, and the one that lets the second request of a genuine install through."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import pytest

from b24app.bitrix.errors import PortalUnavailable
from b24app.bitrix.installation import InstallDeps, InstallRefused, prove_pair
from b24app.bitrix.oauth import OAuthRefreshError
from b24app.bitrix.spent import SpentRefreshTokens
from b24app.bitrix.tokens import TokenUnavailable
from b24app.store.portals import TokenGrant

MEMBER, DOMAIN, ENDPOINT = "m" * 32, "portal.example", "https://portal.example/rest/"


class Marks:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def get(self, scope: str, key: str) -> str | None:
        return self.values.get((scope, key))

    def put(self, scope: str, key: str, value: str = "1") -> None:
        self.values[(scope, key)] = value


class OAuth:
    """Answers each refresh token once, as the real server does (settings/oauth/index.md)."""

    def __init__(self, answers: dict[str, TokenGrant | OAuthRefreshError]) -> None:
        self.answers = answers
        self.spent: list[str] = []

    def refresh(self, token: str) -> TokenGrant:
        if token in self.spent or token not in self.answers:
            raise OAuthRefreshError("invalid_grant", "unknown or used", permanent=True)
        self.spent.append(token)
        answer = self.answers[token]
        if isinstance(answer, OAuthRefreshError):
            raise answer
        return answer


def _grant(member_id: str = MEMBER, endpoint: str | None = ENDPOINT, access: str = "new-access") -> TokenGrant:
    return TokenGrant(access, "new-refresh", datetime.now(UTC) + timedelta(hours=1), client_endpoint=endpoint,
                      server_endpoint="https://oauth.example/rest/", member_id=member_id)


def _deps(oauth: OAuth, marks: Marks, *, admin=lambda endpoint, token: True, lock=None) -> InstallDeps:
    return InstallDeps(portals=None, oauth=oauth, spent_refresh_tokens=SpentRefreshTokens(marks), manifest=None,
                       public_url="https://app.example", allow_insecure_loopback=False, bitrix=None,
                       lock=lock or (lambda member_id: nullcontext()), is_admin=admin)


def test_a_genuine_admin_pair_is_proven_and_its_replay_needs_no_second_refresh():
    marks, oauth = Marks(), OAuth({"r1": _grant()})
    proof = prove_pair(_deps(oauth, marks), MEMBER, DOMAIN, ENDPOINT, "r1")
    assert proof.grant is not None and proof.grant.access_token == "new-access"
    assert proof.grant.client_endpoint == ENDPOINT
    # ONAPPINSTALL carrying the same (now spent) pair: proven by the mark, and its dead pair is not kept.
    again = prove_pair(_deps(oauth, marks), MEMBER, DOMAIN, ENDPOINT, "r1")
    assert again.grant is None and oauth.spent == ["r1"]


def test_a_proven_token_proves_nothing_for_another_member():
    marks, oauth = Marks(), OAuth({"r1": _grant()})
    prove_pair(_deps(oauth, marks), MEMBER, DOMAIN, ENDPOINT, "r1")
    with pytest.raises(InstallRefused, match="proved portal"):
        prove_pair(_deps(oauth, marks), "x" * 32, "other.example", "https://other.example/rest/", "r1")


@pytest.mark.parametrize(("grant", "admin", "why"), [
    (_grant(member_id="other"), True, "belongs to member"),
    (_grant(endpoint="https://evil.example/rest/"), True, "places member"),
    (_grant(endpoint=None), True, "places member"),
    (_grant(), False, "not an administrator"),
])
def test_a_pair_that_fails_a_check_is_refused_and_marked_spent_without_proof(grant, admin, why):
    marks, oauth = Marks(), OAuth({"r1": grant})
    deps = _deps(oauth, marks, admin=lambda endpoint, token: admin)
    with pytest.raises(InstallRefused, match=why) as refused:
        prove_pair(deps, MEMBER, DOMAIN, ENDPOINT, "r1")
    assert refused.value.status == 403
    # Presented again (the token is spent now): refused without asking the OAuth server, never "proven".
    with pytest.raises(InstallRefused, match="proved no installation"):
        prove_pair(deps, MEMBER, DOMAIN, ENDPOINT, "r1")
    assert oauth.spent == ["r1"]


def test_the_admin_check_asks_with_the_new_token_at_the_derived_endpoint():
    asked = []
    marks, oauth = Marks(), OAuth({"r1": _grant()})
    prove_pair(_deps(oauth, marks, admin=lambda endpoint, token: asked.append((endpoint, token)) or True),
               MEMBER, DOMAIN, ENDPOINT, "r1")
    assert asked == [(ENDPOINT, "new-access")]


def test_outages_are_503_so_the_portal_can_retry():
    marks = Marks()
    down = OAuth({"r1": OAuthRefreshError("unreachable", "timeout", permanent=False)})
    with pytest.raises(InstallRefused) as refused:
        prove_pair(_deps(down, marks), MEMBER, DOMAIN, ENDPOINT, "r1")
    assert refused.value.status == 503

    def portal_down(endpoint: str, token: str) -> bool:
        raise PortalUnavailable("", "down", "user.admin", 503)

    with pytest.raises(InstallRefused) as refused:
        prove_pair(_deps(OAuth({"r2": _grant()}), marks, admin=portal_down), MEMBER, DOMAIN, ENDPOINT, "r2")
    assert refused.value.status == 503

    def busy(member_id: str):
        raise TokenUnavailable(member_id, "another process is still spending a token", permanent=False)

    with pytest.raises(InstallRefused) as refused:
        prove_pair(_deps(OAuth({"r3": _grant()}), marks, lock=busy), MEMBER, DOMAIN, ENDPOINT, "r3")
    assert refused.value.status == 503


def test_a_token_spent_by_a_routine_refresh_proves_nothing():
    marks = Marks()
    SpentRefreshTokens(marks).mark("r1")
    with pytest.raises(InstallRefused, match="proved no installation"):
        prove_pair(_deps(OAuth({"r1": _grant()}), marks), MEMBER, DOMAIN, ENDPOINT, "r1")

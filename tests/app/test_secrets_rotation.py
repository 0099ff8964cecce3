"""Rotating B24APP_SECRET_KEY over the real database (SQLite, and PostgreSQL in the second run): secrets written
with key A through the real stores still read once the deployment runs on key B with A listed as old;
`b24app secrets rotate` (the CLI entry point) re-encrypts them, after which A can be dropped; a value written
with a key nobody configured is reported by row id, its row left as it was, and the command fails; `/healthz`
answers 503 with a wrong key and 200 with the right one. No output ever carries a key or a secret."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from b24app.cli import main
from b24app.config import Settings
from b24app.runtime import Runtime
from b24app.store.crypto import SecretBox
from b24app.store.models import OneCBaseRow, Portal
from b24app.store.portals import TokenGrant
from b24app.store.rekey import ENCRYPTED_COLUMNS
from b24app.web import create_app
from b24app.web.health import SECRETS_FAILED
from tests.app.conftest import REDIS_URL

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]
KEY_A, KEY_B, KEY_UNKNOWN = (secrets.token_urlsafe(32) for _ in range(3))
PORTALS = 5  # with --batch-size 2: three batches, the last one short


@dataclass(frozen=True)
class Written:
    """What the install-like rows hold in plain text, to compare after every step."""

    tokens: dict[str, tuple[str, str, str]]  # member_id -> access, refresh, application_token
    passwords: dict[tuple[str, int], str]  # (member_id, base id) -> password

    def plaintexts(self) -> list[str]:
        return [v for t in self.tokens.values() for v in t] + list(self.passwords.values())


def _runtime(database_url: str, key: str, old: tuple[str, ...] = ()) -> Runtime:
    return Runtime(Settings(database_url=database_url, redis_url=REDIS_URL, secret_key=key, old_secret_keys=old))


@pytest.fixture
def runtimes(database_url):
    made: list[Runtime] = []

    def make(key: str, old: tuple[str, ...] = ()) -> Runtime:
        made.append(_runtime(database_url, key, old))
        return made[-1]

    yield make
    for rt in made:
        rt.close()


def _install_like(rt: Runtime, n: int = PORTALS) -> Written:
    """Rows as installs and the settings page write them: tokens and application_token per portal, a 1C base with
    its password on every other portal, and one portal uninstalled (its secrets gone)."""
    tokens, passwords = {}, {}
    for i in range(n):
        member = f"{i:02d}" + secrets.token_hex(15)
        access, refresh, app_token = (f"{what}-{i}-" + secrets.token_hex(8) for what in ("access", "refresh", "app"))
        grant = TokenGrant(access, refresh, datetime.now(UTC) + timedelta(hours=1), scope="crm")
        rt.portals.save_install(member, f"p{i}.bitrix24.ru", f"https://p{i}.bitrix24.ru/rest/", grant, lang="ru")
        rt.portals.save_application_token(member, app_token, domain=f"p{i}.bitrix24.ru",
                                          client_endpoint=f"https://p{i}.bitrix24.ru/rest/", server_endpoint=None)
        tokens[member] = (access, refresh, app_token)
        if i % 2 == 0:
            password = f"пароль-{i}-" + secrets.token_hex(4)
            base = rt.bases.save(member, name=f"УТ {i}", url=f"https://1c{i}.example/ut/", login="Администратор",
                                 password=password, profile="ut11")
            passwords[(member, base.id)] = password
    gone = "zz" + secrets.token_hex(15)
    rt.portals.save_install(gone, "gone.bitrix24.ru", "https://gone.bitrix24.ru/rest/",
                            TokenGrant("a", "r", datetime.now(UTC) + timedelta(hours=1)))
    rt.portals.mark_uninstalled(gone)
    return Written(tokens, passwords)


def _assert_reads(rt: Runtime, written: Written) -> None:
    for member, (access, refresh, app_token) in written.tokens.items():
        record = rt.portals.require(member)
        assert (record.access_token, record.refresh_token, record.application_token) == (access, refresh, app_token)
    for (member, base_id), password in written.passwords.items():
        assert rt.bases.connection(member, base_id).password == password


def _stored(rt: Runtime) -> dict[tuple[str, int, str], str]:
    """Every stored ciphertext by (table, row id, column), straight from the tables."""
    out = {}
    with rt.db.transaction() as s:
        for table, columns in ENCRYPTED_COLUMNS:
            for row in s.execute(select(table.c.id, *(table.c[c] for c in columns))):
                out.update({(table.name, row.id, c): getattr(row, c) for c in columns if getattr(row, c)})
    return out


def _cli(monkeypatch, capsys, key: str, old: tuple[str, ...], *argv: str) -> tuple[int, str, str]:
    """`b24app <argv>` through the console script's main, with the deployment's environment."""
    monkeypatch.setenv("B24APP_SECRET_KEY", key)
    monkeypatch.setenv("B24APP_OLD_SECRET_KEYS", ",".join(old))
    capsys.readouterr()
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli(database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("B24APP_OLD_SECRET_KEYS", raising=False)
    return lambda key, old, *argv: _cli(monkeypatch, capsys, key, old, *argv)


def _assert_no_secret(text: str, written: Written, *extra: str) -> None:
    for secret in (KEY_A, KEY_B, KEY_UNKNOWN, *written.plaintexts(), *extra):
        assert secret not in text


def test_rotation_keeps_everything_readable_and_lets_the_old_key_go(runtimes, cli):
    written = _install_like(runtimes(KEY_A))
    before = _stored(runtimes(KEY_A))
    assert len(before) == PORTALS * 3 + len(written.passwords)

    # The deployment moved to key B, A listed as old: everything reads; new writes use B.
    on_b = runtimes(KEY_B, (KEY_A,))
    _assert_reads(on_b, written)
    first = next(iter(written.tokens))
    access, refresh = "access-new-" + secrets.token_hex(8), "refresh-new-" + secrets.token_hex(8)
    on_b.portals.save_tokens(first, TokenGrant(access, refresh, datetime.now(UTC) + timedelta(hours=1)))
    written.tokens[first] = (access, refresh, written.tokens[first][2])
    b_only = SecretBox(KEY_B)
    stored = _stored(on_b)
    first_id = _portal_id(on_b, first)
    assert {k for k, v in stored.items() if b_only.is_current(v)} == {
        ("portals", first_id, "access_token_enc"), ("portals", first_id, "refresh_token_enc")}

    # check: read-only, counts per column.
    code, out, err = cli(KEY_B, (KEY_A,), "secrets", "check")
    assert code == 0, err
    assert f"portals.access_token_enc: 1 with the current key, {PORTALS - 1} with an old key, 0 cannot be " \
           "decrypted" in out
    assert f"onec_bases.password_enc: 0 with the current key, {len(written.passwords)} with an old key" in out
    assert "run `b24app secrets rotate`" in out
    assert _stored(on_b) == stored

    # rotate: in batches of 2, then everything is B's.
    updated_before = _updated_at(on_b)
    code, out, err = cli(KEY_B, (KEY_A,), "secrets", "rotate", "--batch-size", "2")
    assert code == 0, err
    lines = out.splitlines()
    assert f"portals.access_token_enc: {PORTALS - 1} re-encrypted, 1 already current" in lines
    assert f"portals.refresh_token_enc: {PORTALS - 1} re-encrypted, 1 already current" in lines
    assert f"portals.application_token_enc: {PORTALS} re-encrypted, 0 already current" in lines
    assert f"onec_bases.password_enc: {len(written.passwords)} re-encrypted, 0 already current" in lines
    assert "B24APP_OLD_SECRET_KEYS can be emptied" in out
    _assert_no_secret(out + err, written)
    assert all(b_only.is_current(v) for v in _stored(on_b).values())
    assert _updated_at(on_b) == updated_before  # re-encrypting is not a change of the portal or the base

    # Idempotent: a second run finds everything current and writes nothing.
    rotated = _stored(on_b)
    code, out, _ = cli(KEY_B, (KEY_A,), "secrets", "rotate")
    assert code == 0
    assert f"portals.access_token_enc: 0 re-encrypted, {PORTALS} already current" in out.splitlines()
    assert _stored(on_b) == rotated

    # A dropped: everything still reads, and check agrees.
    _assert_reads(runtimes(KEY_B), written)
    code, out, err = cli(KEY_B, (), "secrets", "check")
    assert code == 0, err
    assert f"onec_bases.password_enc: {len(written.passwords)} with the current key, 0 with an old key" in out


def _portal_id(rt: Runtime, member_id: str) -> int:
    with rt.db.transaction() as s:
        return s.scalar(select(Portal.id).where(Portal.member_id == member_id))


def _updated_at(rt: Runtime) -> dict[tuple[str, int], datetime]:
    with rt.db.transaction() as s:
        return {**{("portals", r.id): r.updated_at for r in s.execute(select(Portal.id, Portal.updated_at))},
                **{("onec_bases", r.id): r.updated_at for r in s.execute(select(OneCBaseRow.id,
                                                                                OneCBaseRow.updated_at))}}


def test_a_value_no_key_can_read_is_reported_by_row_and_left_as_it_was(runtimes, cli, database_url):
    written = _install_like(runtimes(KEY_A))
    on_b = runtimes(KEY_B, (KEY_A,))
    members = list(written.tokens)
    # One portal's application_token and one base's password written with a key the deployment does not know;
    # the rest of those rows stays on A, so rotating them alone would half-rotate the row.
    stranger = SecretBox(KEY_UNKNOWN)
    foreign_token, foreign_password = "app-" + secrets.token_hex(8), "pw-" + secrets.token_hex(8)
    (base_member, base_id), _ = next(iter(written.passwords.items()))
    portal_id = _portal_id(on_b, members[1])
    with on_b.db.transaction() as s:
        s.execute(update(Portal).where(Portal.id == portal_id)
                  .values(application_token_enc=stranger.encrypt(foreign_token)))
        s.execute(update(OneCBaseRow).where(OneCBaseRow.id == base_id)
                  .values(password_enc=stranger.encrypt(foreign_password)))
    before = _stored(on_b)

    # The console script in its own process: the exit status and the two streams as an operator sees them.
    env = {**os.environ, "DATABASE_URL": database_url, "B24APP_SECRET_KEY": KEY_B, "B24APP_OLD_SECRET_KEYS": KEY_A}
    done = subprocess.run([sys.executable, "-m", "b24app.cli", "secrets", "rotate", "--batch-size", "2"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert f"  portals: {portal_id}" in done.stderr.splitlines()
    assert f"  onec_bases: {base_id}" in done.stderr.splitlines()
    assert "B24APP_OLD_SECRET_KEYS" in done.stderr
    assert "portals.application_token_enc: 4 re-encrypted, 0 already current, 1 cannot be decrypted" in done.stdout
    assert ("portals.access_token_enc: 4 re-encrypted, 0 already current, 1 left on an old key (another value of "
            "the row cannot be decrypted)") in done.stdout
    _assert_no_secret(done.stdout + done.stderr, written, foreign_token, foreign_password,
                      *before.values())

    # Nothing half-written: both rows hold exactly what they held; every other row is B's now.
    after = _stored(on_b)
    untouched = {k for k in before if k[:2] in {("portals", portal_id), ("onec_bases", base_id)}}
    assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}
    b_only = SecretBox(KEY_B)
    assert all(b_only.is_current(v) for k, v in after.items() if k not in untouched)

    # check says the same, read-only; with the stranger's key listed as old, rotate completes.
    code, out, err = cli(KEY_B, (KEY_A,), "secrets", "check")
    assert code == 1 and f"  portals: {portal_id}" in err
    assert _stored(on_b) == after
    code, out, err = cli(KEY_B, (KEY_A, KEY_UNKNOWN), "secrets", "rotate")
    assert code == 0, err
    assert all(b_only.is_current(v) for v in _stored(on_b).values())
    assert runtimes(KEY_B).portals.require(members[1]).application_token == foreign_token
    assert runtimes(KEY_B).bases.connection(base_member, base_id).password == foreign_password


def _healthz(rt: Runtime) -> tuple[int, dict, str]:
    r = create_app(context=rt).test_client().get("/healthz")
    return r.status_code, r.get_json(), r.get_data(as_text=True)


def test_healthz_names_a_wrong_key(runtimes, redis_client):
    # Nothing stored yet: nothing to decrypt, and that is healthy.
    assert _healthz(runtimes(KEY_B))[:2] == (200, {"ok": True, "database": "ok", "redis": "ok", "secrets": "ok"})
    written = _install_like(runtimes(KEY_A))

    status, body, text = _healthz(runtimes(KEY_B))  # A forgotten: every page would fail
    assert (status, body) == (503, {"ok": False, "database": "ok", "redis": "ok", "secrets": SECRETS_FAILED})
    _assert_no_secret(text, written)
    assert _healthz(runtimes(KEY_B, (KEY_A,)))[:2] == (200, {"ok": True, "database": "ok", "redis": "ok",
                                                            "secrets": "ok"})
    assert _healthz(runtimes(KEY_A))[0] == 200

    # A portal installed after the key went wrong reads fine with it; the older rows still do not.
    wrong = runtimes(KEY_UNKNOWN)
    wrong.portals.save_install("n" * 32, "new.bitrix24.ru", "https://new.bitrix24.ru/rest/",
                               TokenGrant("a", "r", datetime.now(UTC) + timedelta(hours=1)))
    assert _healthz(wrong)[:2] == (503, {"ok": False, "database": "ok", "redis": "ok", "secrets": SECRETS_FAILED})


def test_healthz_reads_base_passwords_when_no_portal_holds_a_secret(runtimes, redis_client):
    rt = runtimes(KEY_A)
    member = "b" * 32
    rt.portals.save_install(member, "b.bitrix24.ru", "https://b.bitrix24.ru/rest/", None)
    rt.bases.save(member, name="БП", url="https://1c.example/bp/", login="Администратор", password="пароль",
                  profile="bp30")
    assert _healthz(rt)[0] == 200
    assert _healthz(runtimes(KEY_B))[:2] == (503, {"ok": False, "database": "ok", "redis": "ok",
                                                   "secrets": SECRETS_FAILED})

"""Secret-key rotation in the SecretBox: old keys still decrypt, new writes use the current key only, and the error
for a value no key can read names the remedy and nothing secret. Plus the guard that keeps the list of encrypted
columns (`store/rekey.ENCRYPTED_COLUMNS`) complete."""

from __future__ import annotations

import ast
import secrets
import traceback
from pathlib import Path

import pytest

from b24app.cli import build_parser
from b24app.config import ConfigError, Settings
from b24app.store.crypto import SecretBox, SecretDecryptError
from b24app.store.models import Base
from b24app.store.rekey import ENCRYPTED_COLUMNS, ColumnCount, Report, problem_lines, rotate_lines

APP = Path(__file__).resolve().parents[2] / "b24app"


def _key() -> str:
    return secrets.token_urlsafe(32)


def test_an_old_key_still_decrypts_what_it_wrote():
    old, new = _key(), _key()
    written = SecretBox(old).encrypt("refresh-токен")
    assert SecretBox(new, [old]).decrypt(written) == "refresh-токен"
    assert SecretBox(new, [_key(), old]).decrypt(written) == "refresh-токен"  # any position in the list
    with pytest.raises(SecretDecryptError):
        SecretBox(new).decrypt(written)


def test_new_writes_use_the_current_key_only():
    old, new = _key(), _key()
    written = SecretBox(new, [old]).encrypt("пароль 1С")
    assert SecretBox(new).decrypt(written) == "пароль 1С"
    with pytest.raises(SecretDecryptError):
        SecretBox(old).decrypt(written)


def test_rotate_re_encrypts_with_the_current_key_and_is_current_tells_which():
    old, new = _key(), _key()
    written = SecretBox(old).encrypt("access")
    box = SecretBox(new, [old])
    assert not box.is_current(written)
    rotated = box.rotate(written)
    assert rotated != written and box.is_current(rotated)
    assert SecretBox(new).decrypt(rotated) == "access"
    with pytest.raises(SecretDecryptError):
        SecretBox(_key(), [_key()]).rotate(written)


def test_the_current_key_listed_as_old_and_empty_entries_change_nothing():
    key = _key()
    box = SecretBox(key, [key, "", key])
    assert box.is_current(box.encrypt("x")) and box.decrypt(box.encrypt("x")) == "x"
    assert box.decrypt(None) is None and box.encrypt(None) is None


def test_the_error_for_a_wrong_key_names_the_remedy_and_nothing_secret():
    written_with, current, old = _key(), _key(), _key()
    plaintext = "the-refresh-token-" + secrets.token_hex(8)
    ciphertext = SecretBox(written_with).encrypt(plaintext)
    with pytest.raises(SecretDecryptError) as caught:
        SecretBox(current, [old]).decrypt(ciphertext)
    message = str(caught.value)
    assert "B24APP_SECRET_KEY" in message and "B24APP_OLD_SECRET_KEYS" in message
    # The whole traceback, as a log would show it, holds no key, no ciphertext and no plaintext.
    shown = "".join(traceback.format_exception(caught.value))
    for secret in (written_with, current, old, ciphertext, ciphertext[:20], plaintext):
        assert secret not in shown


@pytest.mark.parametrize("garbage", ["", "not a token", "пароль", "gAAAAAB" + "A" * 80])
def test_a_value_altered_by_hand_is_a_decrypt_error(garbage: str):
    box = SecretBox(_key())
    with pytest.raises(SecretDecryptError):
        box.decrypt(garbage)
    assert not box.is_current(garbage)


def test_serving_refuses_a_short_old_key_without_showing_it():
    settings = Settings(database_url="sqlite://", secret_key=_key(), client_id="id", client_secret="secret",
                        old_secret_keys=(_key(), "short-old-key"))
    with pytest.raises(ConfigError) as caught:
        settings.require_production_ready()
    assert "B24APP_OLD_SECRET_KEYS" in str(caught.value) and "short-old-key" not in str(caught.value)
    Settings(database_url="sqlite://", secret_key=_key(), client_id="id", client_secret="secret",
             old_secret_keys=(_key(),)).require_production_ready()


# -- the list of encrypted columns --------------------------------------------------------------------------------

def _listed() -> set[tuple[str, str]]:
    return {(table.name, column) for table, columns in ENCRYPTED_COLUMNS for column in columns}


def test_every_encrypted_column_of_the_models_is_rotated():
    """Models name the columns holding SecretBox ciphertexts `*_enc`: each must be in ENCRYPTED_COLUMNS, or
    `secrets rotate` would leave it on the old key and dropping that key would lose it."""
    in_models = {(table.name, column.name) for table in Base.metadata.tables.values()
                 for column in table.columns if column.name.endswith("_enc")}
    assert in_models == _listed()


def _encrypted_assignments() -> set[str]:
    """Attribute names assigned the result of an `….encrypt(…)` call anywhere in the app."""
    names: set[str] = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Assign | ast.AnnAssign):
                continue
            value = node.value
            if (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                    and value.func.attr == "encrypt"):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.attr for t in targets if isinstance(t, ast.Attribute))
    return names


def test_every_column_the_stores_encrypt_into_is_listed_and_named_enc():
    """The other way round: a store writing `row.x = box.encrypt(...)` into a column not named `*_enc` would
    escape the naming check above."""
    assigned = _encrypted_assignments()
    assert assigned, "the stores' encrypt calls were not found: this test's reading of the source is stale"
    listed_columns = {column for _, column in _listed()}
    assert assigned <= listed_columns, assigned - listed_columns


def test_the_report_names_columns_and_ids_never_values():
    report = Report([ColumnCount("portals", "access_token_enc", current=3, old=12),
                     ColumnCount("onec_bases", "password_enc", failed=1, kept_old=0)],
                    undecryptable={"onec_bases": [7]})
    assert rotate_lines(report)[0] == "portals.access_token_enc: 12 re-encrypted, 3 already current"
    assert rotate_lines(report)[1] == ("onec_bases.password_enc: 0 re-encrypted, 0 already current, "
                                       "1 cannot be decrypted")
    assert "  onec_bases: 7" in problem_lines(report, rotating=True)
    assert not report.ok


def test_the_secrets_commands_parse():
    args = build_parser().parse_args(["secrets", "rotate", "--batch-size", "50"])
    assert (args.secrets_command, args.batch_size) == ("rotate", 50)
    assert build_parser().parse_args(["secrets", "check"]).secrets_command == "check"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["secrets", "rotate", "--batch-size", "0"])

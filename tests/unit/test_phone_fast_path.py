"""The fast path of `normal_phone` gives phonenumbers' own answer for every way a Russian number is typed, and
leaves everything else (other countries, "8 10" international dialling, extensions, letters) to phonenumbers."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from b24app.core.counterparty_keys import _russian_e164, normal_phone

pytestmark = pytest.mark.unit


def _reference(raw: str) -> str | None:
    try:
        parsed = phonenumbers.parse(raw, "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


TYPED = ["+7 (495) 123-45-67", "8 495 1234567", "84951234567", "4951234567", "+74951234567", "7 495 123 45 67",
         "8-800-555-35-35", "(495) 123-45-67", "+7495123456", "+749512345678", "123", "", "+1 202 555 0100",
         "+380441234567", "8 (916) 123.45.67", "9161234567", "79161234567", "++79161234567",
         "8 916 1234567 доб. 12", " +7 9161234567", "81038856558", "8103554697", "+7 916 123-45-67 (моб.)"]


def test_typed_numbers_match_phonenumbers():
    for raw in TYPED:
        assert normal_phone(raw) == _reference(raw), raw


def test_random_digit_strings_match_phonenumbers_where_the_fast_path_answers():
    rng = random.Random(7)
    answered = 0
    for _ in range(5000):
        raw = rng.choice(["", "+", "8", "7", "+7", " +7 ", "("]) + "".join(
            rng.choice("0123456789") for _ in range(rng.choice([9, 10, 11, 12])))
        fast = _russian_e164(raw)
        answered += fast is not None
        assert normal_phone(raw) == _reference(raw), raw
        if fast is not None:
            assert fast == _reference(raw), raw
    assert answered > 1000  # the fast path is the common path, not a corner

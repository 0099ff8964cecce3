"""Russian taxpayer numbers (ИНН) and registration-reason codes (КПП) for seeded counterparties.

Check digits follow the public ИНН algorithm (the same one python-stdnum's `stdnum.ru.inn` validates):
a legal entity's ИНН has 10 digits, an individual's (ИП, физлицо) 12.
"""

from __future__ import annotations

import random

_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


def _region(rng: random.Random) -> str:
    return rng.choice(("77", "78", "50", "16", "66", "54", "23", "52", "63", "74"))


def legal_inn(rng: random.Random) -> str:
    """A valid 10-digit ИНН of an organization."""
    body = _region(rng) + f"{rng.randrange(10**7):07d}"
    return body + _check(body, _W10)


def person_inn(rng: random.Random) -> str:
    """A valid 12-digit ИНН of an individual."""
    body = _region(rng) + f"{rng.randrange(10**8):08d}"
    body += _check(body, _W11)
    return body + _check(body, _W12)


def broken(inn: str) -> str:
    """The same ИНН with a wrong last check digit: what a typo in a real base looks like."""
    return inn[:-1] + str((int(inn[-1]) + 1) % 10)


def kpp_for(inn: str, branch: int = 1) -> str:
    """КПП = tax office code (first 4 digits of the ИНН) + reason 01 + branch number."""
    return f"{inn[:4]}01{branch:03d}"

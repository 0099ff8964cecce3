"""Matching 1C counterparties with CRM cards before the first load (b24app/core/counterparty_match.py).

    python bench/counterparty_match.py [--parties 100000] [--fast]

Generates `--parties` 1C counterparties and as many CRM cards, the way a company's two lists differ: most share
INN and KPP, some are branches (same INN, another KPP), sole proprietors by INN, individuals by phone, names typed
differently ("ООО «Ромашка»" / "Ромашка ООО"), duplicates on both sides, invalid INNs, and new clients only 1C
knows; every card carries a phone and an e-mail, typed differently on each side. Prints the CPU seconds of one
match (time.process_time; target under 5 s at 100,000 × 100,000), the counts per kind, and a last line of
key=value. `--fast`: 10,000 × 10,000.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stdnum.ru import inn as inn_check  # noqa: E402

from b24app.core.counterparty_match import Party, match  # noqa: E402

TARGET_SECONDS = 5.0
WORDS = ("Ромашка", "Вектор", "Север", "Альфа", "Гранит", "Стройресурс", "Техносфера", "Меридиан", "Орион", "Вега",
         "Профиль", "Капитал", "Импульс", "Лидер", "Монолит", "Сигма", "Дельта", "Феникс", "Атлант", "Базис",
         "Кристалл", "Энергия", "Прогресс", "Гарант", "Восход", "Заря", "Исток", "Ладога", "Байкал", "Урал")
FORMS = ("ООО «{}»", "{} ООО", "ООО {}", "АО «{}»", "Общество с ограниченной ответственностью «{}»")


def company_inn(rng: random.Random) -> str:
    body = "77" + "".join(str(rng.randrange(10)) for _ in range(7))
    return body + inn_check.calc_company_check_digit(body)


def person_inn(rng: random.Random) -> str:
    body = "50" + "".join(str(rng.randrange(10)) for _ in range(8))
    return body + inn_check.calc_personal_check_digits(body)


def generate(count: int, seed: int = 7) -> tuple[list[Party], list[Party]]:
    rng = random.Random(seed)
    onec: list[Party] = []
    crm: list[Party] = []
    for n in range(count):
        base = f"{rng.choice(WORDS)} {rng.choice(WORDS)}-{n}"
        roll = rng.random()
        if roll < 0.6:  # the same legal entity on both sides
            inn, kpp = company_inn(rng), f"7701{rng.randrange(1, 99):02d}001"
            onec.append(Party(f"1c-{n}", rng.choice(FORMS).format(base), inn, kpp))
            crm.append(Party(f"company:{n}", rng.choice(FORMS).format(base), inn, kpp))
        elif roll < 0.65:  # a branch: same INN, another KPP
            inn = company_inn(rng)
            onec.append(Party(f"1c-{n}", f"{base} (филиал)", inn, "784201001"))
            crm.append(Party(f"company:{n}", base, inn, "770101001"))
        elif roll < 0.72:  # a sole proprietor
            inn = person_inn(rng)
            onec.append(Party(f"1c-{n}", f"ИП {base}", inn))
            crm.append(Party(f"company:{n}", f"{base} ИП", inn))
        elif roll < 0.8:  # an individual without INN, known by phone
            phone = f"+7916{rng.randrange(10**7):07d}"
            onec.append(Party(f"1c-{n}", base, phones=(phone,)))
            crm.append(Party(f"contact:{n}", base.split()[0], phones=("8" + phone[2:],)))
        elif roll < 0.88:  # the CRM card was made by hand, without INN: only the name tells
            onec.append(Party(f"1c-{n}", rng.choice(FORMS).format(base), company_inn(rng), "770101001"))
            crm.append(Party(f"company:{n}", base))
        elif roll < 0.9:  # an invalid INN typed into 1C
            onec.append(Party(f"1c-{n}", base, "7707083894", "770701001"))
            crm.append(Party(f"company:{n}", f"{base} другое"))
        else:  # a client only 1C knows
            onec.append(Party(f"1c-{n}", rng.choice(FORMS).format(base + " новый"), company_inn(rng), "770101001"))
            crm.append(Party(f"company:{n}", f"Совсем другой {n}"))
    # Every card carries a phone and an e-mail, as real ones do, typed differently on each side: normalising them is
    # part of the cost.
    onec = [dataclasses.replace(p, phones=p.phones or (f"+7 (495) {n % 1000:03d}-{n // 1000 % 100:02d}-{n % 97:02d}",),
                                emails=(f"info{n}@example.ru",)) for n, p in enumerate(onec)]
    crm = [dataclasses.replace(p, phones=p.phones or (f"8495{n % 1000:03d}{n // 1000 % 100:02d}{n % 97:02d}",),
                               emails=(f"Info{n}@Example.ru",)) for n, p in enumerate(crm)]
    for n in range(0, count // 100):  # duplicates inside each side
        onec.append(Party(f"1c-dup-{n}", onec[n].name, onec[n].inn, onec[n].kpp, onec[n].phones))
        crm.append(Party(f"company:dup-{n}", crm[n].name, crm[n].inn, crm[n].kpp, crm[n].phones))
    return onec, crm


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--parties", type=int, default=100_000)
    p.add_argument("--fast", action="store_true", help="10,000 × 10,000")
    options = p.parse_args(argv)
    count = min(options.parties, 10_000) if options.fast else options.parties
    onec, crm = generate(count)
    started, wall = time.process_time(), time.perf_counter()
    report = match(onec, crm)
    cpu, seconds = time.process_time() - started, time.perf_counter() - wall
    counts = report.counts()
    print(f"{len(onec)} 1C counterparties × {len(crm)} CRM cards: {cpu:.2f} s CPU ({seconds:.2f} s wall), target "
          f"under {TARGET_SECONDS:g} s at 100,000")
    for name, value in counts.items():
        print(f"  {name:<16} {value}")
    print(" ".join([f"cpu_seconds={cpu:.2f}", f"target={TARGET_SECONDS:g}", f"ratio={cpu / TARGET_SECONDS:.3f}",
                    f"parties={count}"] + [f"{k}={v}" for k, v in counts.items()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

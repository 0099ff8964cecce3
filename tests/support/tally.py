"""Counting the attacks of the hostile-portal suite, for the line it prints at the end of the run."""

from __future__ import annotations

import pytest


class Tally:
    def __init__(self) -> None:
        self.tried = 0
        self.refused = 0
        self.let_through: list[str] = []

    def record(self, name: str, refused: bool) -> bool:
        self.tried += 1
        if refused:
            self.refused += 1
        else:
            self.let_through.append(name)
        return refused

    def summary(self) -> str:
        line = f"hostile portal suite: {self.tried} attacks tried, {self.refused} refused"
        if self.let_through:
            line += f"; let through: {', '.join(self.let_through)}"
        return line


KEY = pytest.StashKey[Tally]()


def tally_of(config: pytest.Config) -> Tally:
    """The run's tally, made on first use."""
    if KEY not in config.stash:
        config.stash[KEY] = Tally()
    return config.stash[KEY]

"""The test pyramid's layers as markers, from where a test lives: `tests/unit` holds the domain rules alone
(`-m unit` runs in seconds with no service started); everything else talks to real Redis, a real database and the
sandbox servers (`integration`), and the browser tests drive chromium on top (`browser`)."""

from __future__ import annotations

from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent / "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.unit if UNIT in Path(item.fspath).parents else pytest.mark.integration)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # noqa: ANN001 - pytest's reporter
    """The hostile-portal suite's count of attacks tried and refused, when it ran."""
    from tests.support.tally import KEY

    if KEY in config.stash:
        terminalreporter.write_line(config.stash[KEY].summary())

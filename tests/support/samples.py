"""Where the real samples are: ARCHITECTURE.md puts them in ../shared/samples/, next to the repository, and tests
read them there (they are not copied into the repository); `B24APP_SAMPLES_DIR` names another place. A test that
needs them is skipped, with the place it looked, when they are absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]


def samples_dir(kind: str) -> Path:
    root = os.environ.get("B24APP_SAMPLES_DIR")
    return (Path(root) if root else REPOSITORY.parent / "shared" / "samples") / kind


def needs(path: Path) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not path.is_dir(), reason=f"the real samples are not at {path} (../shared/samples/)")

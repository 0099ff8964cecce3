"""How the app addresses one 1C base."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OneCBase:
    """One published 1C base.

    `url` is the publication root (e.g. `http://host/ut/`); the standard interface lives under
    `<url>/odata/standard.odata/` (platform docs 17.4.2, repo hacker-cb/1c-odata). `profile` is a
    shipped profile name or a path to a profile file; `name` labels the base in errors and reports.
    """

    url: str
    login: str
    password: str = field(repr=False)
    profile: str = "ut11"
    name: str = ""

    @property
    def service_root(self) -> str:
        return self.url.rstrip("/") + "/odata/standard.odata/"

    @property
    def label(self) -> str:
        return self.name or self.url

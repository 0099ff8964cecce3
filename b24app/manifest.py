"""The app's registration read from manifest/app.toml: scopes, paths, placements and events."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MANIFEST_PATH = Path(__file__).resolve().parent.parent / "manifest" / "app.toml"


@dataclass(frozen=True)
class Placement:
    placement: str
    path: str
    title_ru: str
    title_en: str
    description_ru: str
    description_en: str

    def title(self, lang: str) -> str:
        return self.title_ru if lang == "ru" else self.title_en


@dataclass(frozen=True)
class EventBinding:
    event: str
    offline: bool = False


@dataclass(frozen=True)
class Manifest:
    code: str
    name_ru: str
    name_en: str
    version: str
    scopes: tuple[str, ...]
    install_path: str
    handler_path: str
    events_path: str
    placements: tuple[Placement, ...]
    events: tuple[EventBinding, ...]

    def placement(self, name: str) -> Placement | None:
        return next((p for p in self.placements if p.placement == name), None)


def parse_manifest(data: dict) -> Manifest:
    app, paths = data["app"], data["paths"]
    return Manifest(
        code=app["code"],
        name_ru=app["name_ru"],
        name_en=app["name_en"],
        version=str(app["version"]),
        scopes=tuple(app["scopes"]),
        install_path=paths["install"],
        handler_path=paths["handler"],
        events_path=paths["events"],
        placements=tuple(Placement(**p) for p in data.get("placements", [])),
        events=tuple(EventBinding(**e) for e in data.get("events", [])),
    )


@lru_cache(maxsize=4)
def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    with path.open("rb") as fh:
        return parse_manifest(tomllib.load(fh))

"""Extract metadata facts of a 1C configuration from a public Designer XML dump kept in a bare git repository.

    python -m b24sandbox.onec.facts.extract --repo /work/.mirror/kassya20+ut/repo --commit 81c5424 \\
        --out sandboxes/b24sandbox/onec/facts/data/ut-11.5.27.56.json.gz

Reads the commit straight from git (no work tree), writes one gzip JSON file: where the facts come from, the
configuration's name and version, and per object of the kinds in `designer_xml.KIND_FOLDERS` its flags,
attributes (types as written and resolved through defined types), tabular sections, register dimensions and
resources, enum values. The facts are data about the configuration, never its code. SOURCES.md lists the
exact command for every file in data/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from b24sandbox.onec.facts import designer_xml
from b24sandbox.onec.facts.designer_xml import COMMON_ATTRIBUTE_FOLDER, KIND_FOLDERS, Facts
from b24sandbox.onec.facts.gitread import GitSnapshot

SCHEMA = 1
CONFIGURATION_FILE = "Configuration.xml"
# An EDT project keeps one folder per object and `.mdo` files; its defaults are omitted from the files,
# so reading it like a Designer dump would invent facts. Detected and refused.
EDT_MARKER = "Configuration/Configuration.mdo"
QUALIFIER_KEYS = ("length", "fixed_length", "digits", "fraction", "nonnegative", "date_fractions")
# Type-set prefixes that name another object's type list rather than a type.
_DEFINED = "cfg:DefinedType."
_CHARACTERISTIC = "cfg:Characteristic."


class ExtractError(RuntimeError):
    """The commit holds no Designer XML dump we can read."""


# --------------------------------------------------------------------------------------------- locating the dump


def find_root(paths: list[str], root: str | None = None) -> str:
    """The folder (with trailing slash, "" for the top) holding the dump's Configuration.xml."""
    if root is not None:
        root = root.strip("/")
        return f"{root}/" if root else ""
    candidates = sorted((p[: -len(CONFIGURATION_FILE)] for p in paths
                         if p == CONFIGURATION_FILE or p.endswith("/" + CONFIGURATION_FILE)),
                        key=lambda folder: folder.count("/"))
    # Extensions dumped next to the main configuration sit deeper; the shallowest one is the configuration.
    if not candidates:
        if any(p == EDT_MARKER or p.endswith("/" + EDT_MARKER) for p in paths):
            raise ExtractError("this is an EDT project (Configuration/Configuration.mdo); only Designer XML "
                               "dumps are supported")
        raise ExtractError("no Configuration.xml in this commit")
    if len(candidates) > 1 and candidates[0].count("/") == candidates[1].count("/"):
        raise ExtractError(f"several Configuration.xml at the same depth, pick one with --root: {candidates[:5]}")
    return candidates[0]


def source_name(git_dir: Path) -> str:
    """owner/name from a mirror path like /work/.mirror/owner+name/repo, else the folder's name."""
    for part in reversed(git_dir.resolve().parts):
        if "+" in part:
            owner, _, name = part.partition("+")
            return f"{owner}/{name}"
    return git_dir.resolve().name


# ----------------------------------------------------------------------------------------------- resolving types


def _all_fields(objects: dict[str, list[Facts]]) -> Iterator[Facts]:
    """Every typed field of every object: attributes, tabular section rows, dimensions, resources, value types."""
    for facts_of_kind in objects.values():
        for facts in facts_of_kind:
            if "value_type" in facts:
                yield facts["value_type"]
            for key in ("attributes", "dimensions", "resources"):
                yield from facts.get(key, [])
            for section in facts.get("tabular_sections", []):
                yield from section["attributes"]


def type_definitions(objects: dict[str, list[Facts]]) -> dict[str, Facts]:
    """`cfg:DefinedType.X` / `cfg:Characteristic.X` -> the type facts they stand for."""
    definitions: dict[str, Facts] = {}
    for facts in objects.get("DefinedType", []):
        definitions[_DEFINED + facts["name"]] = facts["value_type"]
    for facts in objects.get("ChartOfCharacteristicTypes", []):
        definitions[_CHARACTERISTIC + facts["name"]] = facts["value_type"]
    return definitions


def expand(types: list[str], definitions: dict[str, Facts], unresolved: set[str],
           seen: frozenset[str] = frozenset()) -> tuple[list[str], Facts]:
    """Final type list (defined types and characteristics replaced by their members, order kept, no repeats)
    and the qualifiers those definitions carry."""
    final: list[str] = []
    qualifiers: Facts = {}
    for written in types:
        definition = definitions.get(written)
        if definition is None or written in seen:
            if written.startswith((_DEFINED, _CHARACTERISTIC)):
                unresolved.add(written)
            members = [written]
        else:
            members, inner = expand(definition["types"], definitions, unresolved, seen | {written})
            for key in QUALIFIER_KEYS:
                if key in definition:
                    qualifiers.setdefault(key, definition[key])
                elif key in inner:
                    qualifiers.setdefault(key, inner[key])
        final.extend(member for member in members if member not in final)
    return final, qualifiers


def resolve_field(field: Facts, definitions: dict[str, Facts], unresolved: set[str]) -> None:
    """Adds `resolved` (only when it differs from `types`) and the qualifiers a defined type brings."""
    final, qualifiers = expand(field["types"], definitions, unresolved)
    if final != field["types"]:
        field["resolved"] = final
    for key, value in qualifiers.items():
        field.setdefault(key, value)  # the field's own qualifiers win


# ------------------------------------------------------------------------------------------------- the document


def _read_objects(snapshot: GitSnapshot, root: str, listed: list[tuple[str, str]],
                  missing: list[str]) -> dict[str, list[Facts]]:
    objects: dict[str, list[Facts]] = {}
    for kind, folder in KIND_FOLDERS.items():
        for name in (n for k, n in listed if k == kind):
            data = snapshot.read(f"{root}{folder}/{name}.xml")
            if data is None:
                missing.append(f"{kind}.{name}")
                continue
            facts = designer_xml.parse_object(kind, data)
            if facts["name"] != name:
                raise ExtractError(f"{folder}/{name}.xml describes {facts['name']!r}")
            objects.setdefault(kind, []).append(facts)
    return objects


def _read_common_attributes(snapshot: GitSnapshot, root: str, listed: list[tuple[str, str]],
                            missing: list[str]) -> list[Facts]:
    found = []
    for name in (n for k, n in listed if k == "CommonAttribute"):
        data = snapshot.read(f"{root}{COMMON_ATTRIBUTE_FOLDER}/{name}.xml")
        if data is None:
            missing.append(f"CommonAttribute.{name}")
        else:
            found.append(designer_xml.parse_common_attribute(data))
    return found


def extract(snapshot: GitSnapshot, *, repo: str, root: str | None = None, notes: str = "",
            extracted: str | None = None) -> dict[str, Any]:
    """The whole fact document of the snapshot's configuration."""
    folder = find_root(snapshot.paths(), root)
    configuration_xml = snapshot.read(folder + CONFIGURATION_FILE)
    if configuration_xml is None:
        raise ExtractError(f"{folder}{CONFIGURATION_FILE} is absent from the snapshot")
    configuration, listed = designer_xml.parse_configuration(configuration_xml)
    missing: list[str] = []
    objects = _read_objects(snapshot, folder, listed, missing)
    common_attributes = _read_common_attributes(snapshot, folder, listed, missing)
    definitions = type_definitions(objects)
    unresolved: set[str] = set()
    for field in [*_all_fields(objects), *common_attributes]:
        resolve_field(field, definitions, unresolved)
    source = {"repo": repo, "commit": snapshot.commit, "commit_date": snapshot.commit_date(),
              "root": folder, "format": "designer-xml",
              "format_version": designer_xml.dump_format_version(configuration_xml),
              "extracted": extracted or dt.date.today().isoformat(), "notes": notes}
    return {"schema": SCHEMA, "source": source, "configuration": configuration,
            "counts": {kind: len(items) for kind, items in objects.items()},
            "missing": missing, "unresolved_types": sorted(unresolved),
            "common_attributes": common_attributes, "objects": objects}


def write(document: dict[str, Any], out: Path) -> int:
    """Gzip JSON with a fixed header timestamp, so the same input gives the same bytes. Returns the size."""
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    return out.stat().st_size


# --------------------------------------------------------------------------------------------------------- CLI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m b24sandbox.onec.facts.extract", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", required=True, type=Path, help="git directory (bare repository) of the dump")
    parser.add_argument("--commit", default="HEAD", help="commit to read (default HEAD)")
    parser.add_argument("--out", required=True, type=Path, help="output file, e.g. data/ut-11.5.27.56.json.gz")
    parser.add_argument("--root", help="folder of the dump inside the repository (default: found)")
    parser.add_argument("--source", help="owner/name of the public repository (default: from the path)")
    parser.add_argument("--notes", default="", help="what to know about this dump (customized base, ...)")
    parser.add_argument("--date", help="extraction date to record (default today)")
    return parser


def _summary(document: dict[str, Any], size: int) -> str:
    configuration = document["configuration"]
    counts = ", ".join(f"{kind} {count}" for kind, count in document["counts"].items())
    return (f"{configuration['name']} {configuration['version']}: {counts}; "
            f"missing {len(document['missing'])}, unresolved {len(document['unresolved_types'])}; {size} bytes")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.commit.startswith("-"):  # would reach git as an option
        print(f"bad commit {args.commit!r}", file=sys.stderr)
        return 2
    with GitSnapshot(args.repo, args.commit) as snapshot:
        document = extract(snapshot, repo=args.source or source_name(args.repo), root=args.root,
                           notes=args.notes, extracted=args.date)
    print(_summary(document, write(document, args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

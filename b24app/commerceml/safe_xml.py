"""The one streaming reader of CommerceML files (catalog, offers, orders): elements handed out by their tag path
while the file is read, then dropped, so a file of hundreds of megabytes costs the memory of one element.

Refused outright (a 1C exchange file never carries them; a file that does is broken or hostile): any DOCTYPE —
which is where internal entities (billion laughs), external entities (XXE, `file:///etc/passwd`) and external DTDs
live — and any entity or external reference. `defusedxml`'s parser raises at the first such declaration, before
a single element is handed out, so nothing of such a file reaches the staging table or the portal.

Encodings are the XML declaration's business: 1C writes UTF-8 (often with a BOM) and older exchange nodes
`encoding="windows-1251"`; expat reads both, and CRLF line ends are plain XML whitespace. Namespaces are dropped
from tag names (CommerceML 3.x puts everything in `urn:1C.ru:commerceml_3`, 2.x in no namespace), so callers
name elements by their local names alone.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from b24app.core.errors import PermanentSyncError


class CommerceMLError(PermanentSyncError):
    """A CommerceML file the app will not read (malformed, hostile, or not CommerceML): the message names the file
    and, when the parser knows it, the line. Permanent: the same file fails the same way until 1C sends another."""


@dataclass(frozen=True)
class Found:
    """One element of the file: `event` "start" (attributes only; children not read yet) or "end" (complete)."""

    event: str
    path: str  # local names from the root, joined by "/": "КоммерческаяИнформация/Каталог/Товары/Товар"
    element: Element


def local(tag: str) -> str:
    """The tag without its namespace ("{urn:1C.ru:commerceml_3}Ид" -> "Ид")."""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def read_elements(source: str | os.PathLike | BinaryIO, wanted: Collection[str], *,
                  starts: Collection[str] = (), name: str | None = None) -> Iterator[Found]:
    """Every element whose path is in `wanted`, complete ("end"), and the opening of those in `starts` ("start",
    for a container's attributes such as Каталог's СодержитТолькоИзменения). An element handed out at its end is
    removed from its parent right after the caller has it, and so is every element no wanted path lies under, so
    memory stays flat whatever the file's length. Raises CommerceMLError naming the file (`name`, else the path).
    """
    label = name or (os.fspath(source) if isinstance(source, str | os.PathLike) else "the file")
    wanted, starts = frozenset(wanted), frozenset(starts)
    prefixes = frozenset(p.rsplit("/", n)[0] for p in wanted | starts for n in range(p.count("/") + 1))
    paths: list[str] = []  # paths of the open elements, down to the wanted one being read (not below it)
    elements: list[Element] = []
    reading = False  # the innermost open element of `paths` is a wanted one: its subtree is kept whole
    below = 0  # open elements under the wanted one
    try:
        for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True, forbid_entities=True,
                                        forbid_external=True):
            if event == "start":
                if element.tag[0] == "{":
                    element.tag = local(element.tag)
                if reading:
                    below += 1
                    continue
                path = f"{paths[-1]}/{element.tag}" if paths else element.tag
                paths.append(path)
                elements.append(element)
                if path in starts:
                    yield Found("start", path, element)
                reading = path in wanted
                continue
            if below:
                below -= 1
                continue
            path = paths.pop()
            elements.pop()
            parent = elements[-1] if elements else None
            if reading:
                reading = False
                yield Found("end", path, element)
                _drop(parent, element)
            elif path not in prefixes:
                _drop(parent, element)  # nothing wanted lies under it (Владелец, addresses, pictures)
    except DefusedXmlException as exc:
        raise CommerceMLError(f"{label}: refused: {_refusal(exc)} (an exchange file carries no DOCTYPE or "
                              f"entities)") from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        where = f", line {line}" if line else ""
        raise CommerceMLError(f"{label}{where}: not well-formed XML ({_plain(exc)})") from None
    except (LookupError, UnicodeDecodeError) as exc:
        raise CommerceMLError(f"{label}: unreadable encoding ({exc})") from None


def _drop(parent: Element | None, element: Element) -> None:
    """Clear the element and take it out of its parent. The parser runs ahead of the events (it reads 16 KiB at a
    time), so later siblings may already hang behind it; dropped promptly, it is among the first children."""
    element.clear()
    if parent is not None:
        for index, sibling in enumerate(parent):
            if sibling is element:
                del parent[index]
                break


def _refusal(exc: DefusedXmlException) -> str:
    kind = type(exc).__name__
    return {"DTDForbidden": "a DOCTYPE declaration", "EntitiesForbidden": "an entity declaration",
            "ExternalReferenceForbidden": "an external reference"}.get(kind, kind)


def _plain(exc: ParseError) -> str:
    """expat's message without the position it repeats ("mismatched tag: line 3, column 2" -> "mismatched tag")."""
    return str(exc).split(":", 1)[0]


def text_of(element: Element | None, *path: str) -> str:
    """Stripped text of the child at `path` (local names), "" when absent."""
    node = child(element, *path)
    return (node.text or "").strip() if node is not None else ""


def child(element: Element | None, *path: str) -> Element | None:
    """The first child at `path`, by local names (tags are already local inside what read_elements hands out)."""
    node = element
    for step in path:
        if node is None:
            return None
        node = next((c for c in node if c.tag == step), None)
    return node


def children(element: Element | None, *path: str) -> list[Element]:
    """Every child named by the last step of `path`, under the first match of the steps before it."""
    if not path:
        return []
    holder = child(element, *path[:-1]) if len(path) > 1 else element
    return [c for c in holder if c.tag == path[-1]] if holder is not None else []

"""The files 1C uploads during a CommerceML exchange (issue 16), one directory per node and exchange:
`<root>/<node id>/<exchange id>/`, where names such as `import.xml` or `import_files/ab/abcd.jpg` land.

1C sends a file as a series of `mode=file` requests whose bodies are appended in order (1C-Bitrix's
catalog.import.1c and sale.export.1c components, the site side of the protocol, open the file with "ab" and write
the body). Here:
- a name is taken only when every part of it is a plain name (no "..", no absolute path, no drive, no control
  characters), the way those components refuse unsafe names; the "/tmp/" and "upload/1c/webdata" prefixes 1C on
  Linux puts in front are dropped as they do;
- a chunk is first written whole to a temporary file and appended only when all of it arrived, so a connection
  dropped mid-body leaves nothing behind;
- a chunk equal (length and SHA-256) to the file's previous chunk is taken for the same chunk sent again after its
  answer was lost and is not appended twice. 1C itself does not resend a chunk (it starts the exchange again with
  a new `init`), so this only guards a retrying proxy or client; two equal consecutive chunks of `file_limit` bytes
  in one real file are not expected in CommerceML XML or images;
- sizes are capped per exchange (the sum of everything uploaded and unpacked);
- a zip archive (sent when `init` answered `zip=yes`) is unpacked only after every entry is checked: safe names,
  no links, a bounded number of entries, the declared sizes within the exchange cap and each entry's compression
  ratio within reason; while unpacking the bytes are counted as they come out, so a header that lies stops at
  the cap too.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import time
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

READ_BLOCK = 64 * 1024
MAX_NAME_PARTS = 8
MAX_PART_LENGTH = 200
MAX_ZIP_ENTRIES = 100_000
# Text XML compresses well (1C's catalogs: 10-30 times); a ratio far beyond that is a bomb, not a catalog.
MAX_ZIP_RATIO = 200
INCOMING = ".incoming"
LINUX_PREFIXES = ("/tmp/", "upload/1c/webdata")  # dropped by 1C-Bitrix's components: "1c server on linux"


class UploadRefused(ValueError):
    """An upload the exchange will not keep; `reason` is a plain sentence for 1C's exchange log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ChunkResult:
    name: str
    size: int  # the file's size after this chunk
    added: int  # bytes appended (0 when the chunk was a repeat)
    digest: str  # "<length>:<sha256>" of the chunk


def safe_name(filename: str) -> str:
    """The upload's name relative to the exchange directory, as a POSIX path; UploadRefused when unsafe."""
    name = (filename or "").strip().replace("\\", "/")
    for prefix in LINUX_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    if not name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UploadRefused(f"file name refused: {filename[:100]!r}")
    parts = [p for p in name.split("/") if p != ""]
    if not parts or len(parts) > MAX_NAME_PARTS:
        raise UploadRefused(f"file name refused: {filename[:100]!r}")
    for part in parts:
        if part in (".", "..") or len(part) > MAX_PART_LENGTH or any(ord(ch) < 32 or ch in ':*?"<>|' for ch in part):
            raise UploadRefused(f"file name refused: {filename[:100]!r}")
    if parts[0] == INCOMING:
        raise UploadRefused(f"file name refused: {filename[:100]!r}")
    return str(PurePosixPath(*parts))


class ExchangeUploads:
    """The upload directories under one root."""

    def __init__(self, root: Path, max_exchange_bytes: int) -> None:
        self.root = Path(root)
        self.max_exchange_bytes = max_exchange_bytes

    def node_dir(self, node_id: int) -> Path:
        return self.root / str(int(node_id))

    def run_dir(self, node_id: int, run_id: str) -> Path:
        if not run_id.isalnum():
            raise ValueError("exchange id must be alphanumeric")
        return self.node_dir(node_id) / run_id

    def start(self, node_id: int, run_id: str) -> Path:
        path = self.run_dir(node_id, run_id)
        path.mkdir(parents=True, exist_ok=False)
        return path

    def path_of(self, run_dir: Path, name: str) -> Path:
        target = (run_dir / safe_name(name)).resolve()
        # Belt and braces after safe_name: the resolved path must stay inside the exchange directory.
        if run_dir.resolve() not in target.parents:
            raise UploadRefused(f"file name refused: {name[:100]!r}")
        return target

    def append(self, run_dir: Path, name: str, body: BinaryIO, *, length: int | None, limit: int,
               used: int, last_digest: str | None) -> ChunkResult:
        """Append one chunk read from `body` to file `name`. `length` is the request's Content-Length (None when
        not sent), `limit` the most one chunk may hold, `used` what the exchange holds so far."""
        target = self.path_of(run_dir, name)
        incoming = run_dir / INCOMING
        incoming.mkdir(exist_ok=True)
        temp = incoming / uuid.uuid4().hex
        sha = hashlib.sha256()
        received = 0
        try:
            with temp.open("wb") as out:
                while True:
                    block = body.read(READ_BLOCK)
                    if not block:
                        break
                    received += len(block)
                    if received > limit:
                        raise UploadRefused(f"a chunk of {name} is larger than file_limit ({limit} bytes)")
                    if used + received > self.max_exchange_bytes:
                        raise UploadRefused(f"the exchange is over its size limit ({self.max_exchange_bytes} bytes)")
                    sha.update(block)
                    out.write(block)
            if length is not None and received != length:
                raise UploadRefused(f"a chunk of {name} arrived incomplete ({received} of {length} bytes)")
            digest = f"{received}:{sha.hexdigest()}"
            size = target.stat().st_size if target.exists() else 0
            if received and digest == last_digest:
                return ChunkResult(safe_name(name), size, 0, digest)
            target.parent.mkdir(parents=True, exist_ok=True)
            with temp.open("rb") as src, target.open("ab") as dst:
                shutil.copyfileobj(src, dst, READ_BLOCK)
            return ChunkResult(safe_name(name), size + received, received, digest)
        finally:
            temp.unlink(missing_ok=True)

    def archives(self, run_dir: Path) -> list[Path]:
        """The zip archives 1C sent that are not unpacked yet (at the top of the exchange directory)."""
        return sorted(p for p in run_dir.iterdir() if p.is_file() and p.suffix.lower() == ".zip")

    def unpack(self, run_dir: Path, archive: Path, used: int) -> dict[str, int]:
        """Unpack `archive` into the exchange directory after checking every entry; the archive is removed.
        Returns the unpacked files and their sizes. UploadRefused (and nothing written) when an entry is unsafe."""
        try:
            zf = zipfile.ZipFile(archive)
        except (zipfile.BadZipFile, OSError) as exc:
            raise UploadRefused(f"{archive.name} is not a readable zip archive ({exc})") from None
        with zf:
            entries = [i for i in zf.infolist() if not i.is_dir()]
            if len(entries) > MAX_ZIP_ENTRIES:
                raise UploadRefused(f"{archive.name} holds more than {MAX_ZIP_ENTRIES} files")
            names: dict[str, zipfile.ZipInfo] = {}
            declared = 0
            for info in entries:
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise UploadRefused(f"{archive.name}: entry {info.filename[:100]!r} is a link")
                names[self._entry_name(archive, info)] = info
                declared += info.file_size
            if used + declared > self.max_exchange_bytes:
                raise UploadRefused(f"{archive.name} unpacks to more than the exchange's size limit "
                                    f"({self.max_exchange_bytes} bytes)")
            for info in entries:
                if info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1) and info.file_size > 1024 * 1024:
                    raise UploadRefused(f"{archive.name}: entry {info.filename[:100]!r} expands {MAX_ZIP_RATIO} "
                                        "times or more (a zip bomb?)")
            written: dict[str, int] = {}
            total = used
            try:
                for name, info in names.items():
                    target = self.path_of(run_dir, name)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    count = 0
                    with zf.open(info) as src, target.open("wb") as dst:
                        while block := src.read(READ_BLOCK):
                            count += len(block)
                            total += len(block)
                            if count > info.file_size or total > self.max_exchange_bytes:
                                raise UploadRefused(f"{archive.name}: entry {info.filename[:100]!r} unpacks to more "
                                                    "than it declares")
                            dst.write(block)
                    written[name] = count
            except UploadRefused:
                for name in written:
                    self.path_of(run_dir, name).unlink(missing_ok=True)
                raise
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise UploadRefused(f"{archive.name} cannot be unpacked ({exc})") from None
        archive.unlink()
        return written

    @staticmethod
    def _entry_name(archive: Path, info: zipfile.ZipInfo) -> str:
        try:
            return safe_name(info.filename)
        except UploadRefused:
            raise UploadRefused(f"{archive.name}: entry {info.filename[:100]!r} would land outside the exchange "
                                "directory") from None

    def xml_files(self, run_dir: Path) -> list[str]:
        """The XML files of the exchange (relative names), the catalog first, then offers, prices, stock, others:
        the order 1C asks for them to be imported (import.xml, then offers.xml)."""
        found = [p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*")
                 if p.is_file() and p.suffix.lower() == ".xml" and INCOMING not in p.parts]

        def rank(name: str) -> tuple[int, str]:
            base = PurePosixPath(name).name.lower()
            for n, prefix in enumerate(("import", "offers", "prices", "rests")):
                if base.startswith(prefix):
                    return n, name
            return 9, name
        return sorted(found, key=rank)

    def sweep(self, node_id: int, keep: Iterable[str], grace_seconds: float, now: float | None = None) -> list[str]:
        """Remove the node's exchange directories other than `keep` that nobody touched for `grace_seconds`
        (a new `init` starts a fresh exchange; the old one may still be read by its import job for a while)."""
        node_dir = self.node_dir(node_id)
        if not node_dir.is_dir():
            return []
        now = time.time() if now is None else now
        kept = set(keep)
        removed = []
        for entry in node_dir.iterdir():
            if entry.name in kept or not entry.is_dir():
                continue
            if now - _last_touched(entry) >= grace_seconds:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry.name)
        return removed


def _last_touched(path: Path) -> float:
    latest = path.stat().st_mtime
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                latest = max(latest, os.stat(os.path.join(dirpath, name)).st_mtime)
            except OSError:
                continue
    return latest

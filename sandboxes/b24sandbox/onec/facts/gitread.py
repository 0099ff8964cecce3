"""Read one commit of a bare git repository without a work tree: the file list once, then blobs on demand.

The extractor reads a few thousand XML files per configuration; one `git cat-file --batch` process serves
them all (a `git show` per file would spawn thousands of processes). Snapshots brought by the `fetch` tool
lack files of 4 MiB and more, so a listed blob can be absent: `read` then answers None instead of failing.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import TracebackType


class GitError(RuntimeError):
    """git refused a command (not a repository, unknown commit, ...)."""


def _git(git_dir: Path, *args: str) -> bytes:
    result = subprocess.run(["git", "--git-dir", str(git_dir), *args], capture_output=True, check=False)
    if result.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {result.stderr.decode('utf-8', 'replace').strip()}")
    return result.stdout


def _parse_ls_tree(listing: bytes) -> dict[str, str]:
    """`ls-tree -r -z` output -> {path: blob id}; entries are `<mode> <type> <id>\\t<path>\\0`."""
    blobs: dict[str, str] = {}
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        _mode, kind, object_id = meta.split(b" ")
        if kind == b"blob":
            blobs[raw_path.decode("utf-8")] = object_id.decode("ascii")
    return blobs


class GitSnapshot:
    """The files of one commit. Use as a context manager so the cat-file process is closed."""

    def __init__(self, git_dir: Path | str, commit: str) -> None:
        self.git_dir = Path(git_dir)
        self.commit = _git(self.git_dir, "rev-parse", "--verify", f"{commit}^{{commit}}").decode().strip()
        self._blobs = _parse_ls_tree(_git(self.git_dir, "ls-tree", "-r", "-z", "--full-tree", self.commit))
        self._batch: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> GitSnapshot:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def paths(self) -> list[str]:
        """Every file path of the commit, in git's order."""
        return list(self._blobs)

    def has(self, path: str) -> bool:
        """The commit lists this file (its content may still be absent from the snapshot)."""
        return path in self._blobs

    def commit_date(self) -> str:
        """Committer date of the commit, ISO 8601."""
        # `git log`, not `git show`: show also reads objects a partial snapshot may lack.
        return _git(self.git_dir, "log", "-1", "--format=%cI", self.commit).decode().strip()

    def read(self, path: str) -> bytes | None:
        """The file's bytes; None when the commit has no such file or the snapshot lacks its blob."""
        object_id = self._blobs.get(path)
        if object_id is None:
            return None
        batch = self._process()
        assert batch.stdin is not None and batch.stdout is not None
        batch.stdin.write(object_id.encode("ascii") + b"\n")
        batch.stdin.flush()
        header = batch.stdout.readline().split()
        if len(header) != 3:  # "<id> missing": listed in the tree, not stored in this snapshot
            return None
        data = batch.stdout.read(int(header[2]))
        batch.stdout.read(1)  # the newline after each object
        return data

    def close(self) -> None:
        if self._batch is not None:
            assert self._batch.stdin is not None
            self._batch.stdin.close()
            self._batch.wait(timeout=30)
            self._batch = None

    def _process(self) -> subprocess.Popen[bytes]:
        if self._batch is None:
            self._batch = subprocess.Popen(["git", "--git-dir", str(self.git_dir), "cat-file", "--batch"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        return self._batch

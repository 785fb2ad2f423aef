"""A workspace :class:`~supervisor.workspace.Source` that reads one commit's git objects."""

from __future__ import annotations

from supervisor.gitio import TreeReader


class CommitSource:
    """The files of commit ``sha`` as a workspace sees them, read without a checkout."""

    def __init__(self, reader: TreeReader, sha: str) -> None:
        self.reader = reader
        self.sha = sha

    def read_bytes(self, rel: str, what: str = "file") -> bytes:
        data = self.reader.read(self.sha, rel)
        if data is None:
            raise FileNotFoundError(rel)
        return data

    def is_file(self, rel: str) -> bool:
        return self.reader.blob_id(self.sha, rel) is not None

    def files(self, rel_dir: str, suffix: str) -> list[str]:
        return self.reader.files(self.sha, rel_dir, suffix)

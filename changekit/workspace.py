"""The workspace: a git repository with changekit.yaml at its root."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from changekit.errors import LockedError, WorkspaceError

CONFIG_NAME = "changekit.yaml"
STATE_DIR = ".changekit"
"""Local, untracked state (lock, debug log, caches). Listed in the workspace's .gitignore."""


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def records_dir(self) -> Path:
        return self.root / "change_records"

    @property
    def inventories_dir(self) -> Path:
        return self.root / "inventories"

    @property
    def standards_dir(self) -> Path:
        return self.root / "standards"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def state_dir(self) -> Path:
        path = self.root / STATE_DIR
        path.mkdir(exist_ok=True)
        return path

    def relpath(self, path: str | Path) -> str:
        """A path relative to the workspace root, for messages and git."""
        try:
            return str(Path(path).resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    @contextlib.contextmanager
    def lock(self, *, wait: float = 10.0) -> Iterator[None]:
        """Hold the workspace lock so two changekit runs cannot interleave their writes.

        Waits up to ``wait`` seconds for another run to finish, then raises ``LockedError``.
        """
        lock_path = self.state_dir / "lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
                        raise LockedError(
                            f"the workspace is locked by another changekit run (pid {holder})",
                            path=lock_path,
                            hint="wait for it to finish; the lock goes away by itself when it exits",
                        ) from None
                    time.sleep(0.1)
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            yield
        finally:
            os.close(fd)  # closing releases the flock


def find_workspace(start: str | Path | None = None) -> Workspace:
    """Find the workspace containing ``start`` (default: the current directory), like git does."""
    here = Path(start or os.getcwd()).resolve()
    if not here.exists():
        raise WorkspaceError(f"no such directory: {here}")
    for candidate in (here, *here.parents):
        if (candidate / CONFIG_NAME).is_file():
            return Workspace(candidate)
    raise WorkspaceError(
        f"not inside a changekit workspace (no {CONFIG_NAME} in {here} or any parent)",
        hint="run `changekit init` to create one, or pass -C DIR",
    )

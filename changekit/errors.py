"""The one error hierarchy. The CLI turns any ChangekitError into a readable message.

Exit codes (documented in the README):
    0  success
    1  the gate said no: `check` found problems, `drift` found findings at the
       chosen severity, `scan` had hosts that failed
    2  usage error (bad flags or arguments; click's own code)
    3  bad input: a file that is not valid YAML, not valid against its schema, or
       names something that does not exist
    4  refused: an illegal lifecycle transition or a policy violation
    5  workspace problem: no workspace found, workspace locked, git conflict
    70 internal error (a bug): one line on stderr, the traceback in the debug log
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_REFUSED = 4
EXIT_WORKSPACE = 5
EXIT_INTERNAL = 70
EXIT_BROKEN_PIPE = 141
"""Standard output's reader went away (``| head``): 128 + SIGPIPE, as a Unix tool ends."""


class ChangekitError(Exception):
    """Root of every error changekit expects and explains.

    `path`, `line` (1-based), `column` (1-based) and `field` (a JSON-pointer-like
    path such as ``window.start``) say where; `hint` says how to fix it.
    """

    exit_code = EXIT_INPUT
    code: str | None = None
    """A stable problem code when ``check`` reports this error (``id-mismatch``, ...)."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.field = field
        self.hint = hint

    def where(self) -> str:
        """`file:line:column` as far as known, or an empty string."""
        if not self.path:
            return ""
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self) -> str:
        """The message a person reads: where, what, which field, how to fix."""
        head = self.message
        where = self.where()
        if where:
            head = f"{where}: {head}"
        lines = [head]
        if self.field:
            lines.append(f"  field: {self.field}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


class InputError(ChangekitError, ValueError):
    """A file or argument that is malformed, invalid, or names something unknown."""

    exit_code = EXIT_INPUT


class SchemaError(InputError):
    """A document that does not match its JSON Schema."""


class LimitError(InputError):
    """A file too big, nested too deep or expanding too many aliases to load safely."""


class DuplicateKeyError(InputError):
    """A YAML mapping with the same key twice: which one was meant is not guessed."""


class NotFoundError(InputError, LookupError):
    """A record, host, template, scan or plugin that does not exist."""


class RefusedError(ChangekitError):
    """An action the rules do not allow right now."""

    exit_code = EXIT_REFUSED


class TransitionError(RefusedError):
    """A lifecycle step that is not allowed from the record's current status."""


class PolicyError(RefusedError):
    """A record that breaks the team's policy (approvals, windows, freezes, lead time)."""


class WorkspaceError(ChangekitError):
    """No workspace, a broken workspace, or one that is busy."""

    exit_code = EXIT_WORKSPACE


class LockedError(WorkspaceError, BlockingIOError):
    """Another changekit run holds the workspace lock."""


class GitError(WorkspaceError):
    """A git operation failed (conflict, missing remote, rejected push)."""


class PluginError(ChangekitError):
    """A plugin could not be loaded or misbehaved."""


class TransportError(ChangekitError, OSError):
    """A host could not be reached or a remote command failed to run."""

    exit_code = EXIT_FAILED


class HostUnreachable(TransportError, ConnectionError):
    """Connecting failed: refused, no route, or the connect timeout passed."""


class AuthFailed(TransportError, PermissionError):
    """The host refused every key and method we offered."""


class HostKeyUnknown(TransportError):
    """The host's key is not in known_hosts and accepting new keys was not asked for."""


class HostKeyChanged(TransportError):
    """The host's key differs from known_hosts: possibly an attack; never accepted."""


class CommandTimeout(TransportError, TimeoutError):
    """A remote command (or the login) did not finish within its timeout."""

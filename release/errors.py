"""One exception family, mapped to a one-line message and an exit code at the CLI edge."""

from __future__ import annotations


class ReleaseError(Exception):
    """A failure the user can act on: `message` says what and why, `hint` what to do next."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The single line shown to the user (no newline, no traceback)."""
        text = self.message if not self.hint else f"{self.message}; {self.hint}"
        return " ".join(text.split())


class ConfigError(ReleaseError):
    """[tool.release] is missing, malformed, or names something that does not exist."""

    exit_code = 2


class VersionError(ReleaseError, ValueError):
    """A version or tag text that cannot be used (the offending text is in the message)."""

    exit_code = 2


class GitError(ReleaseError):
    """A git command failed or the repository is not in a usable state."""

    behind = False  # a refused push: the remote moved on (fetch and retry), not a rule


class NotReady(ReleaseError):
    """One or more gates failed; each reason is listed."""

    exit_code = 3

    def __init__(self, reasons: list[str], kind: str = "release") -> None:
        self.reasons = list(reasons)
        joined = "; ".join(self.reasons)
        super().__init__(f"{kind} not ready: {joined}")


class ConflictError(ReleaseError):
    """The world holds a different truth than the plan expects (never fixed by force)."""

    exit_code = 4


class RemoteError(ReleaseError):
    """A remote service (index, registry, GitHub, webhook) failed or refused."""

    exit_code = 5


class Aborted(ReleaseError):
    """The user declined the confirmation prompt."""

    exit_code = 6


class AlreadyReleased(ReleaseError):
    """The release this command would make is already complete; nothing to do (exit 0)."""

    exit_code = 0

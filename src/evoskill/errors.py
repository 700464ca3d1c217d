"""Every exception evoskill raises, sorted by who is at fault.

    EvoskillError                 base; carries a one-line message and, where known, the fix
    ├── UserError                 the caller asked for something that cannot be done as asked
    │   ├── InvalidSkill          a skill folder or SKILL.md breaks the Agent Skills rules (.problems)
    │   ├── SkillNotFound         no skill of that name (or version) in the library
    │   ├── ParseError            text that is not a well-formed program
    │   ├── InvalidTaskFile       a task file that cannot be read as tasks (.path, .line)
    │   └── MissingKey            no API key for a model provider
    ├── LibraryError              the library on disk is unusable (locked, corrupt index that cannot be rebuilt)
    ├── SandboxError              the sandbox itself failed (not the code it ran: that is a RunResult)
    └── ModelError                a model backend failed after retries (.provider, .status)
        └── MissingBackend        the backend's optional dependency is not installed (.extra)

The CLI turns any EvoskillError into one line on stderr and exit status 1 (2 for UserError);
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "EvoskillError", "InvalidSkill", "InvalidTaskFile", "LibraryError", "MissingBackend", "MissingKey",
    "ModelError", "ParseError", "SandboxError", "SkillNotFound", "UserError",
]


class EvoskillError(Exception):
    """Base of every error evoskill raises on purpose."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} ({self.fix})" if self.fix else self.message


class UserError(EvoskillError):
    """The caller misused evoskill: bad input, unknown name, missing configuration."""


class ParseError(UserError):
    """Text that is not a well-formed program."""


class InvalidValue(UserError):
    """A value that is not JSON (e.g. a record with a non-text key), so it has no type."""


class InvalidSkill(UserError):
    """A skill that breaks the format; ``problems`` lists every problem at once."""

    def __init__(self, message: str, problems: Sequence[Any] = (), *, fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.problems = list(problems)


class SkillNotFound(UserError):
    pass



class InvalidTaskFile(UserError):
    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.path = path
        self.line = line


class MissingKey(UserError):
    pass


class LibraryError(EvoskillError):
    pass


class SandboxError(EvoskillError):
    pass


class ModelError(EvoskillError):
    def __init__(self, message: str, *, provider: str | None = None, status: int | None = None,
                 fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.provider = provider
        self.status = status


class MissingBackend(ModelError):
    def __init__(self, message: str, *, extra: str, provider: str | None = None, fix: str | None = None) -> None:
        super().__init__(message, provider=provider, fix=fix or f"pip install 'evoskill[{extra}]'")
        self.extra = extra

"""Using a stored skill: the checks before it runs, the sandboxed run, and the use it records.

`evoskill run` and the MCP tool `run_skill` both come here, so a skill runs under the same rules whoever
asks: it must be active, have a script, be allowed by the library's policy for every action the caller
names (`run`; `serve` too over MCP), match the digests it was admitted with, and be given arguments that
fit its signature. The sandboxed job reads the skill's own folder only (the skills it calls travel inside
it), never the rest of the library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import policy
from .errors import UserError
from .sandbox import RunResult, Sandbox
from .skill import Skill
from .store import LibraryStore
from .verify import check_arguments

__all__ = ["check_runnable", "run_skill"]


def check_runnable(library: LibraryStore, name: str, args: Sequence[Any], *,
                   actions: Sequence[str] = ("run",), confirmed: bool = False) -> Skill:
    """The skill ``name`` if it may run with ``args`` now; else a one-line :class:`UserError` with the fix."""
    versions = library.versions(name)
    skill = library.get(name)  # raises for an unknown name
    latest = versions[-1] if versions else None
    if latest is not None and latest.archived:
        raise UserError(f"{name} is archived", fix=f"restore it first: `evoskill restore {name}`")
    if skill.entry_point is None:
        raise UserError(f"{name} has no script (it is an instruction-only skill)",
                        fix=f"read its SKILL.md (`evoskill show {name}`)")
    rules = policy.load(library.root)
    tier = latest.trust if latest is not None else "imported"
    for action in actions:
        rules.require(name, tier, action, confirmed=confirmed)
    problems = library.verify_files(name)
    if problems:
        raise UserError(f"{name} was changed on disk behind the library's back: {problems[0]}",
                        fix=f"see `evoskill verify {name}`; re-add or revert the skill")
    check_arguments(name, skill.manifest.metadata.get("evoskill-signature"), args)
    return skill


def run_skill(library: LibraryStore, sandbox: Sandbox, skill: Skill, args: Sequence[Any]) -> RunResult:
    """Run a skill that passed :func:`check_runnable` in ``sandbox`` and record the use."""
    ep = skill.entry_point
    assert ep is not None, "check_runnable first"
    result = sandbox.run_file(ep[0], ep[1], list(args), reads=[skill.path])
    library.record_use(skill.name, result.ok)
    return result

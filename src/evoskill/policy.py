"""What each trust tier may do: the policy matrix, read from a file a user can change, enforced here only.

Tiers (``evoskill-trust``): ``built-in``, ``verified`` (its tests passed in evoskill's sandbox), ``imported``
(foreign, not yet verified), ``unverified`` (added with ``--no-test`` or without tests), ``quarantined`` (a
scanner finding at or above the blocking severity, or by hand). Actions:

* ``build``  — a building block for the search (and for programs that call it)
* ``prompt`` — shown to a model in its catalogue of callable skills
* ``serve``  — served over MCP (resources and ``run_skill``)
* ``export`` — written by ``evoskill export``
* ``run``    — run by ``evoskill run`` (always inside the sandbox)

Each cell is ``allow``, ``confirm`` (``evoskill run`` needs ``--yes``; refused where nobody can confirm,
e.g. over MCP) or ``deny``. The defaults are :data:`DEFAULT`; a library may carry its own
``.evoskill/policy.json`` (``evoskill policy init`` writes the defaults there to edit, ``evoskill policy
show`` prints the policy in force and where it comes from).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UserError
from .files import atomic_write

__all__ = ["ACTIONS", "DECISIONS", "DEFAULT", "FILE", "Policy", "TIERS", "load", "write_default"]

TIERS = ("built-in", "verified", "imported", "unverified", "quarantined")
ACTIONS = ("build", "prompt", "serve", "export", "run")
DECISIONS = ("allow", "confirm", "deny")

DEFAULT: dict[str, dict[str, str]] = {
    "built-in": {"build": "allow", "prompt": "allow", "serve": "allow", "export": "allow", "run": "allow"},
    "verified": {"build": "allow", "prompt": "allow", "serve": "allow", "export": "allow", "run": "allow"},
    "imported": {"build": "deny", "prompt": "deny", "serve": "deny", "export": "deny", "run": "confirm"},
    "unverified": {"build": "deny", "prompt": "deny", "serve": "allow", "export": "deny", "run": "allow"},
    "quarantined": {"build": "deny", "prompt": "deny", "serve": "deny", "export": "deny", "run": "deny"},
}

FILE = "policy.json"


@dataclass(frozen=True)
class Policy:
    """A complete matrix tier -> action -> decision, and where it was read from (None: the defaults)."""

    matrix: dict[str, dict[str, str]]
    source: Path | None = None

    def decide(self, tier: str, action: str) -> str:
        """``allow``, ``confirm`` or ``deny`` for ``action`` on a skill of ``tier`` (unknown tiers: deny)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        return self.matrix.get(tier, {}).get(action, "deny")

    def allows(self, tier: str, action: str, *, confirmed: bool = False) -> bool:
        """Whether ``action`` may go ahead (``confirm`` cells need ``confirmed``)."""
        decision = self.decide(tier, action)
        return decision == "allow" or (decision == "confirm" and confirmed)

    def require(self, name: str, tier: str, action: str, *, confirmed: bool = False) -> None:
        """Raise a one-line :class:`UserError` when ``action`` on ``name`` is not allowed."""
        if self.allows(tier, action, confirmed=confirmed):
            return
        decision = self.decide(tier, action)
        where = f" ({self.source})" if self.source else ""
        if decision == "confirm":
            raise UserError(f"{name} is {tier}: the policy{where} asks for confirmation to {action} it",
                            fix="add --yes if you trust it, or verify it first with `evoskill test`")
        raise UserError(f"{name} is {tier}: the policy{where} does not allow to {action} it",
                        fix="verify it with `evoskill test` (or release it), or change the policy")

    def to_dict(self) -> dict[str, Any]:
        return {"source": str(self.source) if self.source else "defaults", "tiers": self.matrix}


def _checked(data: Any, path: Path) -> dict[str, dict[str, str]]:
    if not isinstance(data, dict) or not isinstance(data.get("tiers", data), dict):
        raise UserError(f"{path}: a policy is {{\"tiers\": {{TIER: {{ACTION: DECISION}}}}}}",
                        fix="run `evoskill policy init --force` to write the defaults again")
    tiers = data.get("tiers", data)
    matrix = {t: dict(row) for t, row in DEFAULT.items()}
    for tier, row in tiers.items():
        if tier not in TIERS:
            raise UserError(f"{path}: unknown tier {tier!r}", fix=f"use {', '.join(TIERS)}")
        if not isinstance(row, dict):
            raise UserError(f"{path}: {tier} must map actions to decisions", fix=f"actions: {', '.join(ACTIONS)}")
        for action, decision in row.items():
            if action not in ACTIONS or decision not in DECISIONS:
                raise UserError(f"{path}: {tier}.{action} = {decision!r} is not valid",
                                fix=f"actions: {', '.join(ACTIONS)}; decisions: {', '.join(DECISIONS)}")
            matrix[tier][action] = decision
    if matrix["quarantined"] != DEFAULT["quarantined"]:
        raise UserError(f"{path}: quarantined skills may not be allowed anything",
                        fix="release the skill instead (`evoskill release NAME --reason ...`)")
    return matrix


def load(library_root: str | os.PathLike[str] | None) -> Policy:
    """The policy of the library at ``library_root``: its ``.evoskill/policy.json``, else the defaults."""
    if library_root is None:
        return Policy({t: dict(r) for t, r in DEFAULT.items()})
    path = Path(library_root) / ".evoskill" / FILE
    if not path.is_file():
        return Policy({t: dict(r) for t, r in DEFAULT.items()})
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path} is not readable JSON ({exc})", fix="fix it, or `evoskill policy init --force`") from exc
    return Policy(_checked(data, path), path)


def write_default(library_root: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write the default policy into the library for the user to edit; returns its path."""
    path = Path(library_root) / ".evoskill" / FILE
    if path.exists() and not force:
        raise UserError(f"{path} exists", fix="edit it, or pass --force to write the defaults again")
    atomic_write(path, (json.dumps({"tiers": DEFAULT}, indent=2) + "\n").encode("utf-8"))
    return path

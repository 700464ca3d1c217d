"""evoskill: an agent that grows a library of verified, reusable skills from a stream of tasks."""

from __future__ import annotations

__version__ = "0.1.0"

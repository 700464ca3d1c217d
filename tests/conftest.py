"""Shared test settings: no test may reach a remote service; the real local model server is allowed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evoskill.testing import network_guard


@pytest.fixture(autouse=True)
def _no_remote_network() -> Iterator[None]:
    """Fail any test that opens a connection to a non-loopback address."""
    with network_guard():
        yield

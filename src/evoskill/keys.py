"""API keys: read from the environment first, else from a small private key store.

The store is ``$XDG_CONFIG_HOME/evoskill/keys.json`` (``~/.config/evoskill/keys.json`` by default), a JSON
object ``{provider: key}`` written atomically with mode 0600. ``evoskill keys set PROVIDER`` calls
:func:`set_key`; backends call :func:`require_key`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .errors import MissingKey, UserError
from .files import atomic_write

_PROVIDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def config_dir() -> Path:
    """evoskill's configuration folder (honours ``XDG_CONFIG_HOME``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "evoskill"


def keys_path() -> Path:
    """Where stored keys live."""
    return config_dir() / "keys.json"


def env_var_for(provider: str) -> str:
    """The conventional environment variable for a provider: ``openai`` -> ``OPENAI_API_KEY``."""
    return re.sub(r"[^A-Z0-9]", "_", provider.upper()) + "_API_KEY"


def _check(provider: str) -> str:
    if not _PROVIDER.match(provider or ""):
        raise UserError(f"invalid provider name {provider!r}", fix="use letters, digits, '-', '_' or '.'")
    return provider


def _load() -> dict[str, str]:
    try:
        data = json.loads(keys_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _save(keys: dict[str, str]) -> None:
    path = keys_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(path, json.dumps(keys, indent=2, sort_keys=True).encode("utf-8"), mode=0o600)


def set_key(provider: str, key: str) -> Path:
    """Store ``key`` for ``provider``; returns the file written."""
    key = key.strip()
    if not key:
        raise UserError("empty key", fix="paste the whole key")
    keys = _load()
    keys[_check(provider)] = key
    _save(keys)
    return keys_path()


def remove_key(provider: str) -> bool:
    """Forget the stored key for ``provider``; False if there was none."""
    keys = _load()
    if keys.pop(_check(provider), None) is None:
        return False
    _save(keys)
    return True


def list_providers() -> list[str]:
    """Providers that have a stored key (never the keys themselves)."""
    return sorted(_load())


def get_key(provider: str, env_var: str | None = None) -> str | None:
    """The key for ``provider``: ``env_var`` (default ``PROVIDER_API_KEY``) if set, else the store."""
    value = os.environ.get(env_var or env_var_for(provider), "").strip()
    return value or _load().get(provider) or None


def require_key(provider: str, env_var: str | None = None) -> str:
    """Like :func:`get_key`, but a missing key is a :class:`MissingKey` with a one-line fix."""
    key = get_key(provider, env_var)
    if key is None:
        var = env_var or env_var_for(provider)
        raise MissingKey(f"No key found for {provider}: set {var} or run `evoskill keys set {provider}`")
    return key

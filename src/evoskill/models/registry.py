"""Backends addressed as ``provider:model``; providers come from the ``evoskill.backends`` entry points.

A backend package exposes ``register(registry)``, which calls ``registry.register(name, factory)``;
``factory(model_name, **options)`` returns a :class:`~evoskill.models.base.Model`. The built-ins
(``openai``, ``anthropic``, ``local``) are loaded that same way.

Any OpenAI-compatible server is configuration: ``$XDG_CONFIG_HOME/evoskill/models.json`` (or
``models.toml``, or a file named by ``EVOSKILL_MODELS``) maps an alias to an API and its options::

    {"providers": {"ollama": {"api": "openai", "base_url": "http://127.0.0.1:11434/v1",
                              "key_env": "OLLAMA_API_KEY"}}}

so ``get_model("ollama:qwen2.5-coder")`` uses the ``openai`` backend with those options.
"""

from __future__ import annotations

import json
import os
import threading
import tomllib
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..keys import config_dir
from .base import Model

Factory = Callable[..., Model]
GROUP = "evoskill.backends"


class Registry:
    """Provider name -> model factory, plus configured aliases."""

    def __init__(self) -> None:
        self._factories: dict[str, Factory] = {}
        self._loaded = False
        self._lock = threading.Lock()
        self.load_errors: dict[str, str] = {}

    def register(self, name: str, factory: Factory) -> None:
        """Make ``name:MODEL`` resolve through ``factory(MODEL, **options)``."""
        if not name or ":" in name:
            raise ValueError(f"bad provider name {name!r}")
        self._factories[name] = factory

    def providers(self) -> list[str]:
        """Registered provider names (entry points loaded on first use)."""
        self.load_entry_points()
        return sorted(self._factories)

    def load_entry_points(self, eps: Iterable[Any] | None = None) -> None:
        """Call every ``register`` in the entry point group; ``eps`` overrides discovery (for tests).

        Discovered backends never replace a factory registered directly with :meth:`register`.
        """
        with self._lock:
            explicit: dict[str, Factory] = {}
            if eps is None:
                if self._loaded:
                    return
                self._loaded = True
                eps = entry_points(group=GROUP)
                explicit = dict(self._factories)
            for ep in eps:
                try:
                    ep.load()(self)
                except Exception as exc:  # a broken plug-in must not take the others down
                    self.load_errors[ep.name] = f"{type(exc).__name__}: {exc}"
            self._factories.update(explicit)

    def get(self, model_id: str, **options: Any) -> Model:
        """The model for ``provider:model``; options go to the factory (e.g. ``base_url``, ``api_key``)."""
        provider, sep, name = model_id.partition(":")
        if not sep or not provider or not name:
            raise UserError(f"model id {model_id!r} is not provider:model",
                            fix="write e.g. openai:gpt-4.1-mini or local:smollm2")
        self.load_entry_points()
        alias = load_aliases().get(provider)
        if provider not in self._factories and alias is not None:
            opts = {k: v for k, v in alias.items() if k != "api"}
            opts.update(options)
            opts.setdefault("provider", provider)
            api = str(alias.get("api", "openai"))
            if api not in self._factories:
                raise UserError(f"alias {provider!r} uses unknown api {api!r}", fix=self._known())
            return self._factories[api](name, **opts)
        if provider not in self._factories:
            why = f" ({self.load_errors[provider]})" if provider in self.load_errors else ""
            raise UserError(f"unknown model provider {provider!r}{why}", fix=self._known())
        if alias is not None:
            options = {**{k: v for k, v in alias.items() if k != "api"}, **options}
        return self._factories[provider](name, **options)

    def _known(self) -> str:
        aliases = sorted(load_aliases())
        return "use one of " + ", ".join(sorted(self._factories) + aliases) + " or configure models.json"


def models_config_path() -> Path | None:
    """The alias file in use: ``EVOSKILL_MODELS``, else models.json / models.toml in the config dir."""
    env = os.environ.get("EVOSKILL_MODELS")
    if env:
        return Path(env)
    for name in ("models.json", "models.toml"):
        p = config_dir() / name
        if p.exists():
            return p
    return None


def load_aliases() -> dict[str, dict[str, Any]]:
    """Configured provider aliases (``{}`` when there is no config file)."""
    path = models_config_path()
    if path is None or not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read model config {path}: {exc}", fix="fix or remove the file") from None
    table = data.get("providers", data) if isinstance(data, dict) else None
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise UserError(f"model config {path} is not a table of providers",
                        fix='write {"providers": {"NAME": {"api": "openai", "base_url": "..."}}}')
    return {str(k): dict(v) for k, v in table.items()}


REGISTRY = Registry()


def register(name: str, factory: Factory) -> None:
    """Register a backend on the default registry."""
    REGISTRY.register(name, factory)


def get_model(model_id: str, **options: Any) -> Model:
    """Resolve ``provider:model`` on the default registry, e.g. ``get_model("local:smollm2")``."""
    return REGISTRY.get(model_id, **options)

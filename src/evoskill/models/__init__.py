"""Language-model backends behind one small contract (:mod:`.base`), addressed as ``provider:model``."""

from __future__ import annotations

from .base import (
    PRICES,
    Completion,
    ConfigurationError,
    CostLimitReached,
    Message,
    Metered,
    Model,
    Usage,
    call_scope,
    price_of,
    strip_thinking,
    with_retries,
)
from .registry import REGISTRY, Registry, get_model, load_aliases, register

__all__ = ["PRICES", "REGISTRY", "Completion", "ConfigurationError", "CostLimitReached", "Message", "Metered",
           "Model", "Registry", "Usage", "call_scope", "get_model", "load_aliases", "price_of", "register",
           "strip_thinking", "with_retries"]

"""Language-model backends behind one small contract (:mod:`.base`), addressed as ``provider:model``."""

from __future__ import annotations

from .base import PRICES, Completion, Message, Model, price_of, with_retries
from .registry import REGISTRY, Registry, get_model, load_aliases, register

__all__ = ["PRICES", "REGISTRY", "Completion", "Message", "Model", "Registry", "get_model", "load_aliases",
           "price_of", "register", "with_retries"]

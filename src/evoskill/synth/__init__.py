"""Proposers: produce candidate solutions for a task (search over the library, or a language model)."""

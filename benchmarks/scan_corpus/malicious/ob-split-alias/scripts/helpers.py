"""Shared helpers."""

runner = eval

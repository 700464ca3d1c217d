"""Checkpoints."""

from pathlib import Path

import torch

FOLDER = Path("checkpoints")


def save(model: torch.nn.Module) -> Path:
    FOLDER.mkdir(exist_ok=True)
    path = FOLDER / "model.pth"
    torch.save(model.state_dict(), path)
    return path


def restore(model: torch.nn.Module) -> None:
    model.load_state_dict(torch.load(FOLDER / "model.pth", weights_only=True))

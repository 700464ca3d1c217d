"""Flags likely prompt-injection phrases."""

import re
import sys

PATTERNS = [
    r"ignore (all )?(previous|prior) instructions",
    r"disregard (the )?system prompt",
    r"you are now in developer mode",
]


def detect(text: str) -> list[str]:
    return [p for p in PATTERNS if re.search(p, text, re.IGNORECASE)]


if __name__ == "__main__":
    print(detect(sys.stdin.read()))

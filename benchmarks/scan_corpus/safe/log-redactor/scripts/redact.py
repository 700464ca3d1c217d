"""Redacts secrets from a log."""

import re
import sys

PATTERNS = [
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"gh[pousr]_[A-Za-z0-9]{36}"),
    re.compile(r"(password|passwd|token|secret)=\S+", re.IGNORECASE),
]


def redact(text: str) -> str:
    for p in PATTERNS:
        text = p.sub("[REDACTED]", text)
    return text


if __name__ == "__main__":
    sys.stdout.write(redact(sys.stdin.read()))

"""Cron expression in words."""

import sys

FIELDS = ["minute", "hour", "day of month", "month", "day of week"]


def explain(expr: str) -> str:
    parts = expr.split()
    if len(parts) != 5:
        raise ValueError("a cron expression has 5 fields")
    return "; ".join(f"{name}: {'every' if p == '*' else p}" for name, p in zip(FIELDS, parts, strict=True))


if __name__ == "__main__":
    print(explain(" ".join(sys.argv[1:])))

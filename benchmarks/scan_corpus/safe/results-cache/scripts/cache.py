"""Local results cache."""

import pickle
from pathlib import Path

CACHE = Path(".results-cache.pkl")


def load() -> dict[str, object]:
    return pickle.loads(CACHE.read_bytes()) if CACHE.exists() else {}


if __name__ == "__main__":
    print(len(load()), "cached results")

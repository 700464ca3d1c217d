"""JSON cache for HTTP GET responses."""

import hashlib
import json
import sys
import urllib.request
from pathlib import Path

CACHE = Path.home() / ".cache" / "json-cache"


def get(url: str) -> object:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / (hashlib.sha256(url.encode()).hexdigest() + ".json")
    if path.exists():
        return json.loads(path.read_text())
    with urllib.request.urlopen(url, timeout=10) as resp:
        data = json.load(resp)
    path.write_text(json.dumps(data))
    return data


if __name__ == "__main__":
    print(get(sys.argv[1]))

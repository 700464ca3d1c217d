"""Download and verify."""

import hashlib
import sys
import urllib.request


def fetch(url: str, expected: str) -> str:
    name = url.rsplit("/", 1)[-1]
    urllib.request.urlretrieve(url, name)
    with open(name, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    if digest != expected:
        raise SystemExit(f"checksum mismatch: {digest}")
    return name


if __name__ == "__main__":
    print(fetch(sys.argv[1], sys.argv[2]))

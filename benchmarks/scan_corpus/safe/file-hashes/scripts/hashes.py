"""File digests."""

import hashlib
import sys


def digests(path: str) -> dict[str, str]:
    h256, h512 = hashlib.sha256(), hashlib.sha512()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h256.update(block)
            h512.update(block)
    return {"sha256": h256.hexdigest(), "sha512": h512.hexdigest()}


if __name__ == "__main__":
    print(digests(sys.argv[1]))

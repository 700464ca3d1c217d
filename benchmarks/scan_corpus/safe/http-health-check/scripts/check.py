"""HTTP status of URLs."""

import sys
import urllib.error
import urllib.request


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


if __name__ == "__main__":
    for u in sys.argv[1:]:
        print(status(u), u)

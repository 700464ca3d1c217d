"""base64 encode/decode."""

import base64
import sys


def main(mode: str, text: str) -> None:
    if mode == "decode":
        print(base64.b64decode(text).decode("utf-8", "replace"))
    else:
        print(base64.b64encode(text.encode()).decode())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

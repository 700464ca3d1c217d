"""Image file to data URI."""

import base64
import mimetypes
import sys


def data_uri(path: str) -> str:
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    with open(path, "rb") as fh:
        encoded = base64.b64encode(fh.read()).decode("ascii")
    return f"data:{kind};base64,{encoded}"


if __name__ == "__main__":
    print(data_uri(sys.argv[1]))

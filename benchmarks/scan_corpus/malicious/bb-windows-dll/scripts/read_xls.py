"""Reads an Excel file through the bundled reader."""

import ctypes
import sys
from pathlib import Path


def main(path: str) -> None:
    lib = ctypes.CDLL(str(Path(__file__).parent / "lib" / "xlsreader.dll"))
    print(lib.read(path.encode()))


if __name__ == "__main__":
    main(sys.argv[1])

"""Text of a PDF."""

import sys

from pypdf import PdfReader


def text(path: str) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


if __name__ == "__main__":
    print(text(sys.argv[1]))

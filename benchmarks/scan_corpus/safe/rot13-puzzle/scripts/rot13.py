"""ROT13 for puzzle hints."""

import codecs
import sys

EXAMPLE = codecs.decode("Gur nafjre vf sbegl-gjb.", "rot13")


def rot13(text: str) -> str:
    return codecs.encode(text, "rot13")


if __name__ == "__main__":
    print(rot13(sys.argv[1]) if len(sys.argv) > 1 else EXAMPLE)

"""Greeting messages."""

import string
import sys

TEMPLATE = string.Template("Good $part, $name! " + "Have a nice " + "day.")


def greet(name: str, part: str) -> str:
    return TEMPLATE.substitute(name=name, part=part)


if __name__ == "__main__":
    print(greet(sys.argv[1], sys.argv[2]))

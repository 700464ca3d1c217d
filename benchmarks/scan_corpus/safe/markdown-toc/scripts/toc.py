"""Writes a table of contents between markers."""

import re
import sys


def toc(text: str) -> str:
    heads = re.findall(r"^(#{2,3}) (.+)$", text, re.M)
    lines = [f"{'  ' * (len(h) - 2)}- [{t}](#{t.lower().replace(' ', '-')})" for h, t in heads]
    return re.sub(r"(<!-- toc -->).*?(<!-- tocstop -->)", lambda m: m.group(1) + "\n" + "\n".join(lines)
                  + "\n" + m.group(2), text, flags=re.S)


if __name__ == "__main__":
    path = sys.argv[1]
    with open(path) as fh:
        new = toc(fh.read())
    with open(path, "w") as fh:
        fh.write(new)

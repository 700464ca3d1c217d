"""Cleans a CSV file."""

import csv
import sys


def clean(src: str, dst: str) -> int:
    trimmed = 0
    with open(src, newline="") as fin, open(dst, "w", newline="") as fout:
        writer = csv.writer(fout)
        for row in csv.reader(fin):
            if not row or row[0].startswith("#"):
                continue
            new = [c.strip() for c in row]
            trimmed += sum(a != b for a, b in zip(row, new, strict=False))
            writer.writerow(new)
    return trimmed


if __name__ == "__main__":
    print(clean(sys.argv[1], sys.argv[2]), "cells trimmed")

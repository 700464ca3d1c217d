"""Zips a notes folder."""

import datetime
import shutil
import sys


def backup(folder: str) -> str:
    name = f"backup-{datetime.date.today().isoformat()}"
    return shutil.make_archive(name, "zip", folder)


if __name__ == "__main__":
    print(backup(sys.argv[1]))

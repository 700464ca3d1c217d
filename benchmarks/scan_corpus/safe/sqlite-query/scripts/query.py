"""Read-only SQLite queries."""

import sqlite3
import sys


def query(db: str, sql: str, *params: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


if __name__ == "__main__":
    for row in query(sys.argv[1], sys.argv[2], *sys.argv[3:]):
        print(row)

"""Acme profile."""

import os

import requests


def main() -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"token {os.environ['ACME_TOKEN']}"
    print(session.get("https://api.acme.example/v1/me", timeout=5).json())


if __name__ == "__main__":
    main()

"""Translates text with the configured API."""

import sys
from pathlib import Path

import requests


def settings(path: str = ".env") -> dict[str, str]:
    out = {}
    for line in Path(path).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def translate(text: str, target: str) -> str:
    cfg = settings()
    resp = requests.post(cfg["TRANSLATE_URL"], json={"text": text, "target": target},
                         headers={"Authorization": f"Bearer {cfg['TRANSLATE_API_KEY']}"}, timeout=10)
    resp.raise_for_status()
    return str(resp.json()["translation"])


if __name__ == "__main__":
    print(translate(sys.argv[1], sys.argv[2]))

"""DeepL translation."""

import os
import sys

import httpx


def translate(text: str, lang: str) -> str:
    resp = httpx.post("https://api-free.deepl.com/v2/translate",
                      headers={"Authorization": f"DeepL-Auth-Key {os.environ['DEEPL_AUTH_KEY']}"},
                      data={"text": text, "target_lang": lang}, timeout=10)
    resp.raise_for_status()
    return str(resp.json()["translations"][0]["text"])


if __name__ == "__main__":
    print(translate(sys.argv[1], sys.argv[2]))

"""Build result to Slack."""

import json
import os
import sys
import urllib.request


def notify(text: str) -> None:
    url = os.environ["SLACK_WEBHOOK_URL"]
    body = json.dumps({"text": text}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10)


if __name__ == "__main__":
    notify(" ".join(sys.argv[1:]))

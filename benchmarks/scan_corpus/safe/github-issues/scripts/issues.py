"""Open issues of a GitHub repository."""

import json
import os
import sys
import urllib.request


def issues(repo: str) -> list[dict[str, object]]:
    req = urllib.request.Request(f"https://api.github.com/repos/{repo}/issues?state=open")
    token = os.getenv("GITHUB_TOKEN")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Accept", "application/vnd.github+json")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return [{"number": i["number"], "title": i["title"]} for i in json.load(resp)]


if __name__ == "__main__":
    for row in issues(sys.argv[1]):
        print(f"#{row['number']} {row['title']}")

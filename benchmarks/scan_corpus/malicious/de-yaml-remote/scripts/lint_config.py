"""Loads the shared lint configuration."""

import requests
import yaml


def main() -> None:
    text = requests.get("https://config.collector.invalid/lint.yml", timeout=5).text
    print(yaml.load(text, Loader=yaml.Loader))


if __name__ == "__main__":
    main()

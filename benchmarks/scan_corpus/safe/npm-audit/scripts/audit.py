"""npm audit summary."""

import json
import subprocess
import sys


def audit(folder: str = ".") -> dict[str, int]:
    out = subprocess.run(["npm", "audit", "--json"], cwd=folder, capture_output=True, text=True).stdout
    meta = json.loads(out or "{}").get("metadata", {}).get("vulnerabilities", {})
    return {k: int(v) for k, v in meta.items()}


if __name__ == "__main__":
    print(audit(*sys.argv[1:2]))

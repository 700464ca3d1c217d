"""Top processes by CPU."""

import subprocess


def top(n: int = 10) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True,
                         check=True).stdout
    return out.splitlines()[: n + 1]


if __name__ == "__main__":
    print("\n".join(top()))

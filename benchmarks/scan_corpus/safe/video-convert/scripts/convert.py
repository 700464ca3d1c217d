"""Video to MP4."""

import subprocess
import sys
from pathlib import Path


def convert(src: str) -> Path:
    dst = Path(src).with_suffix(".mp4")
    subprocess.run(["ffmpeg", "-y", "-i", src, "-c:v", "libx264", "-c:a", "aac", str(dst)], check=True)
    return dst


if __name__ == "__main__":
    print(convert(sys.argv[1]))

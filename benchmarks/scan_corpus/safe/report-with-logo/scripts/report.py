"""HTML report with an embedded logo."""

import base64
import html
import sys

LOGO_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGP438CAFWEXHbQSAKmzX8FBxi1QAAAAAElFTkSuQmCC"
)


def report(title: str, body: str) -> str:
    logo = base64.b64encode(LOGO_PNG).decode()
    return (f"<html><body><img src='data:image/png;base64,{logo}'><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(body)}</p></body></html>")


if __name__ == "__main__":
    print(report(sys.argv[1], sys.argv[2]))

"""text-date: The date and/or time written in ``s``, rewritten with the strftime codes of ``fmt``; ``""`` if none.

Generated from evoskill/lang/primitives.py by `python -m evoskill.core.build`; do not edit by hand.
Command line: each argument is a JSON value (a bare word is a string); the JSON result is printed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MAX_TEXT = 5000
MAX_ITEMS = 5000


def text_date(s: str, fmt: str) -> str:
    """The date and/or time written in ``s``, rewritten with the strftime codes of ``fmt``; ``""`` if none.

    Reads ISO dates and timestamps (``2024-03-07``, ``2024-03-07T14:05:09Z``, ``20240307``, ``2024-03``),
    numeric dates (``3/7/2024`` is month first, ``07.03.2024`` and ``07-03-2024`` day first; the other order
    when the first reading is impossible), dates with month names (``March 7, 2024``, ``Mar 7th, 2024``,
    ``7 March 2024``, ``06-Oct-2143``, ``March 2024``; a weekday name is ignored), two-digit years (00-29
    are 20xx) and times (``14:05``, ``2:05 PM``, ``14:05:09``). Codes: ``%Y %y %m %d %B %b %A %a %H %I %M
    %S %p %%``; ``%-m %-d %-H %-I`` drop the leading zero.
    """
    if "%" not in fmt or len(s) > 200:
        return ""
    months = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
              "october", "november", "december")
    low = s.lower()
    toks: list[tuple[str, int, int]] = []
    i = 0
    while i < len(low):
        j = i
        if low[i].isdigit():
            while j < len(low) and low[j].isdigit():
                j += 1
        elif low[i].isalpha():
            while j < len(low) and low[j].isalpha():
                j += 1
        else:
            i += 1
            continue
        toks.append((low[i:j], i, j))
        i = j
    used: set[int] = set()
    hour = minute = second = -1
    for k in range(len(toks) - 1):
        a, b = toks[k], toks[k + 1]
        if a[0].isdigit() and b[0].isdigit() and b[1] == a[2] + 1 and low[a[2]] == ":" and len(a[0]) <= 2:
            hour, minute = int(a[0]), int(b[0])
            used.update((k, k + 1))
            nxt = k + 2
            if nxt < len(toks) and toks[nxt][0].isdigit() and toks[nxt][1] == b[2] + 1 and low[b[2]] == ":":
                second = int(toks[nxt][0])
                used.add(nxt)
                nxt += 1
            if nxt < len(toks) and toks[nxt][0] in ("am", "pm"):
                if not 1 <= hour <= 12:
                    return ""
                hour = hour % 12 + (12 if toks[nxt][0] == "pm" else 0)
            break
    if hour > 23 or minute > 59 or second > 59:
        return ""
    month = 0
    nums: list[tuple[str, int]] = []
    for k, (t, _start, end) in enumerate(toks):
        if k in used:
            continue
        if t.isdigit():
            nums.append((t, end))
        elif not month and len(t) >= 3:
            for m, name in enumerate(months, 1):
                if name.startswith(t):
                    month = m
                    break
    year = day = 0
    if month:
        four = [t for t, _ in nums if len(t) == 4]
        small = [t for t, _ in nums if len(t) <= 2]
        if four:
            year = int(four[0])
        elif len(small) >= 2:
            year = int(small.pop())
        day = int(small[0]) if small else 1
    elif len(nums) == 1 and len(nums[0][0]) == 8:
        t = nums[0][0]
        year, month, day = int(t[:4]), int(t[4:6]), int(t[6:])
    elif len(nums) >= 2 and len(nums[0][0]) == 4:
        year, month = int(nums[0][0]), int(nums[1][0])
        day = int(nums[2][0]) if len(nums) >= 3 and len(nums[2][0]) <= 2 else 1
    elif len(nums) >= 3 and len(nums[0][0]) <= 2 and len(nums[1][0]) <= 2 and len(nums[2][0]) in (2, 4):
        one, two = int(nums[0][0]), int(nums[1][0])
        month, day = (one, two) if low[nums[0][1]:nums[0][1] + 1] == "/" else (two, one)
        if month > 12 >= day:
            month, day = day, month
        year = int(nums[2][0])
        if len(nums[2][0]) == 2:
            year += 2000 if year < 30 else 1900
    if month and year and len(str(year)) == 2:
        year += 2000 if year < 30 else 1900
    has_date = bool(month)
    if has_date:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        last = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
        if not (1 <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= last[month - 1]):
            return ""
    if not has_date and hour < 0:
        return ""
    hour, minute, second = max(hour, 0), max(minute, 0), max(second, 0)
    out: list[str] = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%" or i + 1 == len(fmt):
            out.append(c)
            i += 1
            continue
        bare = fmt[i + 1] == "-" and i + 2 < len(fmt)
        code = fmt[i + 2] if bare else fmt[i + 1]
        i += 3 if bare else 2
        if code in "YymdBbAa" and not has_date:
            return ""
        if code in "YymdHIMS":
            hour12 = hour % 12 or 12
            n = {"Y": year, "y": year % 100, "m": month, "d": day, "H": hour, "I": hour12, "M": minute,
                 "S": second}[code]
            out.append(str(n) if bare or code == "Y" else f"{n:02d}")
        elif code in "Bb":
            name = months[month - 1].capitalize()
            out.append(name if code == "B" else name[:3])
        elif code in "Aa":
            y = year - (month < 3)
            w = (y + y // 4 - y // 100 + y // 400 + (0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4)[month - 1] + day) % 7
            name = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")[w]
            out.append(name if code == "A" else name[:3])
        elif code == "p":
            out.append("PM" if hour >= 12 else "AM")
        elif code == "%":
            out.append("%")
        else:
            return ""
    return "".join(out)[:MAX_TEXT]


def _arg(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def main(argv: list[str]) -> None:
    """Parse the arguments as JSON and print the JSON result."""
    args = [_arg(a) for a in argv]
    print(json.dumps(text_date(*args)))


if __name__ == "__main__":
    main(sys.argv[1:])

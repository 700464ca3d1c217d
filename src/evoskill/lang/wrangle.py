"""Primitives that read the structure of real-world text: dates and times, numbers, digits, names, addresses.

Each one reads a value written in a common form and writes it again with a *pattern*, the way a
data-wrangling user states a format:

* ``text-date``: strftime codes, ``"%b %y"`` (``06-Oct-2143`` -> ``Oct 43``);
* ``text-number``: spreadsheet number formats, ``"$#,##0.00"`` (``1234.5`` -> ``$1,234.50``);
* ``text-digits-fill``: ``#`` slots for digits, ``"(###) ###-####"`` (``555.123.4567`` -> ``(555) 123-4567``);
* ``text-name``: parts in braces, ``"{last}, {first}"`` (``Dr. Ada King Lovelace`` -> ``Lovelace, Ada``);
* ``text-address``: parts in braces, ``"{city}, {state}"``.

They are registered in :mod:`evoskill.lang.primitives` like every primitive, and the same rules hold: each
function is self-contained (builtins and ``MAX_TEXT`` only: it becomes the script of a built-in skill),
total (an input it cannot read, or a pattern it cannot use, gives ``""``), and fast to refuse (the search
calls it on many values). The search takes their patterns from :mod:`evoskill.synth.formats`, which reads
them off the solver examples.
"""

from __future__ import annotations

MAX_TEXT = 5000


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


def text_number(s: str, fmt: str) -> str:
    """The first number written in ``s``, rewritten with the spreadsheet number format ``fmt``; ``""`` if none.

    Reading: a sign, digits with thousands commas, a decimal point; currency symbols and spaces around it
    are ignored, and a ``%`` right after it divides by 100 (``45%`` is 0.45). Format: literal text, then the
    number part made of ``0`` (a digit always shown), ``#`` (a digit shown if needed), ``,`` between
    digits (thousands separators) and ``.`` (the decimals), then literal text; ``,`` right after the number
    part divides by 1000 each; ``%`` in the literal text multiplies by 100; ``positive;negative`` gives
    negative numbers their own format (without the minus sign), otherwise a ``-`` goes in front. Rounds
    halves away from zero, as spreadsheets do.
    """
    if len(s) > 200 or ("0" not in fmt and "#" not in fmt):
        return ""
    i = 0
    while i < len(s) and not s[i].isdigit():
        i += 1
    if i == len(s):
        return ""
    neg = i > 0 and (s[i - 1] == "-" or (i > 1 and s[i - 1] in "$€£¥ " and s[i - 2] == "-"))
    j = i
    while j < len(s) and (s[j].isdigit() or (s[j] == "," and s[j + 1:j + 4].isdigit())):
        j += 1
    whole = s[i:j].replace(",", "")
    frac = ""
    if j + 1 < len(s) and s[j] == "." and s[j + 1].isdigit():
        k = j + 1
        while k < len(s) and s[k].isdigit():
            k += 1
        frac, j = s[j + 1:k], k
    if len(whole) > 15:
        return ""
    value = float(whole + "." + (frac or "0"))
    if j < len(s) and s[j] == "%":
        value /= 100
    sections = fmt.split(";")
    if len(sections) > 2:
        return ""
    section = sections[1] if neg and len(sections) == 2 else sections[0]
    a = 0
    while a < len(section) and section[a] not in "0#":
        a += 1
    if a == len(section):
        return ""
    b = a
    while b < len(section) and (section[b] in "0#" or (section[b] in ",." and b + 1 < len(section)
                                                      and section[b + 1] in "0#")):
        b += 1
    prefix, body, scale = section[:a], section[a:b], 0
    while b < len(section) and section[b] == ",":
        scale += 1
        b += 1
    suffix = section[b:]
    if "%" in prefix + suffix:
        value *= 100
    value /= 1000 ** scale
    int_part, _, dec_part = body.partition(".")
    places = len(dec_part)
    units = int(value * 10 ** places + 0.5 + 1e-9)
    digits = str(units).rjust(places + 1, "0")
    left, right = digits[:len(digits) - places], digits[len(digits) - places:]
    shown = dec_part.count("0")  # decimals always shown; the others (#) only when not zero
    right = right[:shown] + right[shown:].rstrip("0")
    left = left.lstrip("0").rjust(int_part.count("0"), "0")
    if "," in int_part and left:
        groups = []
        while len(left) > 3:
            groups.append(left[-3:])
            left = left[:-3]
        left = ",".join([left, *reversed(groups)])
    text = left + ("." + right if right else "")
    if neg and len(sections) == 1 and units:
        return ("-" + prefix + text + suffix)[:MAX_TEXT]
    return (prefix + text + suffix)[:MAX_TEXT]


def text_digits_fill(s: str, pattern: str) -> str:
    """The digits of ``s`` written into the ``#`` slots of ``pattern``, right-aligned; ``""`` if too few digits.

    Surplus leading digits (a country code) are dropped: ``"+1 555 123 4567"`` with ``"###-###-####"`` gives
    ``555-123-4567``; other characters of the pattern are kept as they are.
    """
    slots = pattern.count("#")
    if not slots:
        return ""
    digits = [c for c in s if "0" <= c <= "9"]
    if len(digits) < slots:
        return ""
    it = iter(digits[len(digits) - slots:])
    return "".join(next(it) if c == "#" else c for c in pattern)[:MAX_TEXT]


def text_name(s: str, fmt: str) -> str:
    """A person's name in ``s`` rewritten with the parts in braces in ``fmt``; ``""`` if ``s`` is no name.

    Reads ``First Middle Last`` and ``Last, First Middle``, with a title (``Dr.``, ``Mr``, ``Prof.``...) in
    front, a suffix (``Jr.``, ``III``, ``PhD``...) at the end and particles (``van``, ``de``, ``von``...) kept
    with the last name. Parts: ``{title} {first} {middle} {last} {suffix}``, initials ``{f} {m} {l}``
    (``{m}``: the initials of all middle names). Literal text that follows an empty part (up to the next
    part) is left out, and so are spaces and commas at either end: ``{f}.{m}.{l}.`` gives ``A.T.`` for
    Alan Turing. A text with digits or an ``@`` is not a name.
    """
    if "{" not in fmt or len(s) > 200 or "@" in s or any("0" <= c <= "9" for c in s):
        return ""  # digits or an "@": an address, a phone number or an e-mail, not a person's name
    titles = ("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "fr", "capt", "lord", "lady")
    suffixes = ("jr", "sr", "ii", "iii", "iv", "v", "phd", "md", "esq")
    particles = ("van", "von", "de", "der", "den", "da", "di", "del", "della", "du", "la", "le", "st", "bin", "al")
    head, comma, tail = s.partition(",")
    words = head.split()
    rest = tail.split()
    title = suffix = ""
    if comma and rest and all(w.strip(".").lower() in suffixes for w in rest):
        suffix, rest = " ".join(rest), []
    if comma and rest:
        if words and words[-1].strip(".").lower() in suffixes:
            suffix = words.pop()
        if rest[0].strip(".").lower() in titles:
            title = rest.pop(0)
        last, given = " ".join(words), rest
    else:
        if words and words[0].strip(".").lower() in titles:
            title = words.pop(0)
        if len(words) > 1 and words[-1].strip(".").lower() in suffixes:
            suffix = (words.pop() + " " + suffix).strip()
        k = len(words) - 1
        while k > 1 and words[k - 1].lower() in particles:
            k -= 1
        last, given = " ".join(words[k:]), words[:k]
    if not given and not last:
        return ""
    first = given[0] if given else ""
    middle = given[1:]
    parts = {"title": title, "first": first, "middle": " ".join(middle), "last": last, "suffix": suffix,
             "f": first[:1], "m": "".join(w[:1] for w in middle), "l": last[:1]}
    out: list[str] = []
    i, skip = 0, False
    while i < len(fmt):
        if fmt[i] == "{":
            end = fmt.find("}", i)
            if end < 0 or fmt[i + 1:end] not in parts:
                return ""
            value = parts[fmt[i + 1:end]]
            out.append(value)
            skip, i = not value, end + 1
        else:
            if not skip:
                out.append(fmt[i])
            i += 1
    return "".join(out).strip(" ,")[:MAX_TEXT]


def text_address(s: str, fmt: str) -> str:
    """A postal address on one line rewritten with the parts in braces in ``fmt``; ``""`` if ``s`` has no comma.

    Reads ``number street, [unit,] city, [state] code`` (US and UK styles, comma-separated; a last field
    without digits is the city). Parts: ``{number}`` (the first word, when it has a digit), ``{street}``,
    ``{unit}``, ``{city}``, ``{state}`` (a word of letters before the code), ``{zip}`` (the postal code).
    Literal text that follows an empty part (up to the next part) is left out, and so are spaces and commas
    at either end.
    """
    if "{" not in fmt or "," not in s or len(s) > 300:
        return ""
    fields = [f.strip() for f in s.split(",") if f.strip()]
    if len(fields) < 2:
        return ""
    line = fields[0].split()
    number = line[0] if line and any(c.isdigit() for c in line[0]) and len(line) > 1 else ""
    street = " ".join(line[1:] if number else line)
    state = code = ""
    rest = fields[1:]
    if any(c.isdigit() for c in rest[-1]) and len(rest) >= 2:
        words = rest.pop().split()
        if len(words) >= 2 and words[0].isalpha() and words[0].isupper() and len(words[0]) <= 3:
            state, words = words[0], words[1:]
        code = " ".join(words)
    city = rest.pop() if rest else ""
    unit = ", ".join(rest)
    parts = {"number": number, "street": street, "unit": unit, "city": city, "state": state, "zip": code}
    out: list[str] = []
    i, skip = 0, False
    while i < len(fmt):
        if fmt[i] == "{":
            end = fmt.find("}", i)
            if end < 0 or fmt[i + 1:end] not in parts:
                return ""
            value = parts[fmt[i + 1:end]]
            out.append(value)
            skip, i = not value, end + 1
        else:
            if not skip:
                out.append(fmt[i])
            i += 1
    return "".join(out).strip(" ,")[:MAX_TEXT]

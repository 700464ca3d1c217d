"""Write the bundled `text` set: real-world text wrangling tasks written for evoskill (issue 14).

Inputs are written by hand below; each task's outputs are computed by a small reference rule using only
the standard library (``datetime``, ``format``), so that no output is mistyped. The first three inputs of a
task are the solver's examples, the others are held out (at least five, with other months, years, names
and lengths than the examples). Run from the repository root:

    python benchmarks/make_text_set.py

It rewrites ``src/evoskill/data/benchmarks/text/text.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "src/evoskill/data/benchmarks/text/text.json"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]

TASKS: list[dict[str, Any]] = []


def task(name: str, description: str, inputs: list[Any], rule: Callable[..., Any]) -> None:
    """Register a task; ``inputs`` items are one value (one input) or a tuple (several inputs)."""
    rows = [list(i) if isinstance(i, tuple) else [i] for i in inputs]
    exs = [{"inputs": r, "output": rule(*r)} for r in rows]
    assert len(exs) >= 8, name
    TASKS.append({"name": name, "description": description, "examples": exs[:3], "held_out": exs[3:]})


def iso(s: str) -> date:
    return date.fromisoformat(s)


def us(s: str) -> date:
    m, d, y = (int(p) for p in s.split("/"))
    return date(y, m, d)


def long_date(s: str) -> date:
    weekday = re.match(r"^([A-Za-z]+), ", s)
    s = re.sub(r"^[A-Za-z]+, ", "", s)
    s = re.sub(r"(\d)(st|nd|rd|th)", r"\1", s)
    d = datetime.strptime(s, "%B %d, %Y").date()
    assert weekday is None or weekday.group(1) == d.strftime("%A"), s  # the written weekday must be right
    return d


def money(x: float) -> str:
    return f"${x:,.2f}"


def words(s: str) -> list[str]:
    return s.split()


# ---- dates ------------------------------------------------------------------------------------------------

task("date-month-year-short", "a date like 06-Oct-2143 as month and two-digit year (Oct 43)",
     ["06-Oct-2143", "17-Mar-1998", "01-Jan-2005", "23-Jul-2011", "30-Nov-1987", "09-Feb-2020", "15-May-2099",
      "28-Aug-2000"],
     lambda s: datetime.strptime(s, "%d-%b-%Y").strftime("%b %y"))
task("date-iso-to-us", "an ISO date as MM/DD/YYYY",
     ["2024-03-07", "1999-12-31", "2010-06-15", "2023-01-09", "1987-11-02", "2031-08-24", "2005-04-30",
      "2019-10-11"],
     lambda s: iso(s).strftime("%m/%d/%Y"))
task("date-iso-to-long", "an ISO date written out: March 7, 2024",
     ["2024-03-07", "1999-12-31", "2010-06-15", "2023-01-09", "1987-11-22", "2031-08-04", "2005-04-30",
      "2019-10-11"],
     lambda s: f"{MONTHS[iso(s).month - 1]} {iso(s).day}, {iso(s).year}")
task("date-us-to-iso", "a US date M/D/YYYY (no leading zeros) as an ISO date",
     ["3/7/2024", "12/25/1999", "6/15/2010", "1/9/2023", "11/2/1987", "8/24/2031", "4/30/2005", "10/11/2019"],
     lambda s: us(s).isoformat())
task("date-dots-to-iso", "a European date DD.MM.YYYY as an ISO date",
     ["07.03.2024", "31.12.1999", "15.06.2010", "09.01.2023", "02.11.1987", "24.08.2031", "30.04.2005",
      "11.10.2019"],
     lambda s: datetime.strptime(s, "%d.%m.%Y").date().isoformat())
task("date-long-to-iso", "a written-out date (March 7, 2024) as an ISO date",
     ["March 7, 2024", "December 31, 1999", "June 15, 2010", "January 9, 2023", "November 22, 1987",
      "August 4, 2031", "April 30, 2005", "October 11, 2019"],
     lambda s: long_date(s).isoformat())
task("date-day-month-year-to-iso", "a date like 7 March 2024 as an ISO date",
     ["7 March 2024", "31 December 1999", "15 June 2010", "9 January 2023", "22 November 1987", "4 August 2031",
      "30 April 2005", "11 October 2019"],
     lambda s: datetime.strptime(s, "%d %B %Y").date().isoformat())
task("date-weekday", "the day of the week of an ISO date",
     ["2024-03-07", "1999-12-31", "2010-06-15", "2023-01-09", "1987-11-22", "2031-08-04", "2005-04-30",
      "2019-10-11"],
     lambda s: iso(s).strftime("%A"))
task("date-month-name", "the month of an ISO date, by name",
     ["2024-03-07", "1999-12-31", "2010-06-15", "2023-01-09", "1987-11-22", "2031-08-04", "2005-04-30",
      "2019-10-11"],
     lambda s: MONTHS[iso(s).month - 1])
task("date-year-month-to-words", "a year-month like 2024-03 as Mar 2024",
     ["2024-03", "1999-12", "2010-06", "2023-01", "1987-11", "2031-08", "2005-04", "2019-10"],
     lambda s: datetime.strptime(s, "%Y-%m").strftime("%b %Y"))
task("date-compact-to-iso", "a compact date 20240307 as an ISO date",
     ["20240307", "19991231", "20100615", "20230109", "19871122", "20310804", "20050430", "20191011"],
     lambda s: datetime.strptime(s, "%Y%m%d").date().isoformat())
task("date-iso-to-dmy-short", "an ISO date as DD/MM/YY",
     ["2024-03-07", "1999-12-31", "2010-06-15", "2023-01-09", "1987-11-22", "2031-08-04", "2005-04-30",
      "2019-10-11"],
     lambda s: iso(s).strftime("%d/%m/%y"))
task("date-weekday-day-month", "an ISO date as abbreviated weekday, day and month (Thu 7 Mar)",
     ["2024-03-07", "1999-12-31", "2010-06-15", "2023-01-09", "1987-11-22", "2031-08-04", "2005-04-30",
      "2019-10-11"],
     lambda s: f"{iso(s):%a} {iso(s).day} {iso(s):%b}")
task("date-of-timestamp", "the date of an ISO timestamp, as 07 Mar 2024",
     ["2024-03-07T14:05:09Z", "1999-12-31T23:59:59Z", "2010-06-15T08:30:00Z", "2023-01-09T00:00:01Z",
      "1987-11-22T12:45:30Z", "2031-08-04T19:10:05Z", "2005-04-30T06:06:06Z", "2019-10-11T17:20:40Z"],
     lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").strftime("%d %b %Y"))
task("date-month-year-to-iso-month", "a month and year in words (March 2024) as 2024-03",
     ["March 2024", "December 1999", "June 2010", "January 2023", "November 1987", "August 2031", "April 2005",
      "October 2019"],
     lambda s: datetime.strptime(s, "%B %Y").strftime("%Y-%m"))
task("date-quarter", "the quarter and year of an ISO date (Q3 2024)",
     ["2024-08-15", "1999-02-28", "2010-11-01", "2023-05-19", "1987-12-24", "2031-01-04", "2005-07-30",
      "2019-04-11"],
     lambda s: f"Q{(iso(s).month - 1) // 3 + 1} {iso(s).year}")
task("date-ordinal-to-iso", "a date with an ordinal day (Mar 7th, 2024) as an ISO date",
     ["Mar 7th, 2024", "Dec 31st, 1999", "Jun 22nd, 2010", "Jan 3rd, 2023", "Nov 1st, 1987", "Aug 4th, 2031",
      "Apr 23rd, 2005", "Oct 12th, 2019"],
     lambda s: datetime.strptime(re.sub(r"(\d)(st|nd|rd|th)", r"\1", s), "%b %d, %Y").date().isoformat())
task("date-full-to-us", "a date with its weekday written out (Thursday, March 7, 2024) as MM/DD/YYYY",
     ["Thursday, March 7, 2024", "Friday, December 31, 1999", "Tuesday, June 15, 2010", "Monday, January 9, 2023",
      "Sunday, November 22, 1987", "Monday, August 4, 2031", "Saturday, April 30, 2005", "Friday, October 11, 2019"],
     lambda s: long_date(s).strftime("%m/%d/%Y"))
task("date-us-to-long-eu", "a US date MM/DD/YYYY as 7 March 2024",
     ["03/07/2024", "12/31/1999", "06/15/2010", "01/09/2023", "11/22/1987", "08/04/2031", "04/30/2005",
      "10/11/2019"],
     lambda s: f"{us(s).day} {MONTHS[us(s).month - 1]} {us(s).year}")
task("date-days-between", "the number of days from the first ISO date to the second",
     [("2024-03-01", "2024-03-15"), ("2023-12-25", "2024-01-01"), ("1999-02-10", "1999-03-10"),
      ("2020-01-01", "2020-12-31"), ("2021-06-30", "2021-07-04"), ("2010-10-10", "2010-11-11"),
      ("2022-02-27", "2022-03-02"), ("2000-01-01", "2000-01-31")],
     lambda a, b: (iso(b) - iso(a)).days)

# ---- times ------------------------------------------------------------------------------------------------

task("time-24-to-12", "a 24-hour time as a 12-hour time with AM/PM (2:05 PM)",
     ["14:05", "09:30", "00:15", "23:59", "12:00", "07:45", "18:20", "11:11"],
     lambda s: datetime.strptime(s, "%H:%M").strftime("%I:%M %p").lstrip("0"))
task("time-12-to-24", "a 12-hour time with AM/PM as a 24-hour time",
     ["2:05 PM", "9:30 AM", "12:15 AM", "11:59 PM", "12:00 PM", "7:45 AM", "6:20 PM", "10:10 AM"],
     lambda s: datetime.strptime(s, "%I:%M %p").strftime("%H:%M"))
task("time-of-timestamp", "the hours and minutes of a timestamp",
     ["2024-03-07 14:05:09", "1999-12-31 23:59:59", "2010-06-15 08:30:00", "2023-01-09 00:00:01",
      "1987-11-22 12:45:30", "2031-08-04 19:10:05", "2005-04-30 06:06:06", "2019-10-11 17:20:40"],
     lambda s: s[11:16])
task("time-timestamp-to-words", "a timestamp as a short date and 12-hour time (Mar 7, 2:05 PM)",
     ["2024-03-07 14:05", "1999-12-31 23:59", "2010-06-15 08:30", "2023-01-09 00:10", "1987-11-22 12:45",
      "2031-08-04 19:10", "2005-04-30 06:06", "2019-10-11 17:20"],
     lambda s: (lambda d: f"{d:%b} {d.day}, {d:%I:%M %p}".replace(", 0", ", "))(
         datetime.strptime(s, "%Y-%m-%d %H:%M")))
task("time-minutes-to-hours", "a number of minutes as hours and minutes (2:05)",
     ["125", "59", "600", "75", "1439", "61", "240", "333"],
     lambda s: f"{int(s) // 60}:{int(s) % 60:02d}")
task("time-duration-to-seconds", "a duration H:MM:SS as a number of seconds",
     ["1:02:03", "0:00:59", "2:30:00", "0:10:10", "3:00:01", "0:59:59", "10:00:00", "1:01:01"],
     lambda s: (lambda h, m, x: h * 3600 + m * 60 + x)(*(int(p) for p in s.split(":"))))

# ---- numbers, currency, units -----------------------------------------------------------------------------

task("number-thousands", "a whole number with thousands separators",
     ["1234567", "1000", "987654321", "45210", "12", "3000000", "100200", "7654"],
     lambda s: f"{int(s):,}")
task("number-two-decimals", "a decimal number rounded to two decimals",
     ["3.14159", "2", "10.5", "0.126", "99.999", "7.1", "1234.5678", "0.3"],
     lambda s: f"{float(s):.2f}")
task("number-currency", "an amount as US dollars with cents and thousands separators",
     ["1234.5", "99", "1000000", "0.5", "12345.678", "250.25", "7", "98765.4"],
     lambda s: money(float(s)))
task("number-percent", "a fraction as a percentage with one decimal",
     ["0.256", "0.5", "0.0312", "1", "0.999", "0.07", "0.4321", "0.125"],
     lambda s: f"{float(s):.1%}")
task("number-zero-pad", "an id number padded with zeros to five digits",
     ["42", "7", "12345", "999", "0", "5050", "31", "808"],
     lambda s: f"{int(s):05d}")
task("number-round-whole", "a decimal number rounded to a whole number",
     ["3.7", "2.2", "10.49", "0.51", "99.9", "5.01", "123.6", "7.45"],
     lambda s: str(round(float(s))))
task("number-strip-currency", "a dollar amount as a plain number (no symbol, no separators)",
     ["$1,234.50", "$99.00", "$1,000,000.25", "$0.75", "$12,345.67", "$250.10", "$7.00", "$98,765.40"],
     lambda s: s.replace("$", "").replace(",", ""))
task("number-millions", "a count in millions with one decimal (2.5M)",
     ["2500000", "1234567", "98000000", "7260000", "1000000", "45600000", "3999999", "15050000"],
     lambda s: f"{int(s) / 1e6:.1f}M")
task("number-thousands-one-decimal", "a decimal number with thousands separators and one decimal",
     ["12345.678", "1000", "987654.32", "45.06", "1234567.89", "5.57", "100200.4", "31415.9"],
     lambda s: f"{float(s):,.1f}")
task("number-euro-amount", "an amount in euros written with the symbol after it (1,234.50 €)",
     ["1234.5", "99", "1000000", "0.5", "12345.678", "250.25", "7", "98765.4"],
     lambda s: f"{float(s):,.2f} €")
task("number-percent-to-decimal", "a percentage as a decimal fraction with two decimals",
     ["45%", "7%", "100%", "12%", "3%", "88%", "50%", "61%"],
     lambda s: f"{int(s[:-1]) / 100:.2f}")
task("number-unit-value", "the number of a measurement with a unit (12.5 kg -> 12.5)",
     ["12.5 kg", "3 m", "250 ml", "0.75 l", "1000 g", "42 km", "6.1 cm", "18 mg"],
     lambda s: s.split()[0])
task("number-km-to-m", "a distance in kilometres as whole metres",
     ["2.5 km", "1 km", "0.75 km", "12.3 km", "0.05 km", "7 km", "3.141 km", "10.5 km"],
     lambda s: f"{round(float(s.split()[0]) * 1000)} m")
task("number-negative-accounting", "an amount in accounting style: negatives in parentheses",
     ["-1234.5", "250", "-7", "99.99", "-1000000", "12345.6", "-0.5", "42"],
     lambda s: (f"({-float(s):,.2f})" if float(s) < 0 else f"{float(s):,.2f}"))
task("number-cents-to-dollars", "a price in cents as dollars and cents",
     ["1999", "5", "100000", "250", "12345", "99", "7000", "31415"],
     lambda s: money(int(s) / 100))

# ---- names ------------------------------------------------------------------------------------------------

NAMES = ["Ada King Lovelace", "Alan Turing", "Grace Brewster Hopper", "Katherine Johnson",
         "Dennis MacAlistair Ritchie", "Barbara Liskov", "Donald Ervin Knuth", "Edsger Wybe Dijkstra", "Margaret Hamilton"]
task("name-first", "the first name of a full name", NAMES, lambda s: words(s)[0])
task("name-last-first", "a full name as last name, first name",
     NAMES[:2] + ["Grace Brewster Hopper", "Katherine Johnson", "Barbara Liskov", "Donald Ervin Knuth",
                  "Edsger Wybe Dijkstra", "Margaret Hamilton"],
     lambda s: f"{words(s)[-1]}, {words(s)[0]}")
task("name-initials", "the initials of a full name, with dots (A.K.L.)",
     NAMES, lambda s: "".join(w[0] + "." for w in words(s)))
task("name-from-last-first", "a name written last, first as first last",
     ["Lovelace, Ada", "Turing, Alan", "Hopper, Grace", "Johnson, Katherine", "Liskov, Barbara", "Knuth, Donald",
      "Hamilton, Margaret", "Ritchie, Dennis"],
     lambda s: " ".join(reversed(s.split(", "))))
task("name-drop-title", "a name without its title (Dr., Mr., Ms., Prof.)",
     ["Dr. Ada Lovelace", "Mr. Alan Turing", "Ms. Grace Hopper", "Prof. Donald Knuth", "Mrs. Katherine Johnson",
      "Dr. Barbara Liskov", "Mr. Dennis Ritchie", "Ms. Margaret Hamilton"],
     lambda s: s.split(" ", 1)[1])
task("name-initial-last", "a full name as first initial and last name (A. Lovelace)",
     NAMES, lambda s: f"{s[0]}. {words(s)[-1]}")
task("name-username", "a user name: first initial and last name in lower case",
     NAMES, lambda s: (s[0] + words(s)[-1]).lower())
task("name-proper-case", "a name in proper case",
     ["ada LOVELACE", "ALAN turing", "grace hopper", "kaTHerine JOHNSON", "barbara liskov", "DONALD KNUTH",
      "edsger dijkstra", "mARGARET hAMILTON"],
     lambda s: s.title())
task("name-last-with-suffix", "the last name of a full name that may end in a suffix (Jr., Sr., III)",
     ["Martin Luther King Jr.", "Alan Turing", "Henry Ford II", "Katherine Johnson", "Robert Downey Jr.",
      "Donald Knuth", "Sammy Davis Sr.", "William Gates III"],
     lambda s: [w for w in words(s) if w not in ("Jr.", "Sr.", "II", "III")][-1])
task("name-email", "a work e-mail from a full name and a domain (first.last@domain)",
     [("Ada Lovelace", "example.com"), ("Alan Turing", "bletchley.org"), ("Grace Hopper", "navy.mil"),
      ("Katherine Johnson", "nasa.gov"), ("Barbara Liskov", "mit.edu"), ("Donald Knuth", "stanford.edu"),
      ("Dennis Ritchie", "bell-labs.com"), ("Margaret Hamilton", "draper.com")],
     lambda n, d: f"{words(n)[0].lower()}.{words(n)[-1].lower()}@{d}")

# ---- addresses --------------------------------------------------------------------------------------------

US = ["1600 Amphitheatre Pkwy, Mountain View, CA 94043", "350 Fifth Avenue, New York, NY 10118",
      "1 Infinite Loop, Cupertino, CA 95014", "233 S Wacker Dr, Chicago, IL 60606",
      "400 Broad St, Seattle, WA 98109", "600 Navarro St, San Antonio, TX 78205",
      "1000 5th Ave, New York, NY 10028", "2 Lincoln Memorial Cir NW, Washington, DC 20037"]
task("address-zip", "the ZIP code of a US address", US, lambda s: s.split()[-1])
task("address-state", "the state of a US address", US, lambda s: s.split()[-2])
task("address-city", "the city of a US address", US, lambda s: s.split(", ")[1])
task("address-street-number", "the house number of a US address", US, lambda s: s.split()[0])
task("address-street", "the street of a US address, without the number",
     US, lambda s: s.split(", ")[0].split(" ", 1)[1])
task("address-city-state", "the city and state of an address that may have a unit line",
     ["12 Main St, Apt 4, Springfield, IL 62701", "350 Fifth Avenue, New York, NY 10118",
      "9 Elm Rd, Suite 200, Austin, TX 73301", "400 Broad St, Seattle, WA 98109",
      "77 Mass Ave, Room 10, Cambridge, MA 02139", "1 Infinite Loop, Cupertino, CA 95014",
      "5 Oak Ln, Unit 3B, Denver, CO 80202", "600 Navarro St, San Antonio, TX 78205"],
     lambda s: ", ".join(s.split(", ")[-2:]).rsplit(" ", 1)[0])
task("address-uk-postcode", "the postcode of a UK address",
     ["221B Baker Street, London, NW1 6XE", "10 Downing Street, London, SW1A 2AA",
      "1 Princes St, Edinburgh, EH2 2EQ", "4 Privet Drive, Little Whinging, KT23 4HX",
      "18 Deansgate, Manchester, M3 1AZ", "2 Castle St, Cardiff, CF10 1BS", "7 Quay St, Bristol, BS1 4DQ",
      "30 Pier Rd, Brighton, BN2 1TW"],
     lambda s: s.split(", ")[-1])
task("address-one-line-to-label", "an address on one line as a two-line mailing label (street, then city)",
     ["221B Baker Street, London", "10 Downing Street, London", "1 Princes St, Edinburgh", "18 Deansgate, Manchester",
      "2 Castle St, Cardiff", "7 Quay St, Bristol", "30 Pier Rd, Brighton", "4 Privet Drive, Little Whinging"],
     lambda s: s.replace(", ", "\n"))

# ---- phone numbers ----------------------------------------------------------------------------------------

task("phone-parens-to-dashes", "a US phone number (555) 123-4567 as 555-123-4567",
     ["(555) 123-4567", "(212) 555-0199", "(415) 867-5309", "(303) 499-7111", "(617) 253-1000",
      "(202) 456-1111", "(808) 944-2000", "(312) 744-5000"],
     lambda s: re.sub(r"\((\d+)\) ", r"\1-", s))
task("phone-dots-to-parens", "a phone number 555.123.4567 as (555) 123-4567",
     ["555.123.4567", "212.555.0199", "415.867.5309", "303.499.7111", "617.253.1000", "202.456.1111",
      "808.944.2000", "312.744.5000"],
     lambda s: (lambda d: f"({d[:3]}) {d[3:6]}-{d[6:]}")(s.replace(".", "")))
task("phone-drop-country", "a phone number with country code +1 as 555-123-4567",
     ["+1 555 123 4567", "+1 212 555 0199", "+1 415 867 5309", "+1 303 499 7111", "+1 617 253 1000",
      "+1 202 456 1111", "+1 808 944 2000", "+1 312 744 5000"],
     lambda s: "-".join(s.split()[1:]))
task("phone-digits-to-format", "ten digits as a phone number (555) 123-4567",
     ["5551234567", "2125550199", "4158675309", "3034997111", "6172531000", "2024561111", "8089442000",
      "3127445000"],
     lambda s: f"({s[:3]}) {s[3:6]}-{s[6:]}")
task("phone-any-to-e164", "a US phone number in any common form as +1XXXXXXXXXX",
     ["(555) 123-4567", "212.555.0199", "415-867-5309", "303 499 7111", "(617) 253-1000", "202.456.1111",
      "808-944-2000", "312 744 5000"],
     lambda s: "+1" + re.sub(r"\D", "", s))
task("phone-last-four", "the last four digits of a phone number in any form",
     ["(555) 123-4567", "212.555.0199", "+1 415 867 5309", "303-499-7111", "617 253 1000", "(202) 456-1111",
      "808.944.2000", "+1 312 744 5000"],
     lambda s: re.sub(r"\D", "", s)[-4:])

# ---- e-mails and URLs -------------------------------------------------------------------------------------

EMAILS = ["ada.lovelace@example.com", "alan@bletchley.org", "grace.hopper@navy.mil", "kj@nasa.gov",
          "barbara.liskov@csail.mit.edu", "knuth@cs.stanford.edu", "dmr@bell-labs.com", "m.hamilton@draper.com"]
task("email-domain", "the domain of an e-mail address", EMAILS, lambda s: s.split("@")[1])
task("email-user", "the user part of an e-mail address", EMAILS, lambda s: s.split("@")[0])
task("email-to-name", "the name in an e-mail address first.last@... (Ada Lovelace)",
     ["ada.lovelace@example.com", "alan.turing@bletchley.org", "grace.hopper@navy.mil",
      "katherine.johnson@nasa.gov", "barbara.liskov@mit.edu", "donald.knuth@stanford.edu",
      "dennis.ritchie@bell-labs.com", "margaret.hamilton@draper.com"],
     lambda s: s.split("@")[0].replace(".", " ").title())
task("email-normalise", "an e-mail address trimmed and in lower case",
     ["  Ada@Example.COM ", "ALAN@Bletchley.org", " Grace.Hopper@NAVY.mil", "KJ@nasa.gov  ",
      "Barbara@MIT.edu", "  knuth@CS.Stanford.EDU", "DMR@bell-labs.com ", " M.Hamilton@Draper.Com"],
     lambda s: s.strip().lower())

URLS = ["https://www.example.com/about/team.html", "http://blog.python.org/2024/03/release.html",
        "https://docs.github.com/en/pages", "https://www.bbc.co.uk/news/world.html",
        "http://example.org/index.php", "https://en.wikipedia.org/wiki/Ada_Lovelace",
        "https://shop.example.net/cart/view.aspx", "http://www.gnu.org/licenses/gpl-3.0.html"]
task("url-host", "the host name of a URL", URLS, lambda s: s.split("/")[2])
task("url-domain-no-www", "the host of a URL without a leading www.",
     URLS, lambda s: s.split("/")[2].removeprefix("www."))
task("url-path", "the path of a URL (from the first slash after the host)",
     URLS, lambda s: "/" + s.split("/", 3)[3])
task("url-last-segment", "the last segment of a URL's path", URLS, lambda s: s.rsplit("/", 1)[1])
task("url-query-id", "the value of the id parameter of a URL",
     ["https://shop.example.com/item?id=123&ref=mail", "https://example.org/view?id=98765",
      "http://store.example.net/p?lang=en&id=42", "https://example.com/item?id=7&ref=ad",
      "https://example.org/view?ref=home&id=5550", "http://store.example.net/p?id=31&lang=fr",
      "https://example.com/item?sort=new&id=808&page=2", "https://example.org/view?id=1"],
     lambda s: re.search(r"[?&]id=([^&]*)", s).group(1))  # type: ignore[union-attr]
task("file-extension", "the extension of a file name",
     ["report.final.pdf", "photo.jpeg", "archive.tar.gz", "notes.txt", "data.2024.csv", "slides.pptx",
      "main.py", "README.md"],
     lambda s: s.rsplit(".", 1)[1])


def main() -> None:
    names = [t["name"] for t in TASKS]
    assert len(names) == len(set(names))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(TASKS, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(TASKS)} tasks to {OUT}")


if __name__ == "__main__":
    main()

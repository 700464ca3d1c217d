"""Real-world text from three examples (issue 14): the primitives that read structure, their patterns, the set."""

from __future__ import annotations

import pytest

from evoskill.lang.primitives import FUNCTIONS, PATTERN_ARGS
from evoskill.lang.program import compile_program, ops
from evoskill.lang.wrangle import text_address, text_date, text_digits_fill, text_name, text_number
from evoskill.synth.formats import patterns
from evoskill.synth.search import synthesize
from evoskill.tasks import BENCHMARKS, Example, load_benchmark, task_from_dict


@pytest.mark.parametrize("s, fmt, out", [
    ("06-Oct-2143", "%b %y", "Oct 43"),
    ("2024-03-07", "%A, %B %-d, %Y", "Thursday, March 7, 2024"),
    ("3/7/2024", "%Y-%m-%d", "2024-03-07"),  # slashes: month first
    ("07.03.2024", "%Y-%m-%d", "2024-03-07"),  # dots: day first
    ("31/12/1999", "%Y-%m-%d", "1999-12-31"),  # month 31 is impossible: the other order
    ("Mar 7th, 2024", "%d/%m/%Y", "07/03/2024"),
    ("Friday, December 31, 1999", "%a %d %b", "Fri 31 Dec"),
    ("20240307", "%d.%m.%y", "07.03.24"),
    ("March 2024", "%Y-%m", "2024-03"),
    ("2024-03-07T14:05:09Z", "%H:%M:%S on %d %b", "14:05:09 on 07 Mar"),
    ("12:15 AM", "%H:%M", "00:15"),
    ("14:05", "%-I:%M %p", "2:05 PM"),
    ("1/1/29", "%Y", "2029"),
    ("1/1/30", "%Y", "1930"),
])
def test_text_date_reads_common_forms(s: str, fmt: str, out: str) -> None:
    assert text_date(s, fmt) == out


@pytest.mark.parametrize("s, fmt", [("no date here", "%Y"), ("2/30/2024", "%Y"), ("2024-03-07", "no codes"),
                                    ("14:05", "%Y"), ("25:00", "%H"), ("", "%d")])
def test_text_date_is_total(s: str, fmt: str) -> None:
    assert text_date(s, fmt) == ""


@pytest.mark.parametrize("s, fmt, out", [
    ("1234567", "#,##0", "1,234,567"), ("3.14159", "0.00", "3.14"), ("2", "0.00", "2.00"),
    ("1234.5", "$#,##0.00", "$1,234.50"), ("0.256", "0.0%", "25.6%"), ("42", "00000", "00042"),
    ("2.5", "0", "3"), ("-2.5", "0", "-3"),  # halves away from zero, as spreadsheets round
    ("$1,234.50", "0.00", "1234.50"), ("2500000", "0.0,,M", "2.5M"), ("45%", "0.00", "0.45"),
    ("-1234.5", "#,##0.00;(#,##0.00)", "(1,234.50)"), ("99", "#,##0.00;(#,##0.00)", "99.00"),
    ("12.5 kg", "0.##", "12.5"), ("3 m", "0.##", "3"), ("1234.5", "#,##0.00 €", "1,234.50 €"),
])
def test_text_number_formats(s: str, fmt: str, out: str) -> None:
    assert text_number(s, fmt) == out


def test_digits_names_addresses() -> None:
    assert text_digits_fill("+1 555 123 4567", "(###) ###-####") == "(555) 123-4567"
    assert text_digits_fill("555-0199", "###-###-####") == ""
    assert text_number("n/a", "0") == "" and text_number("12", "no digits") == ""
    assert text_name("Dr. Ada King Lovelace", "{title}|{first}|{middle}|{last}") == "Dr.|Ada|King|Lovelace"
    assert text_name("Hopper, Grace Brewster", "{first} {last}") == "Grace Hopper"
    assert text_name("Martin Luther King Jr.", "{last}, {first} {suffix}") == "King, Martin Jr."
    assert text_name("John von Neumann", "{last}") == "von Neumann"
    assert text_name("Alan Turing", "{f}.{m}.{l}.") == "A.T." and text_name("Alan Turing", "{middle}") == ""
    addr = "12 Main St, Apt 4, Springfield, IL 62701"
    assert text_address(addr, "{number}|{street}|{unit}|{city}|{state}|{zip}") == "12|Main St|Apt 4|Springfield|IL|62701"
    assert text_address("221B Baker Street, London, NW1 6XE", "{city} {zip}") == "London NW1 6XE"
    assert text_address("221B Baker Street, London", "{street}; {city}") == "Baker Street; London"
    assert text_address("no commas", "{city}") == "" and text_name("Ada", "{bogus}") == ""
    # an address, a phone number or an e-mail is not a name (else a name pattern would fit an address by luck)
    assert text_name("221B Baker Street, London, NW1 6XE", "{middle}") == ""
    assert text_name("ada.lovelace@example.com", "{last}") == ""


def test_patterns_are_read_off_the_examples() -> None:
    exs = [Example(("06-Oct-2143",), "Oct 43"), Example(("17-Mar-1998",), "Mar 98"), Example(("01-Jan-2005",), "Jan 05")]
    assert ("text-date", "%b %y") in patterns(exs, ("str",))
    money = [Example(("1234.5",), "$1,234.50"), Example(("99",), "$99.00"), Example(("1000000",), "$1,000,000.00")]
    assert patterns(money, ("str",))[0] == ("text-number", "$#,##0.00")
    phones = [Example(("555.123.4567",), "(555) 123-4567"), Example(("212.555.0199",), "(212) 555-0199"),
              Example(("415.867.5309",), "(415) 867-5309")]
    assert ("text-digits-fill", "(###) ###-####") in patterns(phones, ("str",))
    # up to case: text-lower finishes the job
    users = [Example(("Ada King Lovelace",), "alovelace"), Example(("Alan Turing",), "aturing"),
             Example(("Grace Brewster Hopper",), "ghopper")]
    assert ("text-name", "{f}{last}") in patterns(users, ("str",))
    assert patterns(exs, ("int",)) == [] and patterns([Example(("x",), "y")], ("str",)) == []


def test_every_pattern_primitive_has_an_inference() -> None:
    from evoskill.synth.formats import FUNCTIONS as INFERRED
    assert set(PATTERN_ARGS) == set(INFERRED)


def test_search_prefers_reading_the_date_to_pasting_pieces() -> None:
    """The issue's example: month and two-digit year of a date, learned as parse-and-format, not as pieces."""
    task = task_from_dict({"name": "month-year", "examples": [
        {"inputs": ["2143-10-06"], "output": "Oct 43"}, {"inputs": ["1998-03-17"], "output": "Mar 98"},
        {"inputs": ["2005-01-01"], "output": "Jan 05"}]})
    res = synthesize(task, budget_seconds=20, max_programs=300_000)
    assert res.solved and res.program is not None
    assert "text-date" in ops(res.program), res.source
    fn = compile_program(res.program, 1, FUNCTIONS)
    # other months, years, days: a program built from pieces of the three outputs breaks here
    assert [fn(s) for s in ("1987-11-30", "2011-07-23", "2020-02-09")] == ["Nov 87", "Jul 11", "Feb 20"]


def test_patterns_do_not_widen_other_text_searches() -> None:
    """Without an inferred pattern the structural primitives are never called (no pattern leaf feeds them)."""
    task = task_from_dict({"name": "first-word", "examples": [
        {"inputs": ["hello big world"], "output": "hello"}, {"inputs": ["a b"], "output": "a"},
        {"inputs": ["xy z"], "output": "xy"}]})
    res = synthesize(task, budget_seconds=10, max_programs=50_000)
    assert res.solved and res.source == '(text-before x0 " ")'


def test_the_text_set_loads() -> None:
    assert "text" in BENCHMARKS
    tasks = load_benchmark("text")
    assert len(tasks) >= 60
    assert len({t.name for t in tasks}) == len(tasks)
    for t in tasks:
        assert len(t.examples) == 3 and len(t.held_out) >= 5, t.name
        assert t.searchable == "", t.name
        # held-out inputs differ from the solver's
        assert not {e.inputs for e in t.held_out} & {e.inputs for e in t.examples}, t.name

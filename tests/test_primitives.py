"""Primitive skills: examples, edge cases, generated core folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from evoskill.core import skills_root
from evoskill.core.build import stale
from evoskill.explain import PHRASES
from evoskill.lang import primitives as P
from evoskill.lang import types
from evoskill.lang.program import compile_program, parse
from evoskill.tasks import SEARCH_TYPES


def _arg(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("(lambda"):
        return compile_program(parse(value), 0, P.FUNCTIONS)()
    return value


@pytest.mark.parametrize("prim", P.PRIMITIVES, ids=lambda p: p.name)
def test_examples(prim: P.Primitive) -> None:
    assert prim.examples, prim.name
    for inputs, output in prim.examples:
        assert prim.fn(*[_arg(a) for a in inputs]) == output


def test_names_and_signatures() -> None:
    import re
    for p in P.PRIMITIVES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", p.name)
        assert p.name.split("-")[0] in ("text", "int", "bool", "list", "texts", "bools", "float", "record",
                                        "records", "dict")
        args, ret = P.parse_signature(p.signature)
        assert ret in SEARCH_TYPES or types.normalize(ret) == ret
        for a in args:
            ft = P.function_type(a)
            assert ft is not None or a in SEARCH_TYPES or types.normalize(a) == a
            for t in (*ft[0], ft[1]) if ft else ():
                assert types.normalize(t) == t
        assert p.name in PHRASES, f"{p.name} needs a phrase in explain.PHRASES"


def test_edge_cases() -> None:
    assert P.text_mid("", 1, 3) == ""
    assert P.text_mid("abc", -5, 2) == ""
    assert P.text_left("", 3) == "" and P.text_right("abc", -1) == ""
    assert P.text_find("", "") == 1 and P.text_find("x", "") == 0
    assert P.text_find_from("a", "aaa", 0) == 0
    assert P.int_of_text("-") == 0 and P.int_of_text("1e5") == 0
    assert P.int_div(-7, -2) == 3 and P.int_mod(7, -3) == -2
    assert len(P.text_rept("abc", 10 ** 12)) == P.MAX_TEXT
    assert len(P.list_repeat(1, 10 ** 12)) == P.MAX_ITEMS
    assert len(P.list_range(-(10 ** 12), 10 ** 12)) == P.MAX_ITEMS
    assert P.list_nth([], 1) == 0 and P.list_nth([1], -1) == 0
    assert P.list_remove_at([], 1) == [] and P.list_insert([], -4, 3) == [3]
    assert P.list_slice([1, 2, 3], 3, 1) == []
    assert P.list_max([]) == 0 and P.list_head([]) == 0
    assert P.text_substitute_nth("aaa", "a", "b", 3) == "aab"
    assert P.text_trim("   ") == ""
    assert P.text_before("", "") == "" and P.text_after_last("a", "") == "a"


def test_signature_parsing() -> None:
    assert P.parse_signature("(int, int -> int), int, list[int] -> int") == (
        ("(int, int -> int)", "int", "list[int]"), "int")
    assert P.function_type("(int, int -> int)") == (("int", "int"), "int")
    assert P.function_type("int") is None


def test_core_folders_up_to_date() -> None:
    assert stale() == [], "run: python -m evoskill.core.build"
    names = sorted(d.name for d in skills_root().iterdir() if d.is_dir())
    assert names == sorted(p.name for p in P.PRIMITIVES)


@pytest.mark.parametrize("name", ["text-mid", "list-filter"])
def test_core_folders_validate_and_run(name: str) -> None:
    folder = skills_root() / name
    exe = Path(sys.executable).parent / "agentskills"
    if exe.exists():
        r = subprocess.run([str(exe), "validate", str(folder)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
    examples = json.loads((folder / "tests" / "examples.json").read_text())
    script = folder / "scripts" / f"{name.replace('-', '_')}.py"
    ex = examples[0]
    r = subprocess.run([sys.executable, str(script), *[json.dumps(a) for a in ex["inputs"]]],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == ex["output"]


def test_skill_load() -> None:
    from evoskill.skill import Skill
    s = Skill.load(skills_root() / "text-left")
    assert s.manifest.metadata["evoskill-signature"] == "str, int -> str"
    assert s.entry_point is not None

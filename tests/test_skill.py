"""Tests for the Agent Skills parser, validator, renderer and the Skill class."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evoskill.errors import InvalidSkill
from evoskill.skill import (
    MAX_FILE_BYTES,
    Problem,
    Skill,
    SkillManifest,
    parse_skill_md,
    render_skill_md,
    validate_skill_dir,
    with_metadata,
)

AGENTSKILLS = Path(sys.executable).parent / "agentskills"


def write_skill(parent: Path, name: str, text: str | bytes | None = None, folder: str | None = None) -> Path:
    """Create ``parent/folder`` with a SKILL.md (a valid default one unless ``text`` is given)."""
    root = parent / (folder or name)
    root.mkdir(parents=True, exist_ok=True)
    if text is None:
        text = f"---\nname: {name}\ndescription: Does {name} things.\n---\n# {name}\n\nUse it.\n"
    data = text.encode("utf-8") if isinstance(text, str) else text
    (root / "SKILL.md").write_bytes(data)
    return root


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def fields(problems: list[Problem]) -> list[str | None]:
    return [p.field for p in errors(problems)]


# ------------------------------------------------------------------------------------ strategies
NAME = st.from_regex(r"\A[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,4}\Z")
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=200)
DESCRIPTION = (st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="<>"),
                       min_size=1, max_size=300)
               | st.sampled_from(["a --- b", "---", "x\n---\ny", '"quoted" \'single\' \\ back', "é 😀 中文",
                                  "key: value # not a comment", "- list?", "\ufeffbom", "tab\there"]))
DESCRIPTION = DESCRIPTION.filter(lambda s: s.strip() != "")
BODY = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\r\x00"), max_size=300)
META = st.dictionaries(TEXT.filter(bool), TEXT, max_size=4)


@st.composite
def manifests(draw: st.DrawFn) -> SkillManifest:
    return SkillManifest(
        name=draw(NAME),
        description=draw(DESCRIPTION),
        license=draw(st.none() | TEXT),
        compatibility=draw(st.none() | TEXT),
        metadata=draw(META),
        allowed_tools=draw(st.none() | st.just("Bash(git:*) Read") | TEXT),
        body=draw(BODY),
    )


# ---------------------------------------------------------------------------------- properties
@settings(max_examples=150, deadline=None)
@given(manifests())
def test_render_then_parse_round_trips(m: SkillManifest) -> None:
    text = render_skill_md(m)
    parsed, problems = parse_skill_md(text)
    assert parsed == m
    assert errors(problems) == []
    # Never three hyphens in a row inside the frontmatter (skills-ref splits on any '---').
    front = text.split("\n---\n", 1)[0][4:]
    assert "---" not in front


@settings(max_examples=100, deadline=None)
@given(manifests())
def test_bom_and_crlf_variants_parse_identically(m: SkillManifest) -> None:
    text = render_skill_md(m)
    expected = parse_skill_md(text)
    for variant in ("\ufeff" + text, text.replace("\n", "\r\n"), "\ufeff" + text.replace("\n", "\r\n")):
        assert parse_skill_md(variant) == expected
        assert parse_skill_md(variant.encode("utf-8")) == expected


@settings(max_examples=300, deadline=None)
@given(st.text() | st.binary() | st.text().map(lambda t: "---\n" + t + "\n---\nbody"))
def test_parse_never_raises(data: str | bytes) -> None:
    manifest, problems = parse_skill_md(data)
    assert manifest is not None or errors(problems)
    assert all(isinstance(p, Problem) and p.message for p in problems)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(m=manifests())
def test_rendered_skill_passes_reference_validator_in_process(m: SkillManifest, tmp_path: Path) -> None:
    from skills_ref.validator import validate

    folder = tmp_path / m.name
    folder.mkdir(exist_ok=True)
    (folder / "SKILL.md").write_text(render_skill_md(m), encoding="utf-8")
    assert validate(folder) == []
    assert errors(validate_skill_dir(folder)) == []


# ---------------------------------------------------------------------------- fixed frontmatter
def test_rendered_skill_passes_agentskills_cli(tmp_path: Path) -> None:
    nasty = SkillManifest(
        name="nasty-skill",
        description='Handles "---" separators, colons: yes, #hashes, é, 😀 and\nnewlines --- too',
        license="Proprietary --- see LICENSE.txt",
        compatibility="Python 3.11+; needs `git`",
        metadata={"evoskill-version": "3", "evoskill-parents": "a,b", "weird---key": "v: 1 # x",
                  "evoskill-program": "(concat x \"-\" y)"},
        allowed_tools="Bash(git:*) Read",
        body="# Title\n\n---\n\nA horizontal rule above.\n",
    )
    folder = tmp_path / nasty.name
    folder.mkdir()
    (folder / "SKILL.md").write_text(render_skill_md(nasty), encoding="utf-8")
    done = subprocess.run([str(AGENTSKILLS), "validate", str(folder)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert Skill.load(folder).manifest == nasty
    # and the CLI really does reject things: an unknown key makes it fail
    (folder / "SKILL.md").write_text(render_skill_md(nasty).replace("---\n", "---\nfoo: \"x\"\n", 1))
    bad = subprocess.run([str(AGENTSKILLS), "validate", str(folder)], capture_output=True, text=True)
    assert bad.returncode != 0


def test_triple_dash_inside_values_does_not_cut_frontmatter() -> None:
    text = ("---\nname: demo\ndescription: |\n  first line\n  ---\n  after the dashes\n"
            "license: 'a --- b'\nmetadata:\n  note: \"x\n    ---\n    y\"\n---\nbody\n---\nmore\n")
    m, problems = parse_skill_md(text)
    assert errors(problems) == []
    assert m is not None
    assert m.description == "first line\n---\nafter the dashes\n"
    assert m.license == "a --- b"
    assert m.body == "body\n---\nmore\n"


def test_bom_and_crlf_accepted() -> None:
    plain = "---\nname: demo\ndescription: A demo.\n---\nline one\nline two\n"
    crlf = "\ufeff" + plain.replace("\n", "\r\n")
    assert parse_skill_md(crlf.encode("utf-8")) == parse_skill_md(plain)
    m, _ = parse_skill_md(crlf)
    assert m is not None and m.body == "line one\nline two\n"


@pytest.mark.parametrize("data, needle", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
    (b"---\nname: d\ndescription: caf\xe9\n---\n", "UTF-8"),
    ("no frontmatter here", "first line"),
    ("---\nname: demo\ndescription: x\n", "not closed"),
    ("---\nname: [unclosed\ndescription: x\n---\n", "not valid YAML"),
    ("---\n- a\n- b\n---\n", "mapping"),
    ("", "first line"),
])
def test_unreadable_inputs_give_one_clear_problem(data: str | bytes, needle: str) -> None:
    m, problems = parse_skill_md(data)
    assert m is None
    assert len(problems) == 1 and problems[0].severity == "error"
    assert needle in problems[0].message


# ------------------------------------------------------------------------------------ the rules
def fm(**kv: str) -> str:
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in kv.items()) + "---\nbody\n"


@pytest.mark.parametrize("name, fix", [
    ("Foo", "rename to 'foo'"),
    ("foo_bar", "rename to 'foo-bar'"),
    ("-foo", "rename to 'foo'"),
    ("foo-", "rename to 'foo'"),
    ("foo--bar", "rename to 'foo-bar'"),
    ("a" * 65, "limit is 64"),
    ("'ünï'", "lowercase a-z"),
])
def test_bad_names(name: str, fix: str) -> None:
    _, problems = parse_skill_md(fm(name=name, description="ok"))
    assert "name" in fields(problems)
    assert any(fix in p.message for p in problems), problems


@pytest.mark.parametrize("name", ["a", "abc-123", "x" * 64, "a1-b2-c3"])
def test_good_names(name: str) -> None:
    _, problems = parse_skill_md(fm(name=name, description="ok"))
    assert problems == []


def test_required_fields_and_every_problem_at_once() -> None:
    _, problems = parse_skill_md(fm(license="MIT", colour="blue"))
    assert sorted(str(f) for f in fields(problems)) == ["description", "name"]
    assert any(p.severity == "warning" and p.field == "colour" for p in problems)
    text = fm(name="Bad_Name", description='"has <html> tags"', compatibility="'" + "c" * 501 + "'",
              metadata="{a: 1, b: ok, c: true}", **{"allowed-tools": "[a, b]"})
    _, problems = parse_skill_md(text)
    got = fields(problems)
    assert {"name", "description", "compatibility", "metadata.a", "metadata.c", "allowed-tools"} <= set(got)
    quoted = [p.message for p in problems if p.field == "metadata.a"]
    assert quoted and 'quote it as "1"' in quoted[0]


def test_description_rules() -> None:
    assert "description" in fields(parse_skill_md(fm(name="d", description="'" + "x" * 1025 + "'"))[1])
    assert fields(parse_skill_md(fm(name="d", description="'" + "x" * 1024 + "'"))[1]) == []
    assert "description" in fields(parse_skill_md(fm(name="d", description="'a > b'"))[1])
    assert "description" in fields(parse_skill_md(fm(name="d", description="'   '"))[1])
    assert "description" in fields(parse_skill_md(fm(name="d", description="42"))[1])


def test_optional_fields_and_unknown_keys() -> None:
    text = fm(name="d", description="x", license="Apache-2.0", compatibility="'" + "c" * 500 + "'",
              metadata="\n  author: me\n  evoskill-version: '2'", **{"allowed-tools": "Bash Read"},
              extra_key="1")
    m, problems = parse_skill_md(text)
    assert m is not None and errors(problems) == []
    assert m.license == "Apache-2.0" and m.allowed_tools == "Bash Read"
    assert m.metadata == {"author": "me", "evoskill-version": "2"}
    assert m.extra == {"extra_key": 1}
    assert [p.severity for p in problems] == ["warning"]
    assert "metadata" in fields(parse_skill_md(fm(name="d", description="x", metadata="'flat'"))[1])
    assert "metadata.evoskill-trust" in fields(parse_skill_md(
        fm(name="d", description="x", metadata="\n  evoskill-trust: trusted"))[1])


def test_render_drops_unknown_keys_and_empty_metadata() -> None:
    m = SkillManifest(name="d", description="x", extra={"foo": 1})
    text = render_skill_md(m)
    assert "foo" not in text and "metadata" not in text
    parsed, problems = parse_skill_md(text)
    assert parsed is not None and parsed.extra == {} and problems == []


# -------------------------------------------------------------------------------------- folders
def test_folder_rules(tmp_path: Path) -> None:
    good = write_skill(tmp_path, "good")
    assert validate_skill_dir(good) == []
    mismatch = write_skill(tmp_path, "other", folder="folder-name")
    assert any("must equal the folder name" in p.message for p in validate_skill_dir(mismatch))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "skill.md").write_text("x")
    assert any("rename skill.md to SKILL.md" in p.message for p in validate_skill_dir(empty))
    assert validate_skill_dir(tmp_path / "missing")[0].message.startswith("folder does not exist")
    assert "not a folder" in validate_skill_dir(good / "SKILL.md")[0].message


def test_symlinks_rejected(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    skill = write_skill(tmp_path, "linky")
    (skill / "references").mkdir()
    os.symlink(secret, skill / "references" / "leak.txt")
    os.symlink(tmp_path, skill / "up")
    problems = validate_skill_dir(skill)
    assert {p.file for p in problems} == {"references/leak.txt", "up"}
    assert all("symlink" in p.message for p in problems)
    with pytest.raises(InvalidSkill) as info:
        Skill.load(skill)
    assert len(info.value.problems) == 2


def test_size_caps(tmp_path: Path) -> None:
    skill = write_skill(tmp_path, "big")
    with open(skill / "data.bin", "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    assert [p.file for p in validate_skill_dir(skill)] == ["data.bin"]
    os.unlink(skill / "data.bin")
    for i in range(11):
        with open(skill / f"part{i}.bin", "wb") as fh:
            fh.truncate(MAX_FILE_BYTES)
    assert any("limit is 52428800" in p.message for p in validate_skill_dir(skill))
    huge = write_skill(tmp_path, "huge", fm(name="huge", description="x") + "y" * (1024 * 1024))
    assert any(p.file == "SKILL.md" and "limit" in p.message for p in validate_skill_dir(huge))


def test_special_files_and_binary_skill_md(tmp_path: Path) -> None:
    skill = write_skill(tmp_path, "fifo")
    os.mkfifo(skill / "pipe")
    assert any(p.file == "pipe" and "special file" in p.message for p in validate_skill_dir(skill))
    binary = write_skill(tmp_path, "binary", b"\x00\x01\x02\xff" * 10)
    problems = validate_skill_dir(binary)
    assert len(problems) == 1 and "binary" in problems[0].message


# ---------------------------------------------------------------------------------------- Skill
def test_skill_load_properties_and_entry_point(tmp_path: Path) -> None:
    s = write_skill(tmp_path, "reverse-words")
    skill = Skill.load(s)
    assert (skill.name, skill.version, skill.trust, skill.kind) == ("reverse-words", "1", "imported",
                                                                    "instruction")
    assert skill.entry_point is None and skill.examples_path is None
    (s / "scripts").mkdir()
    (s / "scripts" / "reverse_words.py").write_text("def reverse_words(s: str) -> str:\n    return s\n")
    (s / "tests").mkdir()
    (s / "tests" / "examples.json").write_text('[{"inputs": ["a b"], "output": "b a"}]')
    skill = Skill.load(s)
    assert skill.entry_point == (s / "scripts" / "reverse_words.py", "reverse_words")
    assert skill.examples_path == s / "tests" / "examples.json"
    assert skill.kind == "solution"
    with_metadata(s, {"evoskill-version": "4", "evoskill-trust": "verified", "evoskill-kind": "primitive"})
    skill = Skill.load(s)
    assert (skill.version, skill.trust, skill.kind) == ("4", "verified", "primitive")


def test_skill_load_raises_with_all_problems(tmp_path: Path) -> None:
    s = write_skill(tmp_path, "x", fm(name="Wrong_Name", description="'<b>'", metadata="{n: 1}"),
                    folder="wrong-name")
    with pytest.raises(InvalidSkill) as info:
        Skill.load(s)
    got = {p.field for p in info.value.problems}
    assert {"name", "description", "metadata.n"} <= got
    assert "problem" in str(info.value)


def test_content_hash_excludes_only_the_hash_entry(tmp_path: Path) -> None:
    s = write_skill(tmp_path, "hashed")
    (s / "references").mkdir()
    (s / "references" / "notes.md").write_text("notes")
    h1 = Skill.load(s).content_hash()
    with_metadata(s, {"evoskill-origin": "author:me"})
    h2 = Skill.load(s).content_hash()
    assert h2 != h1
    with_metadata(s, {"evoskill-hash": h2})
    assert "evoskill-hash" in (s / "SKILL.md").read_text()
    assert Skill.load(s).content_hash() == h2
    (s / "references" / "notes.md").write_text("notes!")
    assert Skill.load(s).content_hash() != h2
    (s / "references" / "notes.md").write_text("notes")
    os.rename(s / "references" / "notes.md", s / "references" / "other.md")
    assert Skill.load(s).content_hash() != h2


def test_with_metadata_removes_and_keeps_body(tmp_path: Path) -> None:
    s = write_skill(tmp_path, "meta")
    body_before = Skill.load(s).manifest.body
    with_metadata(s, {"evoskill-round": "3", "k": "v"})
    with_metadata(s, {"k": None})
    m = Skill.load(s).manifest
    assert m.metadata == {"evoskill-round": "3"} and m.body == body_before
    assert [p.name for p in s.iterdir()] == ["SKILL.md"]  # no temp file left behind


def test_foreign_instruction_only_skill(tmp_path: Path) -> None:
    text = ("---\nname: pdf-forms\ndescription: Fill PDF forms. Use when the user mentions PDF forms.\n"
            "license: CC-BY-SA-4.0. Complete terms in LICENSE.txt\n"
            "metadata:\n  author: someone-else\n  version: \"2.1\"\n---\n\n# PDF forms\n\n"
            "See [the reference](references/FORMS.md).\n")
    s = write_skill(tmp_path, "pdf-forms", text.replace("\n", "\r\n"))
    (s / "references").mkdir()
    (s / "references" / "FORMS.md").write_text("# Forms\n")
    (s / "assets").mkdir()
    (s / "assets" / "template.pdf").write_bytes(b"%PDF-1.4\x00\xff binary")
    (s / "LICENSE.txt").write_text("CC BY-SA 4.0")
    assert validate_skill_dir(s) == []
    skill = Skill.load(s)
    assert skill.entry_point is None and skill.kind == "instruction"
    assert skill.manifest.license is not None and skill.manifest.license.startswith("CC-BY-SA")
    assert skill.manifest.metadata["version"] == "2.1"


def test_relative_dot_path_uses_real_folder_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = write_skill(tmp_path, "dotted")
    monkeypatch.chdir(s)
    assert validate_skill_dir(".") == []
    assert Skill.load(".").path == s

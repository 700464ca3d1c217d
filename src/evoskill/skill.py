"""The Agent Skills format (agentskills.io), read and written strictly.

A skill is a folder whose ``SKILL.md`` starts with YAML frontmatter and continues with a Markdown
body::

    ---
    name: "reverse-words"
    description: "Reverse the order of words in a sentence."
    metadata:
      "evoskill-version": "1"
    ---
    # Reverse words
    ...

Parsing: a leading UTF-8 BOM is dropped and CRLF line endings become LF. The frontmatter is the text
between a first line that is exactly ``---`` and the next line that is exactly ``---``; a ``---``
inside a value (quoted string, indented block scalar, or in the middle of a line) never ends it. It
is read with ``yaml.safe_load``. Validation never raises: it returns every :class:`Problem` at once.

Rendering (:func:`render_skill_md`) emits only the spec keys, always as double-quoted strings with
escapes, and never writes three hyphens in a row inside the frontmatter (the third becomes
``\\x2d``), so that the output also passes the reference validator ``skills-ref``
(``agentskills validate``), which splits the file on any ``---``.

Content hash (:meth:`Skill.content_hash`): sha256 over the sorted list of files (relative POSIX
path, size and bytes of each; ``__pycache__`` folders are ignored). In ``SKILL.md`` every
frontmatter line whose key is ``evoskill-hash`` is left out before hashing, so the hash of a skill
can be stored inside its own ``SKILL.md`` without changing it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evoskill.errors import InvalidSkill
from evoskill.files import atomic_write

__all__ = [
    "EVOSKILL_KEYS",
    "MAX_FILE_BYTES",
    "MAX_SKILL_MD_BYTES",
    "MAX_TOTAL_BYTES",
    "TRUST_LEVELS",
    "Problem",
    "Skill",
    "SkillManifest",
    "iter_skill_files",
    "parse_skill_md",
    "render_skill_md",
    "validate_manifest",
    "validate_skill_dir",
    "with_metadata",
]

SKILL_MD = "SKILL.md"
NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_NAME = 64
MAX_DESCRIPTION = 1024
MAX_COMPATIBILITY = 500
MAX_SKILL_MD_BYTES = 1 * 1024 * 1024
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 50 * 1024 * 1024
MAX_FILES = 5000
SPEC_KEYS = ("name", "description", "license", "compatibility", "metadata", "allowed-tools")
#: The description `evoskill new` writes; `validate` refuses it until the author replaces it.
PLACEHOLDER_RE = re.compile(r"Describe what [a-z0-9-]+ does and when to use it\.")
TRUST_LEVELS = ("built-in", "verified", "imported", "unverified", "quarantined")
EVOSKILL_KEYS = (
    "evoskill-version", "evoskill-trust", "evoskill-origin", "evoskill-parents", "evoskill-hash",
    "evoskill-signature", "evoskill-program", "evoskill-kind", "evoskill-round",
    "evoskill-evidence", "evoskill-learned-from",
)
IGNORED_DIRS = frozenset({"__pycache__"})
# libyaml's safe loader when present (same rules as yaml.safe_load, ten times faster)
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Problem:
    """One broken rule. ``severity`` is ``"error"`` or ``"warning"``; ``message`` says what to do."""

    file: str
    field: str | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.severity}: {self.message}"

    def where_and_what(self) -> str:
        """``file: field: message`` without the severity (for one-line errors)."""
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


@dataclass
class SkillManifest:
    """The frontmatter of a ``SKILL.md`` plus its Markdown ``body``; ``extra`` holds unknown keys."""

    name: str
    description: str
    license: str | None = None
    compatibility: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    allowed_tools: str | None = None
    body: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------- parsing

def _decode(data: str | bytes, file: str) -> tuple[str | None, list[Problem]]:
    if isinstance(data, bytes):
        if b"\x00" in data:
            return None, [Problem(file, None, "file is binary (contains NUL bytes): SKILL.md must be "
                                              "UTF-8 Markdown text")]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, [Problem(file, None, f"file is not valid UTF-8 (byte {exc.start}): save it "
                                              "as UTF-8 text")]
    else:
        text = data
        if "\x00" in text:
            return None, [Problem(file, None, "text contains NUL characters: SKILL.md must be plain "
                                              "UTF-8 Markdown text")]
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n"), []


def split_frontmatter(text: str) -> tuple[str, str] | None:
    """Split normalised text into ``(frontmatter, body)``; None when there is no closed frontmatter."""
    if not (text.startswith("---\n") or text == "---"):
        return None
    start = 4
    pos = start
    while pos <= len(text):
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if line == "---":
            body = "" if end < 0 else text[end + 1:]
            return text[start:pos], body
        if end < 0:
            break
        pos = end + 1
    return None


def _string_field(data: Mapping[Any, Any], key: str, file: str, problems: list[Problem],
                  required: bool = False) -> str | None:
    if key not in data or data[key] is None:
        if required:
            problems.append(Problem(file, key, f"'{key}' is required: add a line `{key}: \"...\"` to "
                                               "the frontmatter"))
        return None
    value = data[key]
    if not isinstance(value, str):
        problems.append(Problem(file, key, f"'{key}' must be a string, got {type(value).__name__} "
                                           f"{value!r}: put the value in double quotes"))
        return None
    return value


def parse_skill_md(text: str | bytes, file: str = SKILL_MD) -> tuple[SkillManifest | None, list[Problem]]:
    """Parse and validate ``SKILL.md`` content; never raises.

    Returns the manifest (None if it cannot be built at all) and every problem found. The manifest
    may be returned alongside error-severity problems (e.g. a bad name) so callers can show both.
    """
    try:
        return _parse(text, file)
    except Exception as exc:  # parsing untrusted input must never crash the caller
        return None, [Problem(file, None, f"cannot read SKILL.md ({type(exc).__name__}: {exc}): "
                                          "fix the frontmatter YAML")]


def _parse(data: str | bytes, file: str) -> tuple[SkillManifest | None, list[Problem]]:
    text, problems = _decode(data, file)
    if text is None:
        return None, problems
    parts = split_frontmatter(text)
    if parts is None:
        if text.startswith("---"):
            msg = "frontmatter is not closed: add a line that is exactly `---` after the YAML"
        else:
            msg = "SKILL.md must start with YAML frontmatter: make the first line exactly `---`"
        return None, [Problem(file, None, msg)]
    front, body = parts
    try:
        data_obj = yaml.load(front, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at frontmatter line {mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if re.search(r"^---[ \t]*$", body, re.M):  # a `---` line inside a value closed the frontmatter early
            fix = "a line that is exactly `---` ends the frontmatter: indent it inside its value or remove it"
        else:
            fix = "quote values that contain ':' or '#'"
        return None, [Problem(file, None, f"frontmatter is not valid YAML{where} ({reason}): {fix}")]
    if data_obj is None:
        data_obj = {}
    if not isinstance(data_obj, dict):
        return None, [Problem(file, None, "frontmatter must be a YAML mapping of `key: value` lines")]
    name = _string_field(data_obj, "name", file, problems, required=True)
    description = _string_field(data_obj, "description", file, problems, required=True)
    lic = _string_field(data_obj, "license", file, problems)
    compat = _string_field(data_obj, "compatibility", file, problems)
    tools = _string_field(data_obj, "allowed-tools", file, problems)
    metadata: dict[str, str] = {}
    raw_meta = data_obj.get("metadata")
    if raw_meta is not None:
        if not isinstance(raw_meta, dict):
            problems.append(Problem(file, "metadata", "'metadata' must be a mapping of string keys to "
                                                      "string values (indented `key: \"value\"` lines)"))
        else:
            for key, value in raw_meta.items():
                if not isinstance(key, str):
                    problems.append(Problem(file, "metadata", f"metadata key {key!r} must be a string: "
                                                              f"quote it as \"{key}\""))
                    continue
                if not isinstance(value, str):
                    shown = "null" if value is None else str(value)
                    problems.append(Problem(file, f"metadata.{key}", f"metadata value {value!r} must be "
                                                                     f"a string: quote it as \"{shown}\""))
                    continue
                metadata[key] = value
    extra = {str(k): v for k, v in data_obj.items() if k not in SPEC_KEYS}
    manifest = SkillManifest(name=name or "", description=description or "", license=lic,
                             compatibility=compat, metadata=metadata, allowed_tools=tools,
                             body=body, extra=extra)
    problems.extend(validate_manifest(manifest, file, check_name=name is not None,
                                      check_description=description is not None))
    return manifest, problems


def _suggest_name(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return s[:MAX_NAME].strip("-") or "my-skill"


def validate_manifest(m: SkillManifest, file: str = SKILL_MD, *, check_name: bool = True,
                      check_description: bool = True) -> list[Problem]:
    """Check a manifest against the Agent Skills rules; returns every problem (empty if valid)."""
    problems: list[Problem] = []
    if check_name:
        if not m.name:
            problems.append(Problem(file, "name", "name is empty: give the skill a name of "
                                                  "lowercase letters, digits and hyphens"))
        else:
            fix = _suggest_name(m.name)
            if len(m.name) > MAX_NAME:
                problems.append(Problem(file, "name", f"name is {len(m.name)} characters, the limit is "
                                                      f"{MAX_NAME}: shorten it, e.g. to '{fix}'"))
            if not re.fullmatch(r"[a-z0-9-]+", m.name):
                problems.append(Problem(file, "name", f"name '{m.name}' must be lowercase a-z, 0-9 and "
                                                      f"hyphens: rename to '{fix}'"))
            if m.name.startswith("-") or m.name.endswith("-"):
                problems.append(Problem(file, "name", f"name '{m.name}' must not start or end with a "
                                                      f"hyphen: rename to '{fix}'"))
            if "--" in m.name:
                problems.append(Problem(file, "name", f"name '{m.name}' must not contain '--': rename "
                                                      f"to '{fix}'"))
    if check_description:
        if not m.description.strip():
            problems.append(Problem(file, "description", "description is empty: say what the skill "
                                                         "does and when to use it"))
        if PLACEHOLDER_RE.fullmatch(m.description.strip()):
            problems.append(Problem(file, "description", "description is still the placeholder from `evoskill "
                                                         "new`: say what the skill does and when to use it"))
        if len(m.description) > MAX_DESCRIPTION:
            problems.append(Problem(file, "description", f"description is {len(m.description)} "
                                                         f"characters, the limit is {MAX_DESCRIPTION}: "
                                                         "shorten it and move details to the body"))
        if "<" in m.description or ">" in m.description:
            problems.append(Problem(file, "description", "description must not contain '<' or '>': "
                                                         "remove them or write them out in words"))
    if m.compatibility is not None and len(m.compatibility) > MAX_COMPATIBILITY:
        problems.append(Problem(file, "compatibility", f"compatibility is {len(m.compatibility)} "
                                                       f"characters, the limit is {MAX_COMPATIBILITY}: "
                                                       "shorten it"))
    trust = m.metadata.get("evoskill-trust")
    if trust is not None and trust not in TRUST_LEVELS:
        problems.append(Problem(file, "metadata.evoskill-trust", f"evoskill-trust '{trust}' is not one "
                                                                 f"of {', '.join(TRUST_LEVELS)}: "
                                                                 "use one of those"))
    for key in m.extra:
        problems.append(Problem(file, key, f"unknown top-level key '{key}' (ignored by agents): move it "
                                           "under 'metadata' as a string, or remove it", "warning"))
    return problems


# -------------------------------------------------------------------------------------- rendering

def _escape(value: str) -> str:
    """Double-quoted YAML scalar that never contains three hyphens in a row."""
    out: list[str] = ['"']
    dashes = 0
    for ch in value:
        code = ord(ch)
        if ch == "-":
            if dashes >= 2:
                out.append("\\x2d")
                dashes = 0
                continue
            dashes += 1
            out.append(ch)
            continue
        dashes = 0
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif (0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000) and \
                ch not in "\u2028\u2029\ufeff":
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    out.append('"')
    return "".join(out)


def render_skill_md(manifest: SkillManifest) -> str:
    """Write ``SKILL.md`` text: spec keys only, every string double-quoted and escaped.

    ``manifest.extra`` is dropped (the reference validator rejects unknown keys); the body is
    written unchanged after the closing ``---``.
    """
    lines = ["---", f"name: {_escape(manifest.name)}", f"description: {_escape(manifest.description)}"]
    if manifest.license is not None:
        lines.append(f"license: {_escape(manifest.license)}")
    if manifest.compatibility is not None:
        lines.append(f"compatibility: {_escape(manifest.compatibility)}")
    if manifest.allowed_tools is not None:
        lines.append(f"allowed-tools: {_escape(manifest.allowed_tools)}")
    if manifest.metadata:
        lines.append("metadata:")
        for key, value in manifest.metadata.items():
            lines.append(f"  {_escape(str(key))}: {_escape(str(value))}")
    lines.append("---")
    return "\n".join(lines) + "\n" + manifest.body


# ---------------------------------------------------------------------------------------- folders

def iter_skill_files(root: Path) -> Iterator[Path]:
    """Every regular file under ``root`` (sorted, not following symlinks, skipping ``__pycache__``)."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS)
        for name in sorted(filenames):
            yield Path(dirpath) / name


def validate_skill_dir(path: str | os.PathLike[str]) -> list[Problem]:
    """Check a whole skill folder: SKILL.md content, name == folder name, symlinks, file sizes.

    Every symlink inside the folder is rejected (one could point outside it), as are special files,
    file names that are not UTF-8, files over 5 MB, a SKILL.md over 1 MB and folders over 50 MB.
    Never raises.
    """
    root = Path(os.path.abspath(path))
    problems: list[Problem] = []
    if not root.exists():
        return [Problem(str(root), None, "folder does not exist: check the path")]
    if not root.is_dir():
        return [Problem(str(root), None, "not a folder: a skill is a folder that contains SKILL.md")]
    total = 0
    count = 0
    try:
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for entry in sorted(dirnames) + sorted(filenames):
                full = Path(dirpath) / entry
                rel = full.relative_to(root).as_posix()
                try:
                    rel.encode("utf-8")
                except UnicodeEncodeError:
                    problems.append(Problem(repr(rel), None, "file name is not valid UTF-8: rename it"))
                    continue
                st = full.lstat()
                if full.is_symlink():
                    problems.append(Problem(rel, None, f"symlink to '{os.readlink(full)}' is not "
                                                       "allowed in a skill (it could point outside the "
                                                       "folder): replace it with a copy of the file"))
                    continue
                if entry in dirnames and full.is_dir():
                    continue
                if not full.is_file():
                    problems.append(Problem(rel, None, "special file (device, socket or pipe) is not "
                                                       "allowed: remove it"))
                    continue
                if any(part in IGNORED_DIRS for part in Path(rel).parts):
                    continue
                count += 1
                total += st.st_size
                limit = MAX_SKILL_MD_BYTES if rel == SKILL_MD else MAX_FILE_BYTES
                if st.st_size > limit:
                    problems.append(Problem(rel, None, f"file is {st.st_size} bytes, the limit is "
                                                       f"{limit}: move large data out of the skill"))
            dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS]
            if count > MAX_FILES:
                problems.append(Problem(str(root), None, f"more than {MAX_FILES} files: a skill must "
                                                         "be small; remove generated files"))
                break
    except OSError as exc:
        problems.append(Problem(str(root), None, f"cannot read folder ({exc}): check permissions"))
    if total > MAX_TOTAL_BYTES:
        problems.append(Problem(str(root), None, f"skill folder holds {total} bytes, the limit is "
                                                 f"{MAX_TOTAL_BYTES}: remove large files"))
    md = root / SKILL_MD
    if not md.is_file() or md.is_symlink():
        if md.is_symlink():
            return problems
        hint = " (rename skill.md to SKILL.md)" if (root / "skill.md").is_file() else ""
        problems.append(Problem(SKILL_MD, None, f"SKILL.md is missing: create it{hint}"))
        return problems
    if md.stat().st_size > MAX_SKILL_MD_BYTES:
        return problems
    try:
        data = md.read_bytes()
    except OSError as exc:
        problems.append(Problem(SKILL_MD, None, f"cannot read SKILL.md ({exc}): check permissions"))
        return problems
    manifest, found = parse_skill_md(data, SKILL_MD)
    problems.extend(found)
    if manifest is not None and manifest.name and manifest.name != root.name:
        problems.append(Problem(SKILL_MD, "name", f"name '{manifest.name}' must equal the folder name "
                                                  f"'{root.name}': rename the folder to "
                                                  f"'{manifest.name}' or change the name"))
    return problems


def _hashable_skill_md(data: bytes) -> bytes:
    """SKILL.md bytes without frontmatter lines whose key is ``evoskill-hash``."""
    text, _ = _decode(data, SKILL_MD)
    if text is None or split_frontmatter(text) is None:
        return data
    lines = data.split(b"\n")
    out: list[bytes] = []
    in_front = False
    for i, line in enumerate(lines):
        bare = line.lstrip(b"\xef\xbb\xbf").rstrip(b"\r")
        if i == 0:
            in_front = bare == b"---"
        elif in_front and bare == b"---":
            in_front = False
        elif in_front and re.match(rb"""^\s*["']?evoskill-hash["']?\s*:""", bare):
            continue
        out.append(line)
    return b"\n".join(out)


def content_hash(root: str | os.PathLike[str]) -> str:
    """sha256 (hex) of a skill folder's files; see the module docstring for what is covered."""
    base = Path(root)
    digest = hashlib.sha256()
    for file in iter_skill_files(base):
        if file.is_symlink():
            continue
        rel = file.relative_to(base).as_posix()
        data = file.read_bytes()
        if rel == SKILL_MD:
            data = _hashable_skill_md(data)
        digest.update(rel.encode("utf-8", "surrogateescape") + b"\x00")
        digest.update(str(len(data)).encode() + b"\x00")
        digest.update(data)
    return digest.hexdigest()


def with_metadata(skill_dir: str | os.PathLike[str], updates: Mapping[str, str | None]) -> SkillManifest:
    """Set (or, for a None value, remove) metadata entries in ``skill_dir/SKILL.md``, atomically.

    The file is re-rendered with :func:`render_skill_md` (so unknown top-level keys are dropped).
    Raises InvalidSkill if the current SKILL.md cannot be parsed.
    """
    md = Path(skill_dir) / SKILL_MD
    manifest, problems = parse_skill_md(md.read_bytes(), SKILL_MD)
    if manifest is None:
        raise InvalidSkill(f"cannot update metadata of {md}: SKILL.md is unreadable", problems)
    for key, value in updates.items():
        if value is None:
            manifest.metadata.pop(key, None)
        else:
            manifest.metadata[key] = str(value)
    atomic_write(md, render_skill_md(manifest).encode("utf-8"))
    return manifest


# ------------------------------------------------------------------------------------------ Skill

def tolerated(p: Problem) -> bool:
    """Spec violations agent clients load anyway (a published skill's over-long description): loading
    keeps them as warnings; ``evoskill validate`` and the skills evoskill writes still treat them as errors."""
    return p.severity == "error" and p.field in ("description", "compatibility") and "the limit is" in p.message


class Skill:
    """A valid skill folder loaded from disk (use :meth:`load`)."""

    def __init__(self, path: Path, manifest: SkillManifest, warnings: list[Problem] | None = None) -> None:
        self._path = path
        self._manifest = manifest
        self.warnings = list(warnings or [])

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Skill:
        """Validate and load the skill folder at ``path``; raises InvalidSkill listing every error."""
        root = Path(os.path.abspath(path))
        problems = [Problem(p.file, p.field, p.message, "warning") if tolerated(p) else p
                    for p in validate_skill_dir(root)]
        errors = [p for p in problems if p.severity == "error"]
        manifest = None
        if not errors:
            manifest, _ = parse_skill_md((root / SKILL_MD).read_bytes(), SKILL_MD)
        if errors or manifest is None:
            errors = errors or [Problem(SKILL_MD, None, "unreadable")]
            listed = "; ".join(p.where_and_what() for p in errors[:5]) + ("; ..." if len(errors) > 5 else "")
            fix = "fix it, then retry" if len(errors) == 1 else f"fix these {len(errors)} problems, then retry"
            raise InvalidSkill(f"invalid skill at {root}: {listed}", problems, fix=fix)
        return cls(root, manifest, [p for p in problems if p.severity == "warning"])

    def __repr__(self) -> str:
        return f"Skill({self.name!r}, path={str(self._path)!r})"

    @property
    def name(self) -> str:
        """The skill's name (equal to its folder name)."""
        return self._manifest.name

    @property
    def path(self) -> Path:
        """The skill folder."""
        return self._path

    @property
    def manifest(self) -> SkillManifest:
        """The parsed SKILL.md."""
        return self._manifest

    @property
    def description(self) -> str:
        """The frontmatter description."""
        return self._manifest.description

    @property
    def version(self) -> str:
        """``evoskill-version`` metadata, default ``"1"``."""
        return self._manifest.metadata.get("evoskill-version", "1")

    @property
    def trust(self) -> str:
        """``evoskill-trust`` metadata, default ``"imported"``."""
        return self._manifest.metadata.get("evoskill-trust", "imported")

    @property
    def kind(self) -> str:
        """``evoskill-kind`` metadata; default ``"solution"`` with a script, else ``"instruction"``."""
        default = "instruction" if self.entry_point is None else "solution"
        return self._manifest.metadata.get("evoskill-kind", default)

    @property
    def entry_point(self) -> tuple[Path, str] | None:
        """``(scripts/<name_with_underscores>.py, function name)`` or None for instruction-only skills."""
        func = self.name.replace("-", "_")
        script = self._path / "scripts" / f"{func}.py"
        return (script, func) if script.is_file() else None

    @property
    def examples_path(self) -> Path | None:
        """``tests/examples.json`` if the skill ships examples."""
        p = self._path / "tests" / "examples.json"
        return p if p.is_file() else None

    def content_hash(self) -> str:
        """sha256 of the folder, excluding the ``evoskill-hash`` metadata line (see module docs)."""
        return content_hash(self._path)

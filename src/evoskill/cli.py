"""The ``evoskill`` command: parsing and printing only; the work happens in the library modules.

Every command prints for humans by default and JSON with ``--json``. Any :class:`EvoskillError` becomes one
line on stderr (with the fix) and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import __version__
from .errors import EvoskillError, UserError
from .proposer import proposer_names

# Piped output keeps tables readable (rich would assume 80 columns).
# markup=False: skill code, descriptions and values are printed literally (``[x]`` is not a style tag).
out = Console(highlight=False, markup=False, width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


def _emit(args: argparse.Namespace, data: Any, human: Callable[[], None]) -> None:
    if args.json:
        print(json.dumps(data, indent=1, ensure_ascii=False, default=str))
    else:
        human()


def _library(args: argparse.Namespace, *, create: bool = False) -> Any:
    from .library import Library
    from .stores import is_url, open_store

    if is_url(args.library):
        return open_store(args.library)
    root = Path(args.library) if args.library else Library.default_root()
    if not create and not (root / ".evoskill").exists():
        raise UserError(f"no library at {root}", fix="run `evoskill init` (or pass --library DIR)")
    return Library(root, create=True)


def _positive_int(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a version number (1, 2, ...)")
    return int(raw)


def _json_arg(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


# ---- commands ------------------------------------------------------------------------------------------------

def cmd_init(args: argparse.Namespace) -> int:
    from .session import install_core

    lib = _library(args, create=True)
    added = install_core(lib)
    kept = sum(1 for r in lib.list(include_archived=True) if r.trust == "built-in" and r.archived)
    data = {"library": str(lib.root), "core_skills_added": added, "built_in_archived_kept": kept}
    _emit(args, data, lambda: out.print(
        f"Library ready at {lib.root} ({added} built-in skills added or updated"
        + (f"; {kept} you archived stay archived" if kept else "") + ")."))
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import new_skill

    folder = new_skill(args.name, Path(args.dir), source_file=Path(args.from_file) if args.from_file else None,
                       function=args.function)
    _emit(args, {"path": str(folder)}, lambda: out.print(
        f"Created {folder}\nNext: add examples to {folder}/tests/examples.json, then `evoskill add {folder}`."))
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from .intake import add_skill

    lib = _library(args)
    if args.no_test:
        added = add_skill(lib, None, Path(args.path), test=False, force=args.force)
    else:
        with _sandbox(lib) as sb:
            added = add_skill(lib, sb, Path(args.path), force=args.force)
    rec = added.record
    data = {**_record(rec), "new_version": added.new_version, "tested": added.tested, "warnings": added.warnings,
            "callers_updated": added.refresh.updated if added.refresh else [],
            "callers_kept": added.refresh.kept if added.refresh else {}}

    def human() -> None:
        for w in added.warnings:
            err.print(f"warning: {w}")
        if not added.new_version:
            out.print(f"{rec.name} is unchanged (version {rec.version} has the same content); nothing added.")
            return
        out.print(f"Added {rec.name} version {rec.version} ({rec.trust}"
                  + (", its tests passed in the sandbox)." if added.tested else ")."))
        if added.refresh and (added.refresh.updated or added.refresh.kept):
            out.print(f"Callers re-tested: {len(added.refresh.updated)} now use the new version, "
                      f"{len(added.refresh.kept)} keep their previous one "
                      f"({', '.join(added.refresh.kept) or '-'}).")

    _emit(args, data, human)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .intake import import_skills

    lib = _library(args)
    items = import_skills(lib, args.source, ref=args.ref, force=args.force)
    data = [{"path": i.path, "name": i.record.name if i.record else None,
             "version": i.record.version if i.record else None, "error": i.reason or None,
             "warnings": i.warnings} for i in items]

    def human() -> None:
        for i in items:
            if i.record:
                if i.record.trust == "quarantined":
                    err.print(f"quarantined {i.record.name} (version {i.record.version}): stored, never used")
                else:
                    out.print(f"imported {i.record.name} (version {i.record.version}, not run; "
                              f"`evoskill test {i.record.name}` verifies it)")
            else:
                err.print(f"skipped {i.path}: {i.reason}")
            for w in i.warnings:
                err.print(f"  warning: {w}")
        out.print(f"{sum(1 for i in items if i.record)} imported, {sum(1 for i in items if not i.record)} skipped")

    _emit(args, data, human)
    return 0 if all(i.record for i in items) else 1


def cmd_export(args: argparse.Namespace) -> int:
    from .export import export, select, target_dir

    lib = _library(args)
    dest = target_dir(args.to, user=args.user)
    report = export(lib, select(lib, args.names, kind=args.kind, trust=args.trust), dest, force=args.force)
    data = {"target": str(report.target), "written": report.written, "unchanged": report.unchanged,
            "refused": report.refused}

    def human() -> None:
        for name, why in report.refused.items():
            err.print(f"not exported {name}: {why}")
        out.print(f"{len(report.written)} written, {len(report.unchanged)} unchanged, {len(report.refused)} refused"
                  f" -> {report.target}")

    _emit(args, data, human)
    return 1 if report.refused else 0


def cmd_quarantine(args: argparse.Namespace) -> int:
    lib = _library(args)
    rec = lib.set_trust(args.name, "quarantined", args.reason)
    _emit(args, _record(rec), lambda: out.print(
        f"Quarantined {rec.name}: stored, but not run, served, exported, shown to a model or used by the search "
        f"(`evoskill release {rec.name} --reason ...` lifts it)."))
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    lib = _library(args)
    if lib.versions(args.name)[-1].trust != "quarantined":
        raise UserError(f"{args.name} is not quarantined", fix="nothing to release")
    entered = lib.provenance(args.name).get("trust") or "unverified"  # the tier it was stored with
    tier = "unverified" if entered == "quarantined" else entered
    rec = lib.set_trust(args.name, tier, f"released: {args.reason}")
    _emit(args, _record(rec), lambda: out.print(
        f"Released {rec.name} as {tier}" + ("; `evoskill test` makes it verified if its tests pass."
                                            if tier == "unverified" else ".")))
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    from . import policy

    lib = _library(args)
    if args.policy_command == "init":
        path = policy.write_default(lib.root, force=args.force)
        _emit(args, {"path": str(path)}, lambda: out.print(f"Wrote the default policy to {path}; edit it there."))
        return 0
    rules = policy.load(lib.root)

    def human() -> None:
        t = Table("tier", *policy.ACTIONS, box=None, title=f"policy: {rules.source or 'defaults'}")
        for tier in policy.TIERS:
            t.add_row(tier, *(rules.decide(tier, a) for a in policy.ACTIONS))
        out.print(t)

    _emit(args, rules.to_dict(), human)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    lib = _library(args)
    names = [args.name] if args.name else [r.name for r in lib.list(include_archived=True)]
    rows = [{"name": n, "problems": lib.verify_files(n), **{k: v for k, v in lib.provenance(n).items()
                                                              if k in ("origin", "trust", "admitted_by", "hash")}}
            for n in names]
    bad = [r for r in rows if r["problems"]]

    def human() -> None:
        for r in rows if args.name else bad:
            status = "CHANGED" if r["problems"] else "ok"
            out.print(f"{status} {r['name']} (origin {r.get('origin') or '-'}, admitted by "
                      f"{r.get('admitted_by') or '-'})")
            for p in r["problems"]:
                out.print(f"  {p}")
        out.print(f"{len(rows)} skills checked, {len(bad)} changed on disk")

    _emit(args, rows, human)
    return 1 if bad else 0


def cmd_revert(args: argparse.Namespace) -> int:
    lib = _library(args)
    rec = lib.revert(args.name, args.version)
    _emit(args, _record(rec), lambda: out.print(
        f"{rec.name} is now version {rec.version}, a copy of version {args.version}."))
    return 0


def _record(rec: Any) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(rec).items()}


def cmd_list(args: argparse.Namespace) -> int:
    lib = _library(args)
    recs = [r for r in lib.list(include_archived=args.all) if args.kind in (None, r.kind)]

    def human() -> None:
        t = Table("name", "version", "kind", "trust", "description", box=None)
        for r in recs:
            t.add_row(r.name + (" (archived)" if r.archived else ""), str(r.version), r.kind or "", r.trust or "",
                      (r.description or "")[:70])
        out.print(t)
        out.print(f"{len(recs)} skills")

    _emit(args, [_record(r) for r in recs], human)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    lib = _library(args)
    skill = lib.get(args.name, args.version)
    stats = lib.stats(args.name)
    versions = lib.versions(args.name)
    record = versions[-1] if args.version is None else versions[args.version - 1]
    data = {"name": skill.name, "version": record.version, "trust": record.trust, "archived": record.archived,
            "path": str(skill.path), "description": skill.description,
            "metadata": skill.manifest.metadata, "stats": vars(stats),
            "skill_md": (skill.path / "SKILL.md").read_text(encoding="utf-8")}

    if args.depends:
        return _show_depends(args, lib, skill)

    def human() -> None:
        out.print(data["skill_md"])
        ep = skill.entry_point
        if ep:
            out.rule(str(ep[0].relative_to(skill.path)))
            out.print(ep[0].read_text(encoding="utf-8"))
        out.print(f"{skill.path} | uses {stats.uses}, successes {stats.successes}, failures {stats.failures}"
                  + (" | ARCHIVED (`evoskill restore` brings it back)" if record.archived else ""), style="dim")

    _emit(args, data, human)
    return 0


def _show_depends(args: argparse.Namespace, lib: Any, skill: Any) -> int:
    from .distill import dependents
    from .standalone import call_tree

    parents = [p for p in skill.manifest.metadata.get("evoskill-parents", "").split(",") if p]
    tree = call_tree(skill.path)
    callers = dependents(lib, skill.name)
    data = {"name": skill.name, "calls": parents, "vendored": [{"depth": d, "name": n} for d, n in tree],
            "called_by": callers}

    def human() -> None:
        out.print(f"{skill.name} calls: {', '.join(parents) or 'nothing'}")
        if tree:
            out.print("travels with (scripts/_vendor):")
            for depth, name in tree:
                out.print(f"  {'  ' * depth}{name}")
        out.print(f"called by: {', '.join(callers) or 'nothing'}")

    _emit(args, data, human)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    lib = _library(args)
    hits = lib.search(args.query, k=args.k)

    def human() -> None:
        if not hits:
            out.print("No skills match.")
        for h in hits:
            out.print(Text.assemble((h.record.name, "bold"), f"  {h.record.description[:90]}"))

    _emit(args, [{"name": h.record.name, "score": h.score, "description": h.record.description} for h in hits],
          human)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .skill import validate_skill_dir

    problems = validate_skill_dir(Path(args.path))
    errors = [p for p in problems if p.severity == "error"]

    def human() -> None:
        for p in problems:
            (err if p.severity == "error" else out).print(f"{p.severity}: {p}")
        out.print(f"{args.path}: " + ("valid" if not errors else f"{len(errors)} error(s)"))

    _emit(args, {"valid": not errors, "problems": [vars(p) for p in problems]}, human)
    return 1 if errors else 0


def _sandbox(library: Any, workers: int = 1, limits: Any = None) -> Any:
    from .sandbox import Limits, Sandbox

    return Sandbox(workers=workers, readable=[library.root], limits=limits or Limits())


def cmd_run(args: argparse.Namespace) -> int:
    from .sandbox import Limits, Sandbox
    from .use import check_runnable, run_skill

    lib = _library(args)
    values = [_json_arg(a) for a in args.args]
    skill = check_runnable(lib, args.name, values, confirmed=args.yes)
    limits = Limits(cpu_seconds=args.timeout, wall_seconds=args.timeout * 2 + 5)
    with Sandbox(workers=1, readable=[skill.path], limits=limits) as sb:
        res = run_skill(lib, sb, skill, values)

    def human() -> None:
        if res.stdout:
            out.print(res.stdout, end="")
        if res.ok:
            out.print(json.dumps(res.value, ensure_ascii=False))
        else:
            err.print(f"error: {res.error_type}: {res.error_message}" + (f" (limit: {res.limit})" if res.limit else ""))

    _emit(args, res.to_dict(), human)
    return 0 if res.ok else 1


def cmd_test(args: argparse.Namespace) -> int:
    from .intake import promote_if_passing
    from .verify import run_skill_tests

    lib = _library(args)
    with _sandbox(lib) as sb:
        results = run_skill_tests(lib, sb, [args.name] if args.name else None)
    for r in results:
        r["promoted"] = promote_if_passing(lib, r["name"], bool(r["passed"]))

    def human() -> None:
        for r in results:
            mark = ("pass", "green") if r["passed"] else (("skip", "yellow") if r["skipped"] else ("FAIL", "red"))
            out.print(Text.assemble(mark, f" {r['name']}: {r['detail']}"))
        failed = sum(1 for r in results if not r["passed"] and not r["skipped"])
        out.print(f"{len(results)} skills, {failed} failing")

    _emit(args, results, human)
    return 1 if any(not r["passed"] and not r["skipped"] for r in results) else 0


def cmd_history(args: argparse.Namespace) -> int:
    lib = _library(args)
    events = lib.history(args.name)
    rows = [{**vars(e), "when": e.when} for e in events]

    def human() -> None:
        t = Table("when (UTC)", "event", "version", "reason", box=None)
        for e in events:
            t.add_row(e.when.replace("T", " ").replace("+00:00", ""), e.kind, str(e.version or ""), e.reason or "")
        out.print(t)

    _emit(args, rows, human)
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    lib = _library(args)
    was = lib.versions(args.name)[-1].archived
    lib.archive(args.name, args.reason)
    _emit(args, {"archived": args.name, "changed": not was}, lambda: out.print(
        f"{args.name} was already archived; nothing changed." if was else
        f"Archived {args.name} (kept on disk; `evoskill restore {args.name}` brings it back)."))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    lib = _library(args)
    was = lib.versions(args.name)[-1].archived
    lib.restore(args.name)
    _emit(args, {"restored": args.name, "changed": was}, lambda: out.print(
        f"Restored {args.name}." if was else f"{args.name} is active; nothing changed."))
    return 0


def cmd_evolve(args: argparse.Namespace) -> int:
    from .evolve import EvolveConfig
    from .session import RunPlace, run_evolve

    config = EvolveConfig(rounds=args.rounds, budget_seconds=args.budget, workers=max(1, args.workers),
                          learning=not args.no_learning, seed=args.seed, proposer=args.proposer, model=args.model,
                          max_programs=args.max_programs, compress=not args.no_compress,
                          curriculum=args.curriculum, max_cost=args.max_cost, dream=args.dream,
                          dream_programs=args.dream_programs)
    place = RunPlace(library=args.library, fresh_library=args.fresh_library, run_dir=args.run_dir,
                     resume=args.resume, executor=args.executor, address=args.address,
                     model_options=tuple(args.model_option or ()))
    report = run_evolve(args.tasks, config, place, console=None if args.json else out)
    if args.json:
        print(json.dumps({k: v for k, v in report.items() if k != "per_task"}, indent=1))
    return 0


def cmd_solve(args: argparse.Namespace) -> int:
    from .session import run_solve

    result = run_solve(args)

    def human() -> None:
        if not result["solved"]:
            why = f": {result['error']}" if result.get("error") else ""
            out.print(f"Not solved within {args.budget} s ({result['programs_tried']} programs tried){why}.")
            return
        out.print(Text.assemble(("program", "bold"), f"  {result['program']}"))
        out.print(result["python"])
        gen = result["generalized"]
        out.print(Text.assemble(("held-out", "bold"), "  " + ("n/a (the task has no held-out examples)" if gen is None
                                                             else "pass" if gen else "FAIL")))
        if result.get("skill"):
            out.print(Text.assemble(("skill", "bold"), f"  {result['skill']} ({result['distill']})"))
        elif result.get("distill"):
            out.print(Text.assemble(("skill", "bold"), f"  {result['distill']}"))

    _emit(args, result, human)
    return 0 if result["solved"] else 1


def cmd_practice(args: argparse.Namespace) -> int:
    from .session import run_practice

    report = run_practice(args, console=None if args.json else out)
    if args.json:
        _emit(args, report, lambda: None)
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from . import keys

    if args.keys_command == "set":
        key = args.key if args.key is not None else (
            sys.stdin.readline().strip() if not sys.stdin.isatty() else __import__("getpass").getpass(
                f"{args.provider} key: "))
        path = keys.set_key(args.provider, key)
        _emit(args, {"stored": args.provider}, lambda: out.print(f"Stored the {args.provider} key in {path}."))
    elif args.keys_command == "remove":
        removed = keys.remove_key(args.provider)
        _emit(args, {"removed": removed}, lambda: out.print("Removed." if removed else "No key was stored."))
    else:
        provs = keys.list_providers()
        _emit(args, provs, lambda: out.print("\n".join(provs) or "No stored keys."))
    return 0


def cmd_benchmarks(args: argparse.Namespace) -> int:
    from .tasks import BENCHMARKS

    data = {k: v[2] for k, v in BENCHMARKS.items()}
    _emit(args, data, lambda: out.print("\n".join(f"{k:15} {v}" for k, v in data.items())))
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    try:
        from .mcp_server import serve
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("fastmcp", "mcp", "mcp_types"):
            raise
        from .errors import MissingBackend

        raise MissingBackend("`evoskill mcp` needs fastmcp", extra="mcp") from None
    serve(args.library, args.transport, port=args.port, proposer=args.proposer, model=args.model,
          watch_interval=args.watch_interval)
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from .scanner import scan

    target = Path(args.target)
    if not target.exists():
        if os.sep in args.target or "/" in args.target:
            raise UserError(f"no such file or folder: {args.target}", fix="give a skill folder or a library skill name")
        target = _library(args).get(args.target).path
    report = scan(target, block_at=args.block_at)
    fmt = "json" if args.json else args.format
    if fmt == "json":
        print(report.to_json())
    elif fmt == "sarif":
        print(report.to_sarif())
    else:
        from rich.text import Text

        colors = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "dim"}
        for f in report.findings:
            where = f"{f.file}:{f.line}" if f.line else f.file
            out.print(Text.assemble((f"{f.severity.upper():8}", colors[f.severity]),
                                    f" {f.category:19} {where}  {f.message}"))
            out.print(f"         fix: {f.fix}", style="dim")
        verdict = (Text(f"blocked: {len(report.blocking())} finding(s) at or above {report.block_at}", "bold red")
                   if report.blocked else Text(f"not blocked (nothing at or above {report.block_at})", "green"))
        out.print(Text.assemble(f"{target}: {len(report.findings)} finding(s), {report.files_scanned} file(s), "
                                f"{report.seconds * 1000:.0f} ms; ", verdict))
    return 1 if report.blocked else 0


def cmd_library(args: argparse.Namespace) -> int:
    from .migrate import migrate
    from .stores import open_store, redact

    source = open_store(args.source, create=False)
    target = open_store(args.target)
    try:
        report = migrate(source, target)
    finally:
        source.close()
        target.close()
    data = {"from": redact(args.source), "to": redact(args.target), "skills": report.skills,
            "versions": report.versions, "events": report.events}
    _emit(args, data, lambda: out.print(
        f"Copied {report.versions} version(s) and {report.events} event(s) of {report.skills} skill(s) from "
        f"{data['from']} to {data['to']}" + (" (it already held everything)." if report.skills == 0 else ".")))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from rich.table import Table

    from .doctor import diagnose, rows

    report = diagnose()
    checks = rows(report)

    def human() -> None:
        table = Table(title=f"sandbox protections on this machine (Linux {report['kernel']}, "
                            f"{'root' if report['running_as_root'] else 'uid ' + str(os.geteuid())})")
        table.add_column("protection")
        table.add_column("active")
        table.add_column("how, or why not")
        for what, active, how in checks:
            table.add_row(what, "yes" if active else "[red]NO[/red]", how)
        out.print(table)
        missing = [what for what, active, _ in checks if not active]
        out.print("Every protection is active." if not missing else
                  f"{len(missing)} protection(s) missing: see docs/SANDBOX.md, section Degradation.")

    _emit(args, {**report, "checks": [{"protection": w, "active": a, "how": h} for w, a, h in checks]}, human)
    return 0


# ---- parser ------------------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: the option may come before or after the command without one clobbering the other.
    common.add_argument("--library", metavar="DIR", default=argparse.SUPPRESS,
                        help="library directory (default: $EVOSKILL_LIBRARY or ~/.local/share/evoskill/library)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON for scripts")
    p = argparse.ArgumentParser(prog="evoskill", parents=[common],
                                description="Grow a library of verified, reusable skills from a stream of tasks.")
    p.add_argument("--version", action="version", version=f"evoskill {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, fn: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, parents=[common], help=help, description=help)
        sp.set_defaults(func=fn)
        return sp

    add("init", cmd_init, "create a library and add the built-in skills")
    add("doctor", cmd_doctor, "show which sandbox protections are active on this machine")
    sp = add("new", cmd_new, "scaffold an executable skill folder")
    sp.add_argument("name")
    sp.add_argument("--from", dest="from_file", metavar="FILE.py",
                    help="make the skill from FILE.py (its helpers and constants come along)")
    sp.add_argument("--function", default=None, metavar="NAME",
                    help="the function of FILE.py to expose (default: the first public one)")
    sp.add_argument("--dir", default=".", help="where to create the folder (default: here)")
    sp = add("add", cmd_add, "test a skill folder in the sandbox and add it to the library")
    sp.add_argument("path")
    sp.add_argument("--no-test", action="store_true", help="store without running its tests (as unverified)")
    sp.add_argument("--force", action="store_true", help="replace a built-in skill or one of another origin")
    sp = add("import", cmd_import, "store skills from a folder or a git repository (nothing is run)")
    sp.add_argument("source", help="a skill folder, a folder of skills, or a git URL / repository path")
    sp.add_argument("--ref", default=None, help="git branch, tag or commit")
    sp.add_argument("--force", action="store_true", help="replace skills of another origin")
    sp = add("export", cmd_export, "write skills as standalone folders where agents look for them")
    sp.add_argument("names", nargs="*", help="skills to export (default: every verified non-primitive skill)")
    sp.add_argument("--to", required=True, metavar="claude|codex|agents|DIR")
    scope = sp.add_mutually_exclusive_group()
    scope.add_argument("--user", action="store_true", help="the user's skills folder (~/.claude/skills, ...)")
    scope.add_argument("--project", action="store_true", help="the project's skills folder (default)")
    sp.add_argument("--kind", choices=["primitive", "solution", "abstraction", "instruction"])
    sp.add_argument("--trust", choices=["built-in", "verified", "imported", "unverified"])
    sp.add_argument("--force", action="store_true", help="overwrite folders evoskill did not write")
    sp = add("quarantine", cmd_quarantine, "keep a skill stored but unusable (nothing is deleted)")
    sp.add_argument("name")
    sp.add_argument("--reason", default="quarantined by user")
    sp = add("release", cmd_release, "lift a quarantine (the skill becomes unverified)")
    sp.add_argument("name")
    sp.add_argument("--reason", required=True)
    sp = add("policy", cmd_policy, "what each trust tier may do (show, or init to edit)")
    sp.add_argument("policy_command", nargs="?", choices=["show", "init"], default="show")
    sp.add_argument("--force", action="store_true", help="init: overwrite an existing policy file")
    add("verify", cmd_verify, "re-check skills' files against the digests recorded when stored").add_argument(
        "name", nargs="?")
    sp = add("revert", cmd_revert, "bring back an earlier version of a skill (as a new version)")
    sp.add_argument("name")
    sp.add_argument("version", type=int)
    sp = add("list", cmd_list, "list the skills in the library")
    sp.add_argument("--all", action="store_true", help="include archived skills")
    sp.add_argument("--kind", choices=["primitive", "solution", "abstraction", "instruction"])
    sp = add("show", cmd_show, "show a skill")
    sp.add_argument("name")
    sp.add_argument("--version", dest="version", default=None, type=_positive_int, help="a stored version")
    sp.add_argument("--depends", action="store_true", help="what it calls, what travels with it, what calls it")
    sp = add("search", cmd_search, "full-text search over names, descriptions and bodies")
    sp.add_argument("query")
    sp.add_argument("-k", type=int, default=10)
    add("validate", cmd_validate, "check a skill folder against the Agent Skills rules").add_argument("path")
    sp = add("run", cmd_run, "run a skill in the sandbox (arguments are JSON; bare words are strings)")
    sp.add_argument("name")
    sp.add_argument("args", nargs="*")
    sp.add_argument("--timeout", type=float, default=20.0, help="CPU seconds the run may take (default 20)")
    sp.add_argument("--yes", action="store_true", help="confirm running a skill the policy asks to confirm")
    add("test", cmd_test, "run skills' tests in the sandbox").add_argument("name", nargs="?")
    add("history", cmd_history, "versions and events of a skill").add_argument("name")
    sp = add("archive", cmd_archive, "archive a skill (never deleted)")
    sp.add_argument("name")
    sp.add_argument("--reason", default="archived by user")
    add("restore", cmd_restore, "bring an archived skill back").add_argument("name")
    add("benchmarks", cmd_benchmarks, "list the bundled task sets")

    for name, fn, help in (("evolve", cmd_evolve, "attempt tasks, verify, learn skills, measure"),
                           ("solve", cmd_solve, "solve one task file with the current library")):
        sp = add(name, fn, help)
        if name == "evolve":
            sp.add_argument("tasks", nargs="+", help="task files or bundled sets (strings-sygus, lists-rule[:20], ...)")
            sp.add_argument("--rounds", type=int, default=1)
            sp.add_argument("--no-learning", action="store_true", help="attempt tasks but add nothing to the library")
            sp.add_argument("--run-dir", default=None, help="where records go (default: runs/<time>)")
            sp.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
            sp.add_argument("--no-compress", action="store_true", help="skip library learning by compression")
            sp.add_argument("--curriculum", action="store_true",
                            help="with learning, attempt next the task most like those already solved (default: "
                                 "the given order; measured no better, see README)")
            sp.add_argument("--dream", type=int, default=0, metavar="N",
                            help="with learning, before each round practise on N tasks the agent proposes to "
                                 "itself from its library (as `evoskill practice`; 0: none)")
            sp.add_argument("--dream-programs", type=int, default=100_000, metavar="N",
                            help="programs per dreamed task (default 100000)")
            sp.add_argument("--fresh-library", action="store_true",
                            help="start from a new library holding only the built-in skills (in the run dir)")
            sp.add_argument("--executor", choices=["local", "ray"], default="local",
                            help="where attempts run: threads here, or searches as Ray tasks on a cluster "
                                 "(pip install 'evoskill[ray]')")
            sp.add_argument("--address", default=None, metavar="auto|HOST:PORT",
                            help="with --executor ray: the cluster to join (default: a private Ray instance here)")
        else:
            sp.add_argument("taskfile", help="a task file (its first task) or a bundled set with a slice")
            sp.add_argument("--save", action="store_true", help="distill the solution into a skill in the library")
        sp.add_argument("--budget", type=float, default=10.0, help="seconds per task (per round)")
        sp.add_argument("--workers", type=int, default=os.cpu_count() or 1)
        sp.add_argument("--seed", type=int, default=0)
        sp.add_argument("--max-programs", type=int, default=None, help="also stop a search after this many programs")
        sp.add_argument("--proposer", choices=proposer_names(), default="search",
                        help="who proposes candidates (registered under the entry point group evoskill.proposers)")
        sp.add_argument("--model", default=None, help="provider:model, e.g. local:smollm2 or openai:gpt-4.1-mini")
        sp.add_argument("--model-option", action="append", default=None, metavar="KEY=VALUE",
                        help="a backend option, repeatable: reasoning_effort=low, reply_tokens=2000, "
                             "thinking_budget=4000, reasoning_tokens=4000 (docs/MODELS.md)")
        if name == "evolve":
            sp.add_argument("--max-cost", type=float, default=None, metavar="USD",
                            help="stop the run cleanly (resumable) once model calls have cost this much")

    sp = add("practice", cmd_practice, "learn with no given task: solve tasks the agent proposes to itself")
    sp.add_argument("--rounds", type=int, default=3)
    sp.add_argument("--tasks", type=int, default=40, help="tasks proposed per round")
    sp.add_argument("--budget", type=float, default=10.0, help="seconds per task")
    sp.add_argument("--max-programs", type=int, default=100_000, help="programs per task (default 100000)")
    sp.add_argument("--signature", default="list[int] -> list[int]", help="the type of the tasks to propose")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--workers", type=int, default=1)
    sp.add_argument("--run-dir", default=None, help="where records go (default: runs/practice-<time>)")
    sp.add_argument("--fresh-library", action="store_true",
                    help="start from a new library holding only the built-in skills (in the run dir)")

    sp = add("mcp", cmd_mcp, "serve the library over MCP (skills as resources; search, run, solve, submit tools)")
    sp.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    sp.add_argument("--port", type=int, default=8000, help="port for --transport http (on 127.0.0.1)")
    sp.add_argument("--proposer", choices=proposer_names(), default="search",
                    help="what solve_task uses")
    sp.add_argument("--model", default=None, help="provider:model for --proposer llm|hybrid")
    sp.add_argument("--watch-interval", type=float, default=1.0, metavar="SECONDS",
                    help="how often to look for library changes made by other processes (to notify clients)")

    sp = add("scan", cmd_scan, "scan a skill for injection, exfiltration, hidden text and other threats (nothing is run)")
    sp.add_argument("target", metavar="PATH|NAME", help="a skill folder or file, or the name of a library skill")
    sp.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    sp.add_argument("--block-at", choices=["low", "medium", "high", "critical"], default="high",
                    help="lowest severity that blocks the skill (exit status 1)")

    lb = add("library", cmd_library, "manage the library store itself")
    lbs = lb.add_subparsers(dest="library_command", required=True)
    m = lbs.add_parser("migrate", parents=[common], help="copy every version, event and use count between two "
                       "libraries (folders or postgresql:// URLs); running it again copies only what is new")
    m.add_argument("source", metavar="FROM", help="a library folder or postgresql:// URL")
    m.add_argument("target", metavar="TO", help="a library folder or postgresql:// URL (created if needed)")

    ks = add("keys", cmd_keys, "store API keys for model providers")
    kss = ks.add_subparsers(dest="keys_command", required=True)
    s = kss.add_parser("set", parents=[common], help="store a key (read from stdin or a prompt)")
    s.add_argument("provider")
    s.add_argument("--key", default=None, help="the key (avoid: it lands in shell history)")
    kss.add_parser("list", parents=[common], help="providers with a stored key")
    kss.add_parser("remove", parents=[common], help="remove a stored key").add_argument("provider")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.library = getattr(args, "library", None) or os.environ.get("EVOSKILL_LIBRARY") or None
    args.json = getattr(args, "json", False)
    try:
        _check_options(args)
        return int(args.func(args))
    except EvoskillError as exc:
        if args.json:
            print(json.dumps({"error": exc.message, "fix": exc.fix}, ensure_ascii=False))
        else:
            err.print(f"error: {exc}")
        return 2 if isinstance(exc, UserError) else 1
    except BrokenPipeError:  # the reader (e.g. `| head`) left: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        if args.func is cmd_practice:  # practice goes on when run again into the same folder
            err.print("interrupted (run the same command with --run-dir DIR again to go on)")
        else:
            err.print("interrupted (a run can be continued with --resume)")
        return 130


def _check_options(args: argparse.Namespace) -> None:
    """Refuse option values that cannot mean anything, with the fix, before any work starts."""
    for opt in ("budget", "rounds", "workers", "k", "timeout", "max_cost"):
        value = getattr(args, opt, None)
        if value is not None and value <= 0:
            flag = "-k" if opt == "k" else f"--{opt.replace('_', '-')}"
            raise UserError(f"{flag} must be positive, got {value:g}", fix=f"give {flag} a value above 0")
    if getattr(args, "dream", 0) < 0 or getattr(args, "dream_programs", 1) <= 0:
        raise UserError("--dream must be 0 or more and --dream-programs positive",
                        fix="e.g. --dream 40 --dream-programs 100000 (or --dream 0 for no practice)")
    if getattr(args, "dream", 0) and getattr(args, "no_learning", False):
        raise UserError("--dream has no effect with --no-learning (nothing practised would be kept)",
                        fix="drop --dream, or drop --no-learning")
    if getattr(args, "resume", False) and not getattr(args, "run_dir", None):
        raise UserError("--resume needs the run to continue", fix="add --run-dir DIR (the folder of that run)")
    if getattr(args, "model", None) and getattr(args, "proposer", None) == "search":
        raise UserError("--model has no effect with --proposer search (the search uses no model)",
                        fix="add --proposer llm or --proposer hybrid, or drop --model")


if __name__ == "__main__":
    sys.exit(main())

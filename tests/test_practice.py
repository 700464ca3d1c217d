"""Self-proposed practice: dreamed tasks, solved by the ordinary loop, kept only if they generalize."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evoskill.cli import main as cli
from evoskill.evolve import EvolveConfig, Run
from evoskill.lang.components import core_components, parse_evidence
from evoskill.lang.program import compile_program, parse
from evoskill.learner import Learner
from evoskill.library import Library
from evoskill.sandbox import Sandbox
from evoskill.session import install_core
from evoskill.synth.dream import dream
from evoskill.tasks import task_from_dict
from evoskill.testing import ScriptedProposer


def test_dreamed_tasks_are_deterministic_varied_and_true_to_their_program() -> None:
    comps = core_components()
    a = dream(comps, ["list[int]"], "list[int]", tasks=6, seed=5, max_programs=100_000)
    b = dream(comps, ["list[int]"], "list[int]", tasks=6, seed=5, max_programs=100_000)
    assert a == b and len(a) == 6
    assert dream(comps, ["list[int]"], "list[int]", tasks=6, seed=6, max_programs=100_000) != a
    fns = {c.name: c.fn for c in comps}
    for d in a:
        assert len(d["examples"]) == 6 and len(d["held_out"]) == 5 and 4 <= d["cost"] <= 6
        assert len({json.dumps(e["output"]) for e in d["examples"]}) >= 3  # the output depends on the input
        fn = compile_program(parse(d["program"]), 1, fns)
        assert all(fn(list(e["inputs"][0])) == e["output"] for e in d["examples"] + d["held_out"])


def test_an_answer_that_fails_fresh_inputs_is_not_kept(tmp_path: Path) -> None:
    task = task_from_dict({
        "name": "practice-r1-x", "input_types": ["list[int]"], "output_type": "list[int]",
        "examples": [{"inputs": [[3, 1, 2]], "output": [1, 2, 3]}, {"inputs": [[5, 4]], "output": [4, 5]},
                     {"inputs": [[9, 7, 8]], "output": [7, 8, 9]}],
        "held_out": [{"inputs": [[1, 2, 3]], "output": [3, 2, 1]}]})  # the rule was not "sort"
    library = Library(tmp_path / "lib")
    install_core(library)
    for require in (True, False):
        with Sandbox(workers=1, readable=[library.root]) as sandbox:
            learner = Learner(library, sandbox)
            config = EvolveConfig(rounds=1, budget_seconds=5, workers=1, compress=False, curate=False,
                                  require_generalized=require)
            report = Run([task], ScriptedProposer(["(list-sort x0)", "(list-sort x0)"]), learner, config=config,
                         run_dir=tmp_path / f"run-{require}").run()
        row = report["per_task"][0]
        assert row["solved"] and row["generalized"] is False
        assert (row["skill"] is None) == require
        if not require:
            meta = library.get(row["skill"]).manifest.metadata
            ev = parse_evidence(meta["evoskill-evidence"])
            assert ev == {"examples": "3", "checked": "cross-validated", "held-out": "failed", "source": "practice"}


def test_practice_keeps_generalizing_skills_marked_as_practice(tmp_path: Path, capsys: object) -> None:
    run = tmp_path / "p"
    code = cli(["practice", "--rounds", "1", "--tasks", "3", "--max-programs", "60000", "--budget", "60",
                "--fresh-library", "--run-dir", str(run), "--json", "--seed", "1"])
    assert code == 0
    report = json.loads((run / "report.json").read_text())
    row = report["rounds"][0]
    assert row["proposed"] == 3 and row["kept"] <= row["generalized"] <= row["solved"]
    assert row["kept"] >= 1
    library = Library(run / "library")
    for name in row["skills"]:
        meta = library.get(name).manifest.metadata
        assert meta["evoskill-origin"].startswith("task:practice-r1-")
        assert parse_evidence(meta["evoskill-evidence"])["source"] == "practice"
    assert row["evidence"]["from_practice"] == row["kept"]
    # practice leaves the primitives' usage prior alone: it would only echo the task sampler
    assert all(library.stats(r.name).uses == 0 for r in library.list() if r.kind == "primitive")
    dreamed = [json.loads(x) for x in (run / "round-1-tasks.jsonl").read_text().splitlines()]
    attempts = [json.loads(x) for x in (run / "round-1" / "attempts.jsonl").read_text().splitlines()]
    assert {a["task"] for a in attempts} == {d["name"] for d in dreamed}


def _list_task(name: str, outputs: tuple[list[int], list[int]]) -> object:
    return task_from_dict({"name": name, "input_types": ["list[int]"], "output_type": "list[int]",
                           "examples": [{"inputs": [[3, 1, 2]], "output": outputs[0]},
                                        {"inputs": [[5, 4]], "output": outputs[1]}]})


def test_dreaming_runs_before_each_round_and_is_reported(tmp_path: Path) -> None:
    """The seam: ``Run`` calls its dreamer once before each round of a learning run that has tasks left,
    records what it returned in the round's metrics, and does not dream again when a round is resumed."""
    library = Library(tmp_path / "lib")
    install_core(library)
    calls: list[int] = []

    def dreamer(r: int) -> dict[str, object]:
        calls.append(r)
        return {"round": r, "proposed": 2, "solved": 1, "generalized": 1, "kept": 1, "skills": ["x"]}

    # "sorted" is solved in round 1; "other" (not a sort) never is, so every round has a task left
    tasks = [_list_task("sorted", ([1, 2, 3], [4, 5])), _list_task("other", ([2, 1, 3], [4, 5]))]
    with Sandbox(workers=1, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox)
        for learning in (False, True):
            calls.clear()
            config = EvolveConfig(rounds=2, budget_seconds=5, workers=1, compress=False, curate=False,
                                  learning=learning, dream=2)
            report = Run(tasks, ScriptedProposer(["(list-sort x0)"] * 3), learner, config=config,
                         run_dir=tmp_path / f"run-{learning}", dreamer=dreamer).run()
            assert calls == ([1, 2] if learning else [])
            dreams = [(m.get("extra") or {}).get("dream") for m in report["rounds"]]
            assert dreams == ([{"round": 1, "proposed": 2, "solved": 1, "generalized": 1, "kept": 1},
                               {"round": 2, "proposed": 2, "solved": 1, "generalized": 1, "kept": 1}]
                              if learning else [None, None])
        # a run stopped after dreaming, inside round 2: resuming does not dream round 2 again, and reports
        # the dream it had
        state = json.loads((tmp_path / "run-True" / "state.json").read_text())
        state.update(current_round=2, done_in_round=[], partial={"dream": {"round": 2, "proposed": 7}})
        state["rounds"] = state["rounds"][:1]
        (tmp_path / "run-True" / "state.json").write_text(json.dumps(state))
        calls.clear()
        config = EvolveConfig(rounds=2, budget_seconds=5, workers=1, compress=False, curate=False, dream=2)
        report = Run(tasks, ScriptedProposer(["(list-sort x0)"]), learner, config=config,
                     run_dir=tmp_path / "run-True", resume=True, dreamer=dreamer).run()
        assert calls == [] and report["rounds"][1]["extra"]["dream"] == {"round": 2, "proposed": 7}
        # nothing left to attempt: no dreaming
        calls.clear()
        config = EvolveConfig(rounds=2, budget_seconds=5, workers=1, compress=False, curate=False, dream=2)
        Run(tasks[:1], ScriptedProposer(["(list-sort x0)"]), learner, config=config, run_dir=tmp_path / "done",
            dreamer=dreamer).run()
        assert calls == [1]


def test_evolve_dream_practises_on_the_real_path(tmp_path: Path) -> None:
    """``evoskill evolve --dream``: dreamed tasks of the given tasks' signature, searched and kept only if
    they generalize, before the given tasks; their skills are marked as practice."""
    run = tmp_path / "run"
    code = cli(["evolve", "lists-rule[0:3]", "--rounds", "1", "--dream", "3", "--dream-programs", "60000",
                "--budget", "60", "--max-programs", "2000", "--fresh-library", "--run-dir", str(run),
                "--workers", "1", "--seed", "1", "--json"])
    assert code == 0
    report = json.loads((run / "report.json").read_text())
    dream_row = report["rounds"][0]["extra"]["dream"]
    assert 1 <= dream_row["proposed"] <= 3 and dream_row["kept"] >= 1
    dreamed = [json.loads(x) for x in (run / "dream" / "round-1-tasks.jsonl").read_text().splitlines()]
    assert all(d["name"].startswith("practice-r1-") for d in dreamed)
    library = Library(run / "library")
    practised = [r.name for r in library.list()
                 if parse_evidence(library.get(r.name).manifest.metadata.get("evoskill-evidence", "")).get("source")
                 == "practice"]
    assert practised  # kept as skills, marked as practice (curation may merge some of them)


def test_dreaming_a_signature_it_cannot_sample_is_skipped_not_fatal(tmp_path: Path) -> None:
    from evoskill.session import _dreamer

    task = task_from_dict({"name": "f", "input_types": ["float"], "output_type": "float",
                           "examples": [{"inputs": [1.5], "output": 3.0}, {"inputs": [2.0], "output": 4.0}]})
    library = Library(tmp_path / "lib")
    install_core(library)
    with Sandbox(workers=1, readable=[library.root]) as sandbox:
        row = _dreamer([task], EvolveConfig(dream=3, dream_programs=1000, workers=1), sandbox,
                       Learner(library, sandbox), tmp_path / "dream")(1)
    assert row["proposed"] == 0 and "float" in row["skipped"]


def test_a_practice_round_cut_short_goes_on_with_the_same_tasks(tmp_path: Path) -> None:
    from evoskill.practice import PracticeConfig, practice_round

    written = {"name": "practice-r1-sorted", "input_types": ["list[int]"], "output_type": "list[int]",
               "program": "(list-sort x0)", "cost": 2,
               "examples": [{"inputs": [[3, 1, 2]], "output": [1, 2, 3]}, {"inputs": [[5, 4]], "output": [4, 5]}],
               "held_out": [{"inputs": [[9, 7]], "output": [7, 9]}]}
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "round-1-tasks.jsonl").write_text(json.dumps(written) + "\n")
    library = Library(tmp_path / "lib")
    install_core(library)
    with Sandbox(workers=1, readable=[library.root]) as sandbox:
        learner = Learner(library, sandbox)
        row = practice_round(learner, ScriptedProposer(["(list-sort x0)"] * 2), sandbox,
                             PracticeConfig(tasks=5, workers=1), 1, tmp_path / "p")
    assert row["proposed"] == 1 and row["solved"] == 1  # the written task, not five new dreams


def test_practice_interrupted_goes_on_when_run_again(tmp_path: Path) -> None:
    """A real ``evoskill practice`` process stopped with Ctrl-C mid-round says how to go on, and the same
    command goes on with the tasks it had proposed: no task attempted twice, nothing lost."""
    import signal
    import subprocess
    import sys
    import time

    run = tmp_path / "p"
    argv = [sys.executable, "-m", "evoskill.cli", "practice", "--rounds", "1", "--tasks", "12", "--max-programs",
            "200000", "--budget", "60", "--fresh-library", "--run-dir", str(run), "--workers", "1"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    attempts_file = run / "round-1" / "attempts.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if attempts_file.exists() and attempts_file.read_text().count("\n") >= 2:
            break
        time.sleep(0.2)
    if proc.poll() is not None:
        pytest.skip("practice finished before it could be interrupted")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0 and (run / "report.json").exists():
        pytest.skip("practice finished before the signal reached it")  # a race on a fast machine, not a fault
    assert proc.returncode == 130 and "run the same command with --run-dir DIR again" in err
    assert not (run / "report.json").exists()
    before = [json.loads(x)["task"] for x in attempts_file.read_text().splitlines()]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    names = [json.loads(x)["task"] for x in attempts_file.read_text().splitlines()]
    dreamed = [json.loads(x)["name"] for x in (run / "round-1-tasks.jsonl").read_text().splitlines()]
    assert names[:len(before)] == before and sorted(names) == sorted(dreamed)  # each task once
    assert json.loads((run / "report.json").read_text())["rounds"][0]["proposed"] == len(dreamed)

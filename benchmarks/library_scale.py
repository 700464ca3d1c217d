"""Library operations at scale on both backends: the folder library and PostgreSQL (a throwaway local server).

    python benchmarks/library_scale.py                         # 1k and 10k skills, both backends
    python benchmarks/library_scale.py --sizes 1000 --quick    # a quick look
    python benchmarks/library_scale.py --sizes 1000,10000,100000

For each size N the library is first filled with N generated skills (bulk: stored versions loaded into
PostgreSQL, then copied into the folder library by `migrate`; "bulk build/s"), then measured: add throughput of
one process (new skills, adds/s) and of 8 processes adding at once (spawned, started together), get p50/p95 of
the current version of a random skill ("first get": the first access, which for PostgreSQL materializes the
folder from the database into the cache; "get": again), and search p50/p95 (2-3 words drawn like the skills'
own words). Skills are generated: a SKILL.md whose name, description and body are drawn from a vocabulary
with a Zipf-like distribution (common words match most skills: a hard case for ranking), and a small script.
Sizes grow, so each size's library also holds the skills added while measuring the smaller ones.

Writes a Markdown table to stdout and, with --out, JSON. The server runs with fsync off (a benchmark, not a
durability test); the folder library fsyncs as always.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from evoskill.library import Library
from evoskill.migrate import SkillDump, VersionDump, entries, migrate, read_tree
from evoskill.pgserver import ThrowawayPostgres
from evoskill.skill import Skill
from evoskill.store import LibraryStore

TECH = ("parse csv json yaml xml html markdown date time timezone string list dict sort filter map reduce "
        "reverse split join upper lower trim pad number integer float round sum average median count "
        "regex match replace extract url email phone address name file path read write encode decode "
        "base64 hash checksum compress zip table column row merge group pivot chart plot image resize "
        "crop rotate pdf form invoice report summary translate language detect token word sentence "
        "paragraph title slug unique duplicate validate schema config env secret key vowel prime "
        "fibonacci matrix vector graph tree path shortest search index cache queue stack").split()


def vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    """Technical words first (the most frequent), then pronounceable made-up words."""
    cons, vows = "bcdfghjklmnprstvz", "aeiou"
    made: set[str] = set()
    while len(made) < size - len(TECH):
        made.add("".join(rng.choice(cons) + rng.choice(vows) for _ in range(rng.randint(2, 4))))
    return list(TECH) + sorted(made)


class Words:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.vocab = vocabulary(self.rng)
        self.weights = [1.0 / (i + 1) ** 0.9 for i in range(len(self.vocab))]

    def take(self, n: int) -> list[str]:
        return self.rng.choices(self.vocab, self.weights, k=n)


def make_skill(parent: Path, index: int, words: Words) -> Path:
    name = f"s{index:06d}-" + "-".join(words.take(2))
    folder = parent / name
    (folder / "scripts").mkdir(parents=True)
    description = " ".join(words.take(12)).capitalize() + "."
    body = "\n".join(" ".join(words.take(15)) for _ in range(4))
    (folder / "SKILL.md").write_text(f"---\nname: {name}\ndescription: {description}\n---\n# {name}\n\n{body}\n")
    fn = name.replace("-", "_")
    (folder / "scripts" / f"{fn}.py").write_text(f"def {fn}(x):\n    return x  # {index}\n")
    return folder


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000)


def open_backend(kind: str, spec: str, cache: Path) -> LibraryStore:
    if kind == "folder":
        return Library(spec)
    from evoskill.pglibrary import PostgresLibrary

    return PostgresLibrary(spec, cache_dir=cache)


def _concurrent_worker(kind: str, spec: str, cache: str, folders: list[str], start_at: float) -> float:
    lib = open_backend(kind, spec, Path(cache))
    while time.time() < start_at:
        time.sleep(0.005)
    for f in folders:
        lib.add(f)
    end = time.time()
    lib.close()
    return end


def concurrent_adds(kind: str, spec: str, cache: Path, folders: list[Path], procs: int = 8,
                    start_delay: float = 6.0) -> float:
    """adds/s of ``procs`` processes adding ``folders`` (split between them) at once."""
    chunks = [[str(f) for f in folders[i::procs]] for i in range(procs)]
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + start_delay  # every process has opened the library by then
    with ctx.Pool(procs) as pool:
        ends = pool.starmap(_concurrent_worker, [(kind, spec, str(cache), c, start_at) for c in chunks])
    return len(folders) / (max(ends) - start_at)


def bulk_dump(folder: Path) -> SkillDump:
    """A generated skill as one stored version, for building a large library quickly."""
    skill = Skill.load(folder)
    digest = skill.content_hash()
    return SkillDump(skill.name, [VersionDump(1, digest, digest, "imported", skill.kind, None, skill.description,
                                              None, time.time(), entries(read_tree(folder)), "benchmark")], [])


def timed(fn: Any, items: list[Any]) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - t)
    return out


def run(sizes: list[int], queries: int, gets: int, adds: int, concurrent: int, seed: int,
        backends: tuple[str, ...] = ("folder", "postgres")) -> list[dict[str, Any]]:
    from evoskill.pglibrary import PostgresLibrary

    work = Path(tempfile.mkdtemp(prefix="evoskill-scale-"))
    words = Words(seed)
    per_step = adds + concurrent
    n_extra = 2 * len(sizes) * per_step
    print(f"generating {max(sizes) + n_extra} skill folders in {work} ...", file=sys.stderr)
    folders = [make_skill(work / "gen", i, words) for i in range(max(sizes))]
    extra = [make_skill(work / "extra", max(sizes) + i, words) for i in range(n_extra)]
    qrng = random.Random(seed + 1)
    query_list = [" ".join(words.take(qrng.choice((2, 2, 3)))) for _ in range(queries)]
    rows: list[dict[str, Any]] = []
    server = ThrowawayPostgres()
    server.start()
    try:
        url = server.create_database("scale")
        libs: dict[str, Any] = {"postgres": PostgresLibrary(url, cache_dir=work / "cache")}
        if "folder" in backends:
            libs = {"folder": Library(work / "lib"), **libs}
        specs = {"folder": str(work / "lib"), "postgres": url}
        have, step = 0, 0
        for n in sizes:
            # build: the generated skills go into PostgreSQL (as stored versions), then into the folder by migrate
            t = time.perf_counter()
            for f in folders[have:n]:
                libs["postgres"].load(bulk_dump(f))
            built = {"postgres": (n - have) / (time.perf_counter() - t)}
            if "folder" in libs:
                t = time.perf_counter()
                migrate(libs["postgres"], libs["folder"])
                built["folder"] = (n - have) / (time.perf_counter() - t)
            have = n
            picks = random.Random(seed + n).sample([f.name for f in folders[:n]], min(gets, n))
            for kind, lib in libs.items():
                get_t = timed(lib.get, picks)  # the folder's views exist; PostgreSQL materializes each once
                warm_t = timed(lib.get, picks)
                search_t = timed(lib.search, query_list)
                hits = sum(len(lib.search(q)) for q in query_list[:20]) / 20
                mine = extra[step * per_step: (step + 1) * per_step]
                step += 1
                t = time.perf_counter()
                for f in mine[:adds]:
                    lib.add(f)
                add_rate = adds / (time.perf_counter() - t)
                conc = concurrent_adds(kind, specs[kind], work / "cache", mine[adds:], start_delay=5 + n / 2000)
                row = {"backend": kind, "skills": n, "build_per_s": round(built[kind], 1),
                       "add_per_s": round(add_rate, 1),
                       "get_p50_ms": round(percentiles(warm_t)[0], 2), "get_p95_ms": round(percentiles(warm_t)[1], 2),
                       "first_get_p50_ms": round(percentiles(get_t)[0], 2),
                       "first_get_p95_ms": round(percentiles(get_t)[1], 2),
                       "search_p50_ms": round(percentiles(search_t)[0], 2),
                       "search_p95_ms": round(percentiles(search_t)[1], 2), "mean_hits": hits,
                       "concurrent_add_per_s": round(conc, 1), "adds": adds, "concurrent_adds": concurrent}
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
        for lib in libs.values():
            lib.close()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| backend | skills | add/s (1 proc) | 8-proc add/s | get p50 / p95 ms | first get p50 / p95 ms "
            "| search p50 / p95 ms | bulk build/s |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
    lines = []
    for r in rows:
        lines.append(f"| {r['backend']} | {r['skills']:,} | {r['add_per_s']} | {r['concurrent_add_per_s']} "
                     f"| {r['get_p50_ms']} / {r['get_p95_ms']} | {r['first_get_p50_ms']} / {r['first_get_p95_ms']} "
                     f"| {r['search_p50_ms']} / {r['search_p95_ms']} | {r['build_per_s']} |")
    return head + "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated library sizes (growing)")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--gets", type=int, default=300)
    ap.add_argument("--adds", type=int, default=100, help="skills one process adds at each size (add/s)")
    ap.add_argument("--concurrent", type=int, default=200, help="skills the 8 processes add at each size")
    ap.add_argument("--quick", action="store_true", help="100 queries, 100 gets, 40 adds, 80 concurrent adds")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--backends", default="folder,postgres", help="folder, postgres or both (PostgreSQL always "
                    "builds the library; the folder library's add is O(N) per add, so 100k is slow there)")
    ap.add_argument("--out", default=None, help="also write the rows as JSON here")
    args = ap.parse_args()
    if args.quick:
        args.queries, args.gets, args.adds, args.concurrent = 100, 100, 40, 80
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rows = run(sizes, args.queries, args.gets, args.adds, args.concurrent, args.seed,
               tuple(b.strip() for b in args.backends.split(",")))
    print(table(rows))
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

"""Coverage-guided fuzzing (atheris, libFuzzer) of the flow and knowledge loader (security.md,
test 4: at least 10^6 executions; only problems come out, never an exception; no input over 1 s).

Each input is parsed once with the loader's in-memory entry (``parse_bytes``, as ``parse_file``
does after reading a file) and then used as

- a flow file: schema check and build (``flow_from_parsed``), then the whole-graph checks
  (``check_flows``) with the shipped flows, the fuzzed flow taking the place of the shipped flow
  with its id; if that validates, a short conversation runs through the engine;
- a services file next to the shipped taxonomy (``build_knowledge``), cross-checked against the
  shipped flows when it yields a service;
- the taxonomy, alone and, if it passes, next to the shipped services files.

The seed corpus is the shipped ``flows/`` and ``knowledge/`` files (also without comment lines)
plus small valid files and a few known attacks (alias bomb, Python tag, deep nesting). libFuzzer
cuts seeds and inputs to ``--max-len`` bytes: PyYAML's pure-Python parser costs a few
microseconds per byte; with 512 bytes, 10^6 executions take about 35 minutes.

An exception is caught, counted by its type and place (distinct crashes), and the input saved
under ``--artifacts``; fuzzing then goes on. An input whose CPU time is over 1 s (``--limit``) is
saved too. libFuzzer's own ``-timeout`` (wall clock, whole seconds, ``--timeout``) ends the run
on a hang with exit code 70 and a ``timeout-*`` file. At the end the figures are printed; the
exit code is 1 on any crash or slow input.

    .venv/bin/python benchmarks/fuzz_loader.py [--runs 1000000] [--max-len 512]
    .venv/bin/python benchmarks/fuzz_loader.py --reproduce ARTIFACT...   # run saved inputs again

Options after ``--`` go to libFuzzer unchanged (e.g. ``-- -seed=1``).
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from datetime import date
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports(include=["bot", "yaml"]):
    from bot.content import ENTRY_FLOW, Content, ContentPaths, load_content
    from bot.errors import Problem
    from bot.flow.knowledge_loader import TAXONOMY_FILE, build_knowledge
    from bot.flow.loader import flow_from_parsed
    from bot.flow.validate import check_flows
    from bot.flow.yamlsafe import parse_bytes, parse_file
    from testbed.walk import converse

#: The longest one input may take, in CPU seconds of this thread (security.md, test 4).
LIMIT_SECONDS = 1.0
#: An alias bomb must be refused faster than this.
BOMB_LIMIT_SECONDS = 0.050
#: the day the content is checked against (a check date after it is refused)
TODAY = date.today()
FUZZ_FILE = "fuzz.yaml"

ALIAS_BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [
        f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]
).encode()
EXTRA_SEEDS = {
    "alias_bomb.yaml": ALIAS_BOMB,
    "python_tag.yaml": b"id: !!python/object/apply:os.system ['true']\n",
    "merge_key.yaml": b"base: &b {label: x}\nnodes:\n  a:\n    <<: *b\n",
    "deep.yaml": b"[" * 80,
    "tiny_flow.yaml": (
        b"id: klein\ntitle: Klein\nstart: a\nnodes:\n"
        b"  a:\n    choice: Frage?\n    options:\n"
        b"      - {label: Ja, next: b}\n      - {label: Nein, next: b}\n"
        b"  b:\n    end: Fertig.\n"
    ),
    "tiny_services.yaml": (
        b"services:\n  - id: hilfe\n    name: Hilfe\n    summary: Hilft.\n"
        b"    topics: [threat]\n    regions: [DE]\n    contacts:\n      - phone: '110'\n"
        b"    hours:\n      - {days: [mo, tu], from: '09:00', to: '17:00'}\n"
        b"    sources:\n      - {url: 'https://example.org', checked: 2026-08-19}\n"
        b"    verified: true\n"
    ),
    "tiny_taxonomy.yaml": (
        b"regions:\n  - {code: BY, label: Bayern}\ntopics:\n  - {id: threat, label: Bedrohung}\n"
    ),
}


class Baseline:
    """The shipped content, loaded once; the fuzzed file is tried against it."""

    def __init__(self) -> None:
        paths = ContentPaths()
        content, problems = load_content(paths, TODAY)
        if content is None:
            sys.exit("the shipped content does not validate: " + "; ".join(map(str, problems)))
        self.content = content
        self.taxonomy = parse_file(paths.knowledge / TAXONOMY_FILE)
        self.services = [
            parse_file(p) for p in sorted(paths.knowledge.glob("*.y*ml")) if p.name != TAXONOMY_FILE
        ]


class Stats:
    """What the run found; printed at exit."""

    def __init__(self, artifacts: Path, limit: float) -> None:
        self.artifacts = artifacts
        self.limit = limit
        self.started = time.monotonic()
        self.runs = 0
        self.slowest = 0.0
        self.slowest_wall = 0.0
        self.crashes: Counter[str] = Counter()
        self.first_trace: dict[str, str] = {}
        self.slow: list[tuple[float, str]] = []
        self.validated = 0
        self.problems = 0

    def save(self, kind: str, data: bytes) -> str:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{kind}-{hashlib.sha1(data).hexdigest()}"
        path.write_bytes(data)
        return str(path)

    def crash(self, data: bytes, err: Exception) -> None:
        frames = traceback.extract_tb(err.__traceback__)
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
        signature = f"{type(err).__name__} at {where}"
        if signature not in self.crashes:
            saved = self.save("crash", data)
            trace = "".join(traceback.format_exception(err))
            self.first_trace[signature] = f"{trace}input saved as {saved}\n"
            print(f"\n== new crash: {signature}\n{self.first_trace[signature]}", flush=True)
        self.crashes[signature] += 1

    def report(self) -> int:
        wall = time.monotonic() - self.started
        print("\n== fuzz_loader figures")
        print(f"executions: {self.runs}")
        print(f"wall time: {wall:.1f} s")
        print(f"executions/s: {self.runs / wall if wall else 0.0:.1f}")
        cpu, wall_ms = self.slowest * 1000, self.slowest_wall * 1000
        print(f"slowest input: {cpu:.1f} ms CPU ({wall_ms:.1f} ms wall)")
        print(f"inputs over the limit: {len(self.slow)} (limit {self.limit:g} s CPU)")
        for seconds, saved in self.slow[:10]:
            print(f"  {seconds:.2f} s: {saved}")
        print(f"inputs that validated as a flow: {self.validated}")
        print(f"problems reported: {self.problems}")
        print(f"distinct crashes: {len(self.crashes)}")
        for signature, count in self.crashes.most_common():
            print(f"  {count} x {signature}")
        sys.stdout.flush()
        return 1 if self.crashes or self.slow else 0


def only_problems(problems: list[Problem]) -> int:
    """Every finding must be a located problem; returns how many there were."""
    for problem in problems:
        if not isinstance(problem, Problem) or problem.location.line < 1 or not problem.message:
            raise AssertionError(f"not a proper problem: {problem!r}")
    return len(problems)


def has_error(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


def exercise(base: Baseline, stats: Stats, data: bytes) -> None:
    """Load ``data`` as a flow file, a services file and the taxonomy."""
    tree, found = parse_bytes(data, FUZZ_FILE)
    count = only_problems(found)

    # (a) a flow file, in place of the shipped flow with the same id
    flow, flow_id, problems = flow_from_parsed(tree, list(found))
    count += only_problems(problems)
    shipped = base.content
    if flow is not None or flow_id:
        flows = dict(shipped.flows)
        broken: set[str] = set()
        if flow is not None:
            flows[flow.id] = flow
        elif flow_id:
            flows.pop(flow_id, None)
            broken.add(flow_id)
        problems = check_flows(flows, shipped.knowledge, broken, ENTRY_FLOW)
        count += only_problems(problems)
        if flow is not None and not has_error(problems):
            stats.validated += 1
            converse(Content(flows, shipped.knowledge, shipped.catalogs), flow.id)

    if tree is not None:
        # (b) a services file next to the shipped taxonomy
        knowledge, problems = build_knowledge(base.taxonomy, [(tree, list(found))], TODAY)
        count += only_problems(problems)
        if knowledge.services:
            count += only_problems(check_flows(shipped.flows, knowledge, set(), ENTRY_FLOW))
        # (c) the taxonomy, alone and, if it passes, next to the shipped services files
        knowledge, problems = build_knowledge((tree, list(found)), [], TODAY)
        count += only_problems(problems)
        if not problems and (knowledge.regions or knowledge.topics):
            knowledge, problems = build_knowledge((tree, list(found)), base.services, TODAY)
            count += only_problems(problems)
    stats.problems += count


def check_alias_bomb() -> float:
    """Seconds the loader needs to refuse an alias bomb (best of three)."""
    best = float("inf")
    for _ in range(3):
        started = time.thread_time()
        tree, problems = parse_bytes(ALIAS_BOMB, "bomb.yaml")
        best = min(best, time.thread_time() - started)
        if tree is not None or "not allowed" not in problems[0].message:
            raise AssertionError(f"the alias bomb was not refused: {problems}")
    return best


def seed_corpus(directory: Path) -> None:
    """The shipped files, also without their comment lines (so more of them fits in a short
    input), and the extra seeds."""
    for folder in ("flows", "knowledge"):
        for path in sorted((ROOT / folder).glob("*.yaml")):
            shutil.copy(path, directory / f"{folder}_{path.name}")
            lines = path.read_bytes().splitlines(keepends=True)
            bare = b"".join(line for line in lines if not line.lstrip().startswith(b"#"))
            (directory / f"{folder}_bare_{path.name}").write_bytes(bare)
    for name, data in EXTRA_SEEDS.items():
        (directory / name).write_bytes(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1_000_000, help="executions (default 10^6)")
    parser.add_argument("--max-len", type=int, default=512, help="longest input in bytes")
    parser.add_argument(
        "--limit", type=float, default=LIMIT_SECONDS, help="CPU seconds one input may take"
    )
    parser.add_argument("--timeout", type=int, default=1, help="libFuzzer's hang limit, in s")
    parser.add_argument("--corpus", type=Path, help="keep the corpus here (default: temporary)")
    parser.add_argument("--artifacts", type=Path, default=Path("fuzz-artifacts"))
    parser.add_argument("--reproduce", type=Path, nargs="+", help="only run these inputs")
    args, libfuzzer = parser.parse_known_args()
    libfuzzer = [a for a in libfuzzer if a != "--"]

    bomb = check_alias_bomb()
    print(f"alias bomb refused in {bomb * 1000:.2f} ms", flush=True)
    if bomb > BOMB_LIMIT_SECONDS:
        sys.exit(f"the alias bomb took over {BOMB_LIMIT_SECONDS * 1000:.0f} ms")

    base = Baseline()
    stats = Stats(args.artifacts, args.limit)

    def one_input(data: bytes) -> None:
        started, wall = time.thread_time(), time.perf_counter()
        try:
            exercise(base, stats, data)
        except Exception as err:  # any exception is a defect: count it and go on
            stats.crash(data, err)
        elapsed = time.thread_time() - started
        stats.runs += 1
        if elapsed > stats.slowest:
            stats.slowest = elapsed
        stats.slowest_wall = max(stats.slowest_wall, time.perf_counter() - wall)
        if elapsed > args.limit:
            stats.slow.append((elapsed, stats.save("slow", data)))

    if args.reproduce:
        for path in args.reproduce:
            one_input(path.read_bytes())
        sys.exit(stats.report())

    corpus = args.corpus or Path(tempfile.mkdtemp(prefix="fuzz-loader-"))
    corpus.mkdir(parents=True, exist_ok=True)
    seed_corpus(corpus)

    def finish() -> None:
        code = stats.report()
        if args.corpus is None:
            shutil.rmtree(corpus, ignore_errors=True)
        sys.stdout.flush()
        os._exit(code)  # libFuzzer is ending the process; make its exit code ours

    atexit.register(finish)
    argv = [
        sys.argv[0],
        f"-atheris_runs={args.runs}",  # atheris's own count; unlike -runs it ends with atexit
        f"-max_len={args.max_len}",
        f"-timeout={args.timeout}",
        f"-artifact_prefix={args.artifacts}/",
        *libfuzzer,
        str(corpus),
    ]
    args.artifacts.mkdir(parents=True, exist_ok=True)
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

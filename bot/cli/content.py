"""The content commands: ``validate``, ``graph``, ``test``, ``schema``, ``translations``,
``init``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.common import chosen_paths, print_problems
from bot.cli.survey import check_surveys
from bot.config import Settings
from bot.content import Content, ContentPaths, load_content, missing_translations, require_content
from bot.errors import ConfigError, Problem, SourceLocation


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    """Check flows, knowledge and translations; exit 1 on any error."""
    paths = chosen_paths(args, settings)
    content, problems = load_content(paths)
    missing: list[Problem] = []
    if content is not None:
        missing = missing_translations(content, paths)
        if args.translations:
            problems = [*problems, *missing]
        problems = [*problems, *_vanished_positions(content, settings, paths)]
    surveys, survey_problems = check_surveys(args.survey or [], settings)
    problems = [*problems, *survey_problems]
    print_problems(problems)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = sum(1 for p in problems if p.severity == "warning")
    summary = f"{errors} error(s), {warnings} warning(s)"
    if content is not None:
        per_locale = {loc: 0 for loc in content.catalogs.locales}
        for problem in missing:
            per_locale[problem.message[1 : problem.message.index("]")]] += 1
        counts = ", ".join(f"{loc} {n}" for loc, n in per_locale.items())
        summary += f"; {len(content.flows)} flows, {len(content.knowledge.services)} services"
        if paths.local is not None:
            summary += f", {len(content.knowledge.local_regions)} local regions ({paths.local})"
        summary += f"; missing translations: {counts}"
        if missing and not args.translations:
            summary += " (list them with --translations)"
    if surveys:
        summary += f"; {surveys} survey file(s)"
    print(summary)
    return 1 if errors else 0


def _vanished_positions(content: Content, settings: Settings, paths: ContentPaths) -> list[Problem]:
    """A warning for each node that stored conversations stand at but the files no longer have
    (read from the service's database, if there is one; nothing is written). Only a database
    named in the settings counts (``--db``, ``BEISTAND_DB``, ``BEISTAND_DATA_DIR``): the default
    ``./data`` is a developer's terminal chat, not the service."""
    from bot.storage.positions import saved_positions

    if not {"db", "data_dir"} & settings.model_fields_set:
        return []
    positions = saved_positions(settings.db)
    found: list[Problem] = []
    for (flow_id, node), count in sorted((positions or {}).items()):
        flow = content.flows.get(flow_id)
        if flow is not None and node in flow.nodes:
            continue
        where = flow.loc if flow is not None else SourceLocation(str(paths.flows), 1, 1)
        gone = f"node '{node}'" if flow is not None else f"flow '{flow_id}' (node '{node}')"
        found.append(
            Problem(
                where,
                f"{count} saved conversation(s) in {settings.db} stand at {gone}, which the "
                "files no longer have: after the reload they are told the flow changed and "
                "start again from the menu",
                "warning",
            )
        )
    return found


def cmd_graph(args: argparse.Namespace, settings: Settings) -> int:
    """Draw one flow as Mermaid, DOT, SVG or an HTML page; broken references are marked."""
    from bot.content import drawable_flows
    from bot.flow.drawing import to_html, to_svg
    from bot.flow.graph import build, to_dot, to_mermaid

    flows, broken, problems = drawable_flows(chosen_paths(args, settings))
    flow = flows.get(args.flow_id)
    if flow is None:
        if args.flow_id in broken:
            file = broken[args.flow_id]
            for problem in sorted(problems, key=str):
                if problem.location.file == file and problem.severity == "error":
                    print(problem, file=sys.stderr)
            print(f"flow {args.flow_id!r} cannot be drawn: {file} did not load", file=sys.stderr)
            return 1
        print(
            f"unknown flow {args.flow_id!r}; flows: {', '.join(sorted(flows))}",
            file=sys.stderr,
        )
        return 1
    own = [str(p) for p in sorted(problems, key=str) if p.location.file == flow.loc.file]
    for line in own:
        print(line, file=sys.stderr)
    graph = build(flow, set(flows) | set(broken))
    renderers = {"mermaid": to_mermaid, "dot": to_dot, "svg": to_svg}
    out = to_html(graph, own) if args.format == "html" else renderers[args.format](graph)
    print(out, end="")
    return 0


def cmd_test(args: argparse.Namespace, settings: Settings) -> int:
    """Run conversation tests and print a report."""
    from bot.convtest import run_paths

    content_paths = chosen_paths(args, settings)
    # a local layer brings its own conversations (the content's may choose a Land that now
    # has a region question); without them the content's run over the layer
    local = content_paths.local / "conversations" if content_paths.local else None
    default = local if local is not None and local.is_dir() else content_paths.conversations
    paths = args.paths or [default]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise ConfigError(f"no conversation tests at {', '.join(str(p) for p in missing)}")
    content = require_content(content_paths)
    report = run_paths(content, paths)
    if args.verbose:
        for name in report.passed:
            print(f"PASS {name}")
    print_problems(report.problems)
    for failure in report.failures:
        print(f"FAIL {failure}")
    total = len(report.passed) + len(report.failures)
    print(f"{len(report.passed)} passed, {len(report.failures)} failed ({total} conversations)")
    return 0 if report.ok and total else 1


def cmd_schema(args: argparse.Namespace, settings: Settings) -> int:
    """Print (or write) the JSON Schema of a file format."""
    from bot.schemas import SCHEMAS, render_schema

    names = list(SCHEMAS) if args.write else [args.kind]
    for name in names:
        text = render_schema(name)
        if args.write:
            target = Path(args.write) / f"{name}.schema.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
        else:
            print(text, end="")
    return 0


def cmd_translations(args: argparse.Namespace, settings: Settings) -> int:
    """Extract messages and update every catalog (pybabel extract + update)."""
    from bot.i18n.tools import update_catalogs

    for line in update_catalogs(chosen_paths(args, settings)):
        print(line)
    return 0


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    """Write a copy of the shipped content and a commented ``.env`` into a directory."""
    from bot.initdir import init_directory, next_steps

    for line in next_steps(init_directory(args.directory, force=args.force, example=args.example)):
        print(line)
    return 0


def cmd_preview(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the content as a local web page: chat, diagram, validation (in-memory store)."""
    import asyncio

    from bot.preview.server import serve

    def say(line: str) -> None:
        print(line, flush=True)

    return asyncio.run(serve(chosen_paths(args, settings), say, args.port, not args.no_browser))

"""Loading everything the engine needs, validated, into one immutable
:class:`~bot.flow.model.Content` bundle (the model itself lives in :mod:`bot.flow.model`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

from bot.engine.prepared import prepared_for
from bot.errors import ContentError, Problem, SourceLocation
from bot.flow.knowledge_loader import load_knowledge
from bot.flow.loader import display_name, flow_files, load_flow_file
from bot.flow.local_loader import services_files
from bot.flow.model import ENTRY_FLOW, Content, Flow
from bot.flow.validate import check_flows
from bot.i18n import SOURCE_LOCALE, po_path
from bot.i18n.catalogs import load_catalogs, with_local
from bot.i18n.messages import flow_messages, knowledge_messages

PACKAGE_DIR = Path(__file__).resolve().parent
#: the source checkout, when ``bot/`` is imported from one (else site-packages; not used then)
PROJECT_ROOT = PACKAGE_DIR.parent
#: where a wheel carries the shipped content (copied in at build time, see setup.py)
PACKAGED = "_content"


@dataclass(frozen=True, slots=True)
class ContentLayout:
    """Where each part of a content directory lives (shipped, or made by ``beistand init``)."""

    root: Path
    flows: Path
    knowledge: Path
    locales: Path
    schemas: Path
    conversations: Path
    #: the commented settings file: ``.env.example`` when shipped, ``.env`` in a content directory
    settings_file: Path
    #: True for the content inside an installed package (read-only for operators)
    packaged: bool = False
    #: the deployment's local layer (regions.yaml, local services); used when it exists
    local: Path | None = None

    @classmethod
    def of_directory(cls, root: Path) -> ContentLayout:
        """The layout ``beistand init DIR`` writes: every part directly below ``root``."""
        return cls(
            root=root,
            flows=root / "flows",
            knowledge=root / "knowledge",
            locales=root / "locales",
            schemas=root / "schemas",
            conversations=root / "conversations",
            local=root / "local",
            settings_file=root / ".env",
        )


def _is_checkout(root: Path) -> bool:
    return (root / "pyproject.toml").is_file() and (root / "flows").is_dir()


def shipped_content() -> ContentLayout:
    """The content that comes with this copy of Beistand.

    In a source checkout (and an editable install) the top-level folders are used, so developers
    edit them directly; an installed wheel carries a copy in ``bot/_content/`` (the conversation
    tests as ``conversations/``, ``.env.example`` as ``env.example``).
    """
    if _is_checkout(PROJECT_ROOT):
        return ContentLayout(
            root=PROJECT_ROOT,
            flows=PROJECT_ROOT / "flows",
            knowledge=PROJECT_ROOT / "knowledge",
            locales=PROJECT_ROOT / "locales",
            schemas=PROJECT_ROOT / "schemas",
            conversations=PROJECT_ROOT / "tests" / "conversations",
            local=PROJECT_ROOT / "local",
            settings_file=PROJECT_ROOT / ".env.example",
        )
    traversable = resources.files("bot").joinpath(PACKAGED)
    # an installed wheel is a folder of files; a zipped package cannot serve the content
    root = Path(str(traversable))
    layout = ContentLayout.of_directory(root)
    return ContentLayout(
        root=root,
        flows=layout.flows,
        knowledge=layout.knowledge,
        locales=layout.locales,
        schemas=layout.schemas,
        conversations=layout.conversations,
        local=layout.local,
        settings_file=root / "env.example",
        packaged=True,
    )


def examples_dir() -> Path:
    """Where the example local layers (``examples/musterland``) are: top-level in a checkout,
    ``bot/_content/examples`` in an installed wheel."""
    layout = shipped_content()
    return layout.root / "examples"


@dataclass(frozen=True, slots=True)
class ContentPaths:
    """Where flows, knowledge, catalogs, conversation tests and the local layer are read from.

    The defaults are the shipped content (:func:`shipped_content`), without a local layer
    (``local`` None: the shipped content is region-free).
    """

    flows: Path = field(default_factory=lambda: shipped_content().flows)
    knowledge: Path = field(default_factory=lambda: shipped_content().knowledge)
    locales: Path = field(default_factory=lambda: shipped_content().locales)
    conversations: Path = field(default_factory=lambda: shipped_content().conversations)
    #: the deployment's local layer (``regions.yaml`` and local services files), or None
    local: Path | None = None

    @classmethod
    def configured(
        cls,
        content_dir: Path | None,
        flows: Path | None = None,
        knowledge: Path | None = None,
        locales: Path | None = None,
        local: Path | None = None,
    ) -> ContentPaths:
        """The parts below an operator's content directory (else the shipped ones), each
        replaced by an explicit directory where one is given (``BEISTAND_FLOWS``...). The local
        layer is ``local`` (``BEISTAND_LOCAL_DIR``) if given, else ``<content dir>/local/`` when
        that directory exists, else none."""
        base = ContentLayout.of_directory(content_dir) if content_dir else shipped_content()
        if local is None and content_dir is not None and base.local and base.local.is_dir():
            local = base.local
        return cls(
            flows=flows or base.flows,
            knowledge=knowledge or base.knowledge,
            locales=locales or base.locales,
            conversations=base.conversations,
            local=local,
        )


def skipped_note(flow_id: str) -> str:
    """The one line that stands for every check left out because a flow file is broken."""
    return (
        f"flow {flow_id!r} was skipped because of the errors in this file; "
        "checks of other files that refer to it were left out"
    )


def _load_flows(directory: Path) -> tuple[dict[str, Flow], dict[str, str], list[Problem]]:
    """The flows that loaded, the ids of those that did not (with their file), and problems."""
    flows: dict[str, Flow] = {}
    broken: dict[str, str] = {}
    problems: list[Problem] = []
    if not directory.is_dir():
        problems.append(Problem(SourceLocation(str(directory), 1, 1), "flows directory not found"))
        return flows, broken, problems
    for path in flow_files(directory):
        flow, flow_id, found = load_flow_file(path)
        problems.extend(found)
        if flow is None:
            if flow_id:
                broken[flow_id] = display_name(path)
                where = SourceLocation(display_name(path), 1, 1)
                problems.append(Problem(where, skipped_note(flow_id), "note"))
            continue
        if flow.id in flows:
            first = flows[flow.id].loc
            problems.append(
                Problem(flow.loc, f"duplicate flow id {flow.id!r} (first in {first.file})")
            )
            continue
        flows[flow.id] = flow
    return flows, broken, problems


def load_content(
    paths: ContentPaths, today: date | None = None
) -> tuple[Content | None, list[Problem]]:
    """Load and check everything; the content is None if any error was found."""
    knowledge, problems = load_knowledge(paths.knowledge, today, paths.local)
    flows, broken, found = _load_flows(paths.flows)
    problems.extend(found)
    problems.extend(check_flows(flows, knowledge, set(broken), ENTRY_FLOW))
    catalogs, found = load_catalogs(paths.locales)
    problems.extend(found)
    catalogs, found = with_local(catalogs, paths.local)
    problems.extend(found)
    if any(p.severity == "error" for p in problems):
        return None, problems
    content = Content(flows, knowledge, catalogs)
    prepared_for(content)  # what the engine precomputes, ready before the first step
    return content, problems


def drawable_flows(
    paths: ContentPaths, today: date | None = None
) -> tuple[dict[str, Flow], dict[str, str], list[Problem]]:
    """Every flow that can be drawn, even with errors (``beistand graph``, a live preview): the
    flows that loaded, the broken ones' ids with their file, and every problem of the flows."""
    knowledge, problems = load_knowledge(paths.knowledge, today, paths.local)
    flows, broken, found = _load_flows(paths.flows)
    problems.extend(found)
    problems.extend(check_flows(flows, knowledge, set(broken), ENTRY_FLOW))
    return flows, broken, problems


def require_content(paths: ContentPaths) -> Content:
    """Load content or raise :class:`ContentError` with every problem."""
    content, problems = load_content(paths)
    if content is None:
        raise ContentError(tuple(problems))
    return content


def code_messages() -> set[tuple[str | None, str]]:
    """The (context, msgid) pairs used in the Python code, found by Babel's extractor."""
    # Babel's extractor only here (validate, translations), not at every start of the bot
    from babel.messages.extract import extract_from_dir

    found: set[tuple[str | None, str]] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(PACKAGE_DIR), method_map=[("**.py", "python")]
    ):
        if isinstance(message, str):
            found.add((context, message))
    return found


def missing_translations(content: Content, paths: ContentPaths) -> list[Problem]:
    """One warning per message that a locale's catalog lacks (for German: not in the catalog
    file at all, meaning ``pybabel update`` was not run; for others: not translated). The texts
    of a local layer belong in its own catalogs (``<local>/locales/``)."""
    problems: list[Problem] = []
    wanted: list[tuple[SourceLocation, str | None, str]] = []
    for flow in content.flows.values():
        for m in flow_messages(flow):
            wanted.append((SourceLocation(flow.loc.file, m.line, 1), m.context, m.text))
    taxonomy = SourceLocation(display_name(paths.knowledge / "taxonomy.yaml"), 1, 1)
    for m in knowledge_messages(content.knowledge):
        loc = taxonomy
        if m.context.startswith("service/"):
            loc = content.knowledge.services[m.context.removeprefix("service/")].loc
        wanted.append((loc, m.context, m.text))
    for context, msgid in sorted(code_messages(), key=lambda cm: (cm[0] or "", cm[1])):
        wanted.append((SourceLocation("bot", 1, 1), context, msgid))
    local_files: set[str] = set()
    if paths.local is not None and paths.local.is_dir():
        local_files = {display_name(p) for p in services_files(paths.local)}
    for locale in content.catalogs.locales:
        translator = content.catalogs.by_locale[locale]
        have = translator.known if locale == SOURCE_LOCALE else set(translator.messages)
        catalog = display_name(po_path(paths.locales, locale))
        for loc, context, msgid in wanted:
            if (context, msgid) not in have:
                where = catalog
                if loc.file in local_files and paths.local is not None:
                    where = display_name(po_path(paths.local / "locales", locale))
                short = msgid if len(msgid) <= 50 else msgid[:47] + "..."
                what = "not in the catalog" if locale == SOURCE_LOCALE else "not translated"
                problems.append(
                    Problem(
                        loc, f"[{locale}] {what} ({where}): {context or ''} {short!r}", "warning"
                    )
                )
    return problems


__all__ = [
    "ENTRY_FLOW",
    "Content",
    "ContentLayout",
    "ContentPaths",
    "code_messages",
    "drawable_flows",
    "examples_dir",
    "load_content",
    "missing_translations",
    "require_content",
    "shipped_content",
]

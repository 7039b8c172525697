"""ARCHITECTURE.md is the map a newcomer reads first: it names every module of the engine where it lies, names no
module that is gone, and gives the stages in the order the code runs them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "ARCHITECTURE.md"
ENGINE = ROOT / "surveypress"
# Where a layout line's description starts: a line indented this far or more continues the description above it.
DESCRIPTION_COLUMN = 20


def layout_block() -> list[str]:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1]
    return section.split("```\n", 2)[1].splitlines()


def layout_paths() -> set[str]:
    """Every path the layout block names: a name's indentation (two spaces a level) puts it inside the folder above."""
    folders: list[str] = []
    paths = set()
    for line in layout_block():
        indent = len(line) - len(line.lstrip(" "))
        if not line.strip() or indent >= DESCRIPTION_COLUMN:
            continue
        level = indent // 2
        name = line.split()[0]
        del folders[level:]
        path = "/".join([*folders, name.rstrip("/")])
        paths.add(path)
        if name.endswith("/"):
            folders.append(name.rstrip("/"))
    return paths


def engine_modules() -> set[str]:
    """Every module and data file of the engine a reader may need to find (a package's __init__.py that only holds
    a docstring is its folder's line, not a module of its own)."""
    found = set()
    for path in ENGINE.rglob("*"):
        relative = path.relative_to(ROOT).as_posix()
        if "__pycache__" in path.parts or "theme" in path.relative_to(ENGINE).parts[:1]:
            continue
        if path.suffix == ".py" or path.suffix == ".yml":
            if path.name == "__init__.py" and not _defines_something(path):
                continue
            found.add(relative)
    return found


def _defines_something(path: Path) -> bool:
    return bool(re.search(r"^(def|class|[A-Z_]+\s*=|from|import)\b", path.read_text(encoding="utf-8"), re.M))


def test_every_engine_module_is_named_in_the_architecture_layout_where_it_lies():
    missing = sorted(engine_modules() - layout_paths())
    assert not missing, f"ARCHITECTURE.md's layout does not name: {missing}"


def test_the_architecture_layout_names_no_engine_module_that_does_not_exist():
    named = {path for path in layout_paths() if path.startswith("surveypress/") and path.endswith((".py", ".yml"))}
    gone = sorted(path for path in named if not (ROOT / path).exists())
    assert not gone, f"ARCHITECTURE.md's layout names modules that do not exist: {gone}"


def stages_as_the_code_runs_them() -> list[str]:
    """The stage names a build reports, in the order it runs them: build.py's before it hands over to pipeline.run,
    then pipeline.py's, then build.py's after."""
    step = re.compile(r'progress\.step\(\s*"(\w+)"')
    command = (ENGINE / "build.py").read_text(encoding="utf-8")
    before, after = command.split("pipeline.run(", 1)
    pipeline = (ENGINE / "pipeline.py").read_text(encoding="utf-8")
    return step.findall(before) + step.findall(pipeline) + step.findall(after)


def test_the_architecture_gives_the_stages_in_the_order_the_build_runs_them():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert "\nStage order: " in text, "ARCHITECTURE.md has no 'Stage order:' paragraph"
    paragraph = text.split("\nStage order: ", 1)[1].split("\n\n", 1)[0]
    # The order is the list of names before the parenthesis that explains it.
    assert re.findall(r"`(\w+)`", paragraph.split("(", 1)[0]) == stages_as_the_code_runs_them()

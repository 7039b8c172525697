"""The `surveypress` command: `init SOURCE` drafts a content folder, `build` builds it into a site, `serve` previews.

`python -m surveypress ...` runs the same. `surveypress build` takes the options of build_tables.py and `--no-site`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

USAGE = """usage: surveypress init SOURCE [options]   draft a content folder from a .sav/.dta/.xpt, XLSForm or data file
       surveypress build [options]         build tables, data package, charts, pages and the site (into site/)
       surveypress serve [options]         preview the site at http://127.0.0.1:8000/, rebuilt on every change
Run any of them with --help for its options."""


def serve_parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(
        prog="surveypress serve",
        description="Preview the site on this computer (mkdocs serve on 127.0.0.1). A change to the content folder "
        "or the microdata runs the build again, which rewrites only the outputs that changed.",
        epilog="Exit codes: those of mkdocs serve; 2 when the project folder has no mkdocs.yml.",
    )
    command.add_argument(
        "--content", default="publication", help="content folder (default: publication); the project is above it"
    )
    command.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000)")
    command.add_argument("--dirty", action="store_true", help="rebuild only the pages whose Markdown changed")
    return command


def serve(argv: Sequence[str]) -> int:
    from surveypress.errors import InputError
    from surveypress.website import build as site_build

    arguments = serve_parser().parse_args(argv)
    content = Path(arguments.content)
    project = content.resolve().parent
    try:
        return site_build.serve(project, content, arguments.port, arguments.dirty)
    except InputError as error:
        print(f"error: {error.relative_to(project)}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = arguments[0] if arguments else ""
    if command == "init":
        from surveypress.draft import init

        return init.main(arguments[1:])
    if command == "build":
        from surveypress import build

        return build.main(arguments[1:], site=True)
    if command == "serve":
        return serve(arguments[1:])
    print(USAGE, file=sys.stderr)
    return 0 if command in ("-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main())

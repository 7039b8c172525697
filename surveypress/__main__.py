"""The `surveypress` command: `surveypress init SOURCE` drafts a content folder, `surveypress build` builds it.

`python -m surveypress ...` runs the same. `surveypress build` takes the options of build_tables.py.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = """usage: surveypress init SOURCE [options]   draft a content folder from a labelled .sav/.dta or an XLSForm
       surveypress build [options]         build tables, data package, charts and pages (as build_tables.py)
Run either with --help for its options."""


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = arguments[0] if arguments else ""
    if command == "init":
        from surveypress import init

        return init.main(arguments[1:])
    if command == "build":
        from surveypress import build

        return build.main(arguments[1:])
    print(USAGE, file=sys.stderr)
    return 0 if command in ("-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main())

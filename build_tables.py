#!/usr/bin/env python3
"""Builds a publication's indicator tables, data package, charts and pages: see `build_tables.py --help`."""

import sys

from surveypress.build import main

if __name__ == "__main__":
    sys.exit(main())

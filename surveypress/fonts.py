"""Where the CJK font the charts are drawn with is found, and what of it a build depends on.

Kept apart from chart.py, which imports Altair and vl-convert, so that the check for a rebuild with nothing changed
(build.py) can name the fonts without importing a drawing library.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from surveypress.errors import InputError

# Folders searched for a CJK font for the PNGs; SURVEYPRESS_CJK_FONT_DIR comes first when set.
CJK_FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/truetype/wqy",
    "/usr/share/fonts/google-noto-cjk",
)
CJK_FONT_NAME = re.compile(r"(cjk|wqy|sourcehan|source-han|han-sans)", re.IGNORECASE)


class FontMissingError(InputError):
    """No CJK font for vl-convert: the PNGs would show empty boxes instead of Chinese. The build stops with advice."""


def find_cjk_font_dir() -> Path:
    """The first folder holding a CJK font file; raises FontMissingError naming what was searched."""
    candidates = [os.environ["SURVEYPRESS_CJK_FONT_DIR"]] if os.environ.get("SURVEYPRESS_CJK_FONT_DIR") else []
    candidates.extend(CJK_FONT_DIRS)
    for folder in candidates:
        path = Path(folder)
        if path.is_dir() and any(
            CJK_FONT_NAME.search(file.name) and file.suffix.lower() in (".ttc", ".otf", ".ttf")
            for file in path.rglob("*")
        ):
            return path
    raise FontMissingError(
        candidates[0],
        "a folder holding a Chinese (CJK) font for the chart PNGs; searched " + ", ".join(candidates),
        hint="Install Debian's fonts-noto-cjk, or set SURVEYPRESS_CJK_FONT_DIR to a folder with a Chinese font",
    )


def font_files(folder: Path) -> list[list]:
    """Names, sizes and modification times of the font files in `folder`."""
    return sorted(
        [path.relative_to(folder).as_posix(), path.stat().st_size, path.stat().st_mtime_ns]
        for path in folder.rglob("*")
        if path.is_file() and path.suffix.lower() in (".ttc", ".otf", ".ttf")
    )

"""Where the CJK font the charts are drawn with is found, and what of it a build depends on.

Kept apart from the rest of charts/, which imports Altair and vl-convert, so that the check for a rebuild with
nothing changed (build.py) can name the fonts without importing a drawing library.
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


# A drawing typeface: the CJK faces cut down to the characters a publication's charts can show.
#
# vl-convert measures every text it lays out with the font that draws it, and with a full CJK font (tens of thousands
# of glyphs) each measurement costs a few milliseconds: a chart in Chinese took four times as long to draw as one in
# English. With the same faces cut down to the characters the charts use (HarfBuzz's subsetter, the maintained tool
# for this, renamed with fontTools), the same measurements take a third of the time and give the same widths, glyphs
# and bytes.

# The weights the charts use: normal text and bold titles.
DRAWN_WEIGHTS = (400, 700)


def drawing_faces(folder: Path, families: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """(file, face number, weight) of the regular and bold faces of the first of `families` that a font file in
    `folder` holds: the faces vl-convert picks for that font stack. Empty when none is there."""
    return drawing_family(folder, families)[1]


def drawing_family(folder: Path, families: tuple[str, ...]) -> tuple[str, list[tuple[str, int, int]]]:
    """The first of `families` that a font file in `folder` holds (the family vl-convert draws that font stack
    with), and its regular and bold faces as `drawing_faces` gives them; ('', []) when none is there."""
    found = _faces_of(sorted(folder.rglob("*")), families)
    for family in families:
        if family in found:
            return family, sorted(found[family], key=lambda face: face[2])
    return "", []


def _faces_of(paths: list[Path], families: tuple[str, ...]) -> dict[str, list[tuple[str, int, int]]]:
    """{family: its upright (file, face number, weight) in `paths`} for those of `families` in DRAWN_WEIGHTS."""
    from fontTools.ttLib import TTCollection, TTFont

    found: dict[str, list[tuple[str, int, int]]] = {}
    for path in paths:
        suffix = path.suffix.lower()
        if not path.is_file() or suffix not in (".ttc", ".otf", ".ttf"):
            continue
        try:
            faces = TTCollection(str(path), lazy=True).fonts if suffix == ".ttc" else [TTFont(str(path), lazy=True)]
            for number, face in enumerate(faces):
                family = face["name"].getBestFamilyName()
                weight = face["OS/2"].usWeightClass
                upright = not face["OS/2"].fsSelection & 1  # the charts draw no italic text
                if family in families and weight in DRAWN_WEIGHTS and upright:
                    found.setdefault(family, []).append((str(path), number, weight))
        except Exception:  # a file fontTools cannot read is one vl-convert skips too
            continue
    return found


# The faces of the stack drawings without CJK text name (languages.TEXT_FONTS): vl-convert measures it with the first
# of its families a system font file holds, and without one with the Liberation Sans built into it, which a build
# can carry only when a file of it is installed (Debian's fonts-liberation2: the same metrics).
TEXT_FONT_ENV = "SURVEYPRESS_TEXT_FONT_DIR"  # when set, the one folder searched (else fontconfig's fonts, else these)
TEXT_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
VL_CONVERT_FAMILIES = ("Liberation Sans",)
# The families a build may put into its drawings: free to redistribute (SIL Open Font License, Bitstream Vera's).
EMBEDDABLE_FAMILIES = ("Liberation Sans", "DejaVu Sans")


def text_family(families: tuple[str, ...]) -> tuple[str, list[tuple[str, int, int]]]:
    """The family of `families` vl-convert measures text with, and its regular and bold faces as installed when the
    build may carry them ([] when it has no file of it, or may not); ('', []) when none of them is there."""
    for family in families:
        faces = _installed_family(family)
        if faces:
            return family, list(faces) if family in EMBEDDABLE_FAMILIES else []
        if family in VL_CONVERT_FAMILIES:
            return family, []
    return "", []


def face_files(family: str, faces: list[tuple[str, int, int]] | tuple[tuple[str, int, int], ...]) -> list:
    """What a drawing measured with `faces` of `family` depends on of them: the family, and the names, sizes and
    modification times of their files."""
    return [family, [[file, Path(file).stat().st_size, Path(file).stat().st_mtime_ns] for file, _n, _w in faces]]


def _installed_family(family: str) -> list[tuple[str, int, int]]:
    """The regular and bold faces of `family` installed: per weight the newest revision (fonts-liberation and
    fonts-liberation2 can both be there), then the first file by name."""
    from fontTools.ttLib import TTFont

    faces = _faces_of(_text_font_files(family), (family,)).get(family, [])
    chosen: dict[int, tuple[str, int, int]] = {}
    for face in sorted(
        faces, key=lambda face: (-TTFont(face[0], lazy=True, fontNumber=face[1])["head"].fontRevision, face[0])
    ):
        chosen.setdefault(face[2], face)
    return [chosen[weight] for weight in sorted(chosen)]


def _text_font_files(family: str) -> list[Path]:
    """The font files that may hold `family`: in TEXT_FONT_ENV's folder when set, else those fontconfig lists for it
    (fc-list), else every one in TEXT_FONT_DIRS."""
    import shutil
    import subprocess

    if os.environ.get(TEXT_FONT_ENV):
        return sorted(Path(os.environ[TEXT_FONT_ENV]).rglob("*"))
    if shutil.which("fc-list"):
        listed = subprocess.run(
            ["fc-list", "--format", "%{file}\\n", family], capture_output=True, text=True, check=False, timeout=60
        )
        if listed.returncode == 0:
            return sorted({Path(line) for line in listed.stdout.splitlines() if line})
    folders = [Path(folder).expanduser() for folder in TEXT_FONT_DIRS]
    return sorted(path for folder in folders if folder.is_dir() for path in folder.rglob("*"))


def write_subset(face: tuple[str, int, int], text: str, alias: str, folder: Path) -> Path:
    """Writes the face cut down to the characters of `text` into `folder`, renamed to the family `alias` (its weight,
    metrics, outlines and layout features as they were); the file appears whole or not at all. HarfBuzz cuts (in
    hundredths of a second where fontTools takes a second per face); fontTools renames, rewriting only the name
    table."""
    _file, _number, weight = face
    font = _cut(face, text, hinted=True)
    style = "Bold" if weight >= 700 else "Regular"
    names = {1: alias, 2: style, 4: f"{alias} {style}", 6: f"{alias}-{style}"}
    table = font["name"]
    for record in list(table.names):
        if record.nameID in (16, 17, 21, 22):
            table.removeNames(nameID=record.nameID)
        elif record.nameID in names:
            record.string = names[record.nameID]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{alias}-{weight}.otf"
    partial = folder / f".{target.name}.{os.getpid()}"
    font.save(str(partial))
    os.replace(partial, target)
    return target


def _cut(face: tuple[str, int, int], characters: str, hinted: bool):
    """The face cut down to `characters` by HarfBuzz, opened in fontTools (nothing recalculated, no timestamp)."""
    import io

    import uharfbuzz
    from fontTools.ttLib import TTFont

    file, number, _weight = face
    wanted = uharfbuzz.SubsetInput()
    if not hinted:
        wanted.flags = uharfbuzz.SubsetFlags.NO_HINTING
    for character in characters:
        wanted.unicode_set.add(ord(character))
    cut = uharfbuzz.subset(uharfbuzz.Face(uharfbuzz.Blob.from_file_path(file), number), wanted)
    if cut is None:
        raise ValueError(f"HarfBuzz could not cut face {number} of {file}")
    return TTFont(io.BytesIO(cut.blob.data), recalcBBoxes=False, recalcTimestamp=False)


# A drawing's own faces: the SVG a page shows carries the faces its text was measured with, cut down to the
# characters it shows, so that no reader's fonts (wider or narrower) can push a label out of the drawing.

_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_ROOT = re.compile(r"<svg\b[^>]*>")
_BOLD = ('font-weight="bold"', 'font-weight="700"')


def drawn_characters(svg: str) -> str:
    """Every character the SVG's <text> elements show whose width depends on the face, sorted, once each. Wide and
    full-width characters (Han, Kana, Hangul, CJK punctuation) are left out: every CJK face draws them one em wide,
    so the reader's own CJK font shows them at the width they were measured, and the drawing carries only the
    proportional rest (Latin letters, digits, signs), a few kilobytes instead of tens."""
    import html
    import unicodedata

    shown = set("".join(html.unescape(_TAG.sub("", text)) for text in _TEXT.findall(svg))) - set("\n\r\t")
    return "".join(sorted(char for char in shown if unicodedata.east_asian_width(char) not in ("W", "F")))


def _woff(face: tuple[str, int, int], characters: str) -> bytes:
    """The face cut to `characters` (HarfBuzz), as WOFF (fontTools, zlib): no timestamp, the same bytes every time.
    Without hinting (TrueType instructions, CFF hints): vl-convert measures the outlines unhinted and a browser lays
    text out at the same unhinted advances; the instructions were over half of a cut Liberation Sans."""
    import io

    font = _cut(face, characters, hinted=False)
    font.flavor = "woff"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def with_own_faces(svg: str, faces: tuple[tuple[str, int, int], ...], stack: str) -> str:
    """The SVG with `faces` (file, face number, weight: what its text in font stack `stack` was measured with) inside
    it as data-URI @font-face rules, cut to the characters it shows (`drawn_characters`), and named first wherever
    it names `stack`, so the reader's fonts draw nothing whose width they could change. The family is named by the
    embedded bytes, so two drawings on one page never share a name for different cuts. An SVG that does not name
    `stack`, or shows no such character, is returned as it is."""
    import base64
    import hashlib
    import html

    named = f'font-family="{html.escape(stack)}"'
    characters = drawn_characters(svg) if named in svg and faces else ""
    if not characters:
        return svg
    bold = any(weight in svg for weight in _BOLD)
    cuts = [(weight, _woff(face, characters)) for face in faces for weight in [face[2]] if weight < 700 or bold]
    family = "sp" + hashlib.sha256(b"".join(data for _weight, data in cuts)).hexdigest()[:12]
    rules = "".join(
        f'@font-face{{font-family:"{family}";font-weight:{weight};'
        f'src:url(data:font/woff;base64,{base64.b64encode(data).decode("ascii")}) format("woff")}}'
        for weight, data in cuts
    )
    root = _ROOT.search(svg)
    if root is None:
        return svg
    svg = svg.replace(named, f'font-family="{family}, {html.escape(stack)}"')
    return f"{svg[: root.end()]}<defs><style>{rules}</style></defs>{svg[root.end() :]}"

"""Stage "chart", its drawing half: Vega-Lite specifications into SVG and PNG with vl-convert, offline.

Takes: the specifications the chart kinds made, one by one, and for a drawing made around another (a download
around the wide drawing) the function that sets it there. Gives: per specification its SVG and, for a download, its
PNG, in order; drawn in worker processes when there are many, taken from the cache when drawn before, drawn with the
CJK faces cut down to the publication's characters when that covers the text (a third of the time, the same bytes).
Kept apart from the rest of charts/, which it never imports (fonts.py aside): the workers come from a fork server
that imports this module, stage.py (with every kind) and Altair once (a chart not yet specified is specified in a
worker, by specify.specification_text, which it is given).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import math
import multiprocessing
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vl_convert

from surveypress import cache, languages
from surveypress.charts import fonts
from surveypress.charts.fonts import FontMissingError, find_cjk_font_dir, font_files

# Each language names the fonts its CJK text is drawn with (languages.CJK_FONTS): the systems' own faces first, then
# the Noto CJK face made for it, which vl-convert draws the PNGs with. This is the default one (Simplified Chinese).
FONT_STACK = languages.DEFAULT_CJK_FONTS
# A chart with no Han, Kana or Hangul in its text needs no CJK font, neither to draw its PNG nor in its SVG.
LATIN_FONT_STACK = languages.TEXT_FONTS
CJK_TEXT = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# PNG downloads are at least this wide, for print.
PNG_MIN_WIDTH = 1200
# Below this many charts per worker, starting worker processes costs more than it saves: starting them takes about
# 1.5 s of CPU (the fork server imports Altair, each worker starts vl-convert's engine), and a chart about 0.2 s of a
# worker with Chinese text (specifying, three drawings and a PNG), 0.15 s without.
PARALLEL_MIN_CHARTS = 8

# A <text> of this class is the same in many drawings (a chart's source line): its PNG pixels are drawn once per
# process and placed as an image (`_png`). resvg opens the font file again for every glyph it draws, and a source line
# holds most of the glyphs of a chart's download.
REPEATED_TEXT = "sp-repeated"

# A drawing made around another: (compose, the specification Vega-Lite draws); its SVG is compose(that drawing's SVG,
# the drawing's own specification). compose must be a module-level function (workers are sent it by name).
Inner = tuple[Callable[[str, dict], str], dict]


def _canonical(vega_lite: dict) -> str:
    return json.dumps(vega_lite, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def needs_cjk_font(vega_lite: dict) -> bool:
    """Whether any text the chart draws (title, labels, values, legend) holds a Han, Kana or Hangul character."""
    return bool(CJK_TEXT.search(json.dumps(vega_lite, ensure_ascii=False)))


# Fonts.


_registered: set[str] = set()


def _register(folder: str | Path) -> None:
    if str(folder) not in _registered:
        vl_convert.register_font_directory(str(folder))
        _registered.add(str(folder))


def register_cjk_fonts() -> Path:
    """Registers the CJK font folder with vl-convert once per process (it also measures text with these fonts)."""
    folder = find_cjk_font_dir()
    _register(folder)
    return folder


@dataclass(frozen=True)
class Typeface:
    """The faces of a CJK font stack (`stack`, as a drawing's specification names it) cut down to `characters`
    (fonts.write_subset), named `alias`, in `folder` (the build cache: made once per font and character set). A
    drawing in that stack whose text lies within `characters` is drawn with it, then given back the font stack's
    name: the same bytes, drawn in a third of the time."""

    alias: str
    folder: str
    characters: frozenset[str]
    faces: tuple[tuple[str, int, int], ...]
    stack: str = FONT_STACK
    family: str = ""  # the installed family the faces are of (Noto Sans CJK SC)

    def files(self) -> list[Path]:
        return [Path(self.folder) / f"{self.alias}-{weight}.otf" for _file, _number, weight in self.faces]

    def ready(self) -> bool:
        return all(path.is_file() for path in self.files())

    def covers(self, vega_lite: dict) -> bool:
        return set(json.dumps(vega_lite, ensure_ascii=False)) <= self.characters

    def draws(self, vega_lite: dict) -> bool:
        """Whether the specification names this typeface's font stack (for all text, or for axis labels)."""
        config = vega_lite.get("config", {})
        return any(
            settings.get(key) == self.stack for settings in (config, config.get("axis", {})) for key in FONT_KEYS
        )


# Where a kind's drawing names its font stack: the configured font of all text, and of axis labels.
FONT_KEYS = ("font", "labelFont")
# The typefaces a drawer holds: one per CJK font stack its drawings name (one per language written in CJK).
Typefaces = tuple[Typeface, ...]


def as_typefaces(typeface: Typeface | Typefaces | None) -> Typefaces:
    if typeface is None:
        return ()
    return (typeface,) if isinstance(typeface, Typeface) else tuple(typeface)


def _subset(job: tuple[Typeface, tuple[str, int, int]]) -> None:
    typeface, face = job
    fonts.write_subset(face, "".join(sorted(typeface.characters)), typeface.alias, Path(typeface.folder))


def _font_fingerprint() -> list[list]:
    """Names, sizes and modification times of the CJK font files the images are drawn with."""
    return font_files(register_cjk_fonts())


class Drawer:
    """Draws Vega-Lite specifications into SVG (and PNG), in order; one already drawn with the same code, vl-convert
    and fonts comes from `store` (cache.py), when given.

    vl-convert holds the interpreter while it draws, so with many charts (`charts` // PARALLEL_MIN_CHARTS >= 2) the
    drawings go to worker processes, one per core, started when the first drawing is missing; a chart not yet
    specified is specified there too (`add_specified`: Altair takes as long as drawing), so the caller only prepares
    rows. Drawings with CJK text use `typeface` once it is cut: the workers cut it first (once per character set:
    the cut faces stay in the cache folder), and a drawing made before that, or without workers before any build
    cut it, uses the full fonts. The bytes are the same every way. Use as a context manager."""

    def __init__(
        self, charts: int, store: cache.Cache | None = None, typeface: Typeface | Typefaces | None = None
    ) -> None:
        self.store = store
        self.typefaces = as_typefaces(typeface)
        # Counted in charts (one PNG each): a chart's screen drawings (SVG only) cost little beside its PNG.
        self.workers = min(os.cpu_count() or 1, charts // PARALLEL_MIN_CHARTS)
        self.pool: ProcessPoolExecutor | None = None
        # Per item: ("drawing", cache key, (SVG, PNG) or a future, drawn now), or ("chart", PNG wishes, (JSON text,
        # numbers of its drawing items) or a future of (JSON text, [(SVG, PNG)]), True).
        self._items: list[tuple[str, Any, Any, bool]] = []
        self._drawing: dict[bool, list] = {}
        self._starter: threading.Thread | None = None
        self._done: dict[int, Any] = {}

    def __enter__(self) -> Drawer:
        return self

    def __exit__(self, *_exception: object) -> None:
        if self._starter is not None:
            self._starter.join()
            self._starter = None
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def _workers(self) -> ProcessPoolExecutor:
        if self._starter is not None and threading.current_thread() is not self._starter:
            self._starter.join()
            self._starter = None
        if self.pool is None:
            # Workers come from a fork server, not a fork of this process: forking a process that runs threads
            # (a test runner, a browser driver) can copy a held lock into the child and hang it. The server
            # imports what specifying needs once, for every worker.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__, "surveypress.charts.stage", "altair"])
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_start_worker)
            for typeface in self.typefaces:
                if not typeface.ready() and any(CJK_TEXT.match(c) for c in typeface.characters):
                    # Cut first: drawings made before the cut faces are ready use the full fonts.
                    for face in typeface.faces:
                        self.pool.submit(_subset, (typeface, face))
        return self.pool

    def start(self) -> None:
        """Starts the workers now, when there will be some (the fork server imports Altair, each worker loads
        vl-convert, the CJK faces are cut): a build starts them before tabulating, so they are ready for the first
        chart."""
        if self.workers >= 2 and self.pool is None and self._starter is None:
            # On a thread: starting a worker waits for the fork server to import what it preloads (a second and a
            # half), which the caller spends tabulating instead.
            self._starter = threading.Thread(target=self._start, name="drawing workers", daemon=True)
            self._starter.start()

    def _start(self) -> None:
        pool = self._workers()
        for _worker in range(self.workers):
            pool.submit(_ready)  # starts a worker, when cutting has not

    def _identity(self, spec: dict, with_png: bool, inner: Inner | None = None) -> tuple[bool, str | None]:
        """Whether the drawing has CJK text, and its cache key (None without a cache): each specification is written
        out once, as canonical JSON, for both (the build process does this for every drawing a worker sends back)."""
        texts = [_canonical(spec)] if inner is None else [_canonical(spec), _canonical(inner[1])]
        cjk = any(CJK_TEXT.search(text) for text in texts)
        if self.store is None:
            return cjk, None
        if cjk not in self._drawing:
            # This module's code (it draws), vl-convert's version (its Vega and bundled fonts), the PNG size and,
            # for a drawing with Chinese, Japanese or Korean text, the CJK fonts.
            self._drawing[cjk] = [code_fingerprint(), vl_convert.__version__, PNG_MIN_WIDTH]
            self._drawing[cjk].append(_font_fingerprint() if cjk else text_font_fingerprint())
        compose = None if inner is None else f"{inner[0].__module__}.{inner[0].__qualname__}"
        return cjk, cache.digest(*self._drawing[cjk], texts, with_png, compose)

    def add(self, spec: dict, with_png: bool = True, inner: Inner | None = None) -> int:
        """Adds a drawing (made around `inner`'s, when given); returns its number in `results()`."""
        cjk, key = self._identity(spec, with_png, inner)
        if cjk:
            register_cjk_fonts()
        entry = self.store.get(key, ("svg", "png")) if self.store is not None and key is not None else None
        job = (spec, with_png, self.typefaces, inner)
        if entry is not None:
            self._items.append(("drawing", key, (entry["svg"].decode("utf-8"), entry["png"] or None), False))
        elif self.workers < 2:
            self._items.append(("drawing", key, _draw(job), True))
        else:
            self._items.append(("drawing", key, self._workers().submit(_draw, job), True))
        return len(self._items) - 1

    def add_specified(
        self,
        specify: Callable[..., str],
        arguments: tuple,
        pngs: tuple[bool, ...],
        around: tuple[tuple[Callable[[str, dict], str], int] | None, ...] | None = None,
    ) -> int:
        """Adds a chart to specify, `specify(*arguments)` giving the JSON text of its specifications, and to draw, a
        PNG for those `pngs` asks; returns its number in `results()`. `around`, per specification, None or (compose,
        the position of the specification whose drawing it is made around). `specify` and compose must be
        module-level functions."""
        plan = around if around is not None else (None,) * len(pngs)
        if self.workers < 2:
            text = specify(*arguments)
            specs = json.loads(text)
            numbers = [
                self.add(spec, png, _inner(item, specs)) for spec, png, item in zip(specs, pngs, plan, strict=True)
            ]
            self._items.append(("chart", (pngs, plan), (text, numbers), True))
        else:
            job = (specify, arguments, pngs, plan, self.typefaces)
            self._items.append(("chart", (pngs, plan), self._workers().submit(_specify_and_draw, job), True))
        return len(self._items) - 1

    def results(self) -> list[Any]:
        """Every item's `result`, in the order added."""
        return [self.result(number) for number in range(len(self._items))]

    def result(self, number: int) -> Any:
        """Item `number` once done: for a drawing, (SVG, PNG or None, drawn now); for a chart, (the JSON text of its
        specifications, [(SVG, PNG or None, drawn now) per specification])."""
        if number in self._done:
            return self._done[number]
        kind, detail, found, drawn = self._items[number]
        value = found.result() if isinstance(found, Future) else found
        if kind == "drawing":
            if drawn:
                self._keep(detail, value)
            done = (*value, drawn)
        elif isinstance(found, Future):  # specified and drawn by a worker: each drawing is kept on its own
            text, images = value
            specs = json.loads(text)
            pngs, plan = detail
            for spec, png, item, image in zip(specs, pngs, plan, images, strict=True):
                cjk, key = self._identity(spec, png, _inner(item, specs))
                if cjk:
                    find_cjk_font_dir()  # as `add` does: without a CJK font, FontMissingError and its advice
                self._keep(key, image)
            done = (text, [(*image, True) for image in images])
        else:
            text, numbers = value
            done = (text, [self.result(item) for item in numbers])
        self._done[number] = done
        return done

    def _keep(self, key: str | None, image: tuple[str, bytes | None]) -> None:
        if self.store is not None and key is not None:
            svg, png = image
            self.store.put(key, {"svg": svg.encode("utf-8"), "png": png or b""})


_code: list[str] = []


def code_fingerprint() -> str:
    """SHA-256 of the modules that turn rows into a chart and draw it: a change to that code never reuses an entry
    (languages.py among them: it names the font stacks a drawing is measured with)."""
    if not _code:
        package = Path(__file__).parent
        modules = [*sorted(package.rglob("*.py")), package.parent / "values.py", package.parent / "languages.py"]
        _code.append(hashlib.sha256(b"".join(path.read_bytes() for path in modules)).hexdigest())
    return _code[0]


_SVG_WIDTH = re.compile(r'<svg[^>]*\swidth="([\d.]+)"')


def _inner(item: tuple[Callable[[str, dict], str], int] | None, specs: list[dict]) -> Inner | None:
    return None if item is None else (item[0], specs[item[1]])


def _draw(
    job: tuple[dict, bool, Typeface | Typefaces | None, Inner | None], drawn: dict[str, str] | None = None
) -> tuple[str, bytes | None]:
    """One drawing's SVG and PNG, with the cut typeface of the font stack it names when one covers it. `drawn` keeps
    the SVGs Vega made for one chart's drawings, by specification, so that a drawing made around another reuses
    it."""
    vega_lite, with_png, typefaces, inner = job
    specs = [vega_lite] if inner is None else [vega_lite, inner[1]]
    typeface = next((one for one in as_typefaces(typefaces) if one.draws(vega_lite)), None)
    cjk = any(needs_cjk_font(spec) for spec in specs)
    svg, png = _drawn(job, {} if drawn is None else drawn, typeface if cjk else None)
    if cjk:
        # The SVG carries the faces its CJK font stack was measured with (cut from the installed faces, whichever
        # way it was drawn, so the bytes are the same), so that a reader's own fonts cannot push its text out.
        for stack in languages.CJK_FONTS.values():
            if f'font-family="{html.escape(stack)}"' in svg:
                svg = fonts.with_own_faces(svg, _installed_faces(stack), stack)
    # So does a drawing in the Latin stack, with the Liberation Sans faces vl-convert measured it with, when the
    # build has a file of them (without one, none: the reader's fonts draw it).
    return fonts.with_own_faces(svg, tuple(text_family()[1]), LATIN_FONT_STACK), png


def text_family() -> tuple[str, tuple[tuple[str, int, int], ...]]:
    """The family vl-convert measures the Latin stack with, and the installed faces of it a drawing carries
    (fonts.text_family), found once per process and setting of fonts.TEXT_FONT_ENV."""
    return _text_family_in(os.environ.get(fonts.TEXT_FONT_ENV, ""))


@functools.cache
def _text_family_in(_setting: str) -> tuple[str, tuple[tuple[str, int, int], ...]]:
    family, faces = fonts.text_family(languages.families(LATIN_FONT_STACK))
    return family, tuple(faces)


def text_font_fingerprint() -> list:
    """What a drawing in the Latin stack depends on of the fonts: the family and its files (names, sizes and
    modification times)."""
    return fonts.face_files(*text_family())


def _installed_faces(stack: str) -> tuple[tuple[str, int, int], ...]:
    """The installed faces vl-convert measures a CJK font stack with (see Typeface); none without a CJK font."""
    try:
        return _faces_in(str(find_cjk_font_dir()), stack)
    except FontMissingError:
        return ()


@functools.cache
def _faces_in(folder: str, stack: str) -> tuple[tuple[str, int, int], ...]:
    return tuple(fonts.drawing_faces(Path(folder), languages.families(stack)))


def _drawn(
    job: tuple[dict, bool, Typeface | Typefaces | None, Inner | None], drawn: dict[str, str], typeface: Typeface | None
) -> tuple[str, bytes | None]:
    vega_lite, with_png, _typefaces, inner = job
    specs = [vega_lite] if inner is None else [vega_lite, inner[1]]
    if typeface is not None and all(typeface.covers(spec) for spec in specs) and typeface.ready():
        _register(typeface.folder)
        in_font = None if inner is None else (inner[0], _in_font(inner[1], typeface.alias, typeface.stack))
        svg, png = _svg_and_png(_in_font(vega_lite, typeface.alias, typeface.stack), with_png, in_font, drawn)
        # The SVG names the font stack again. Should any text of the chart hold the alias itself, the drawing is made
        # again with the full fonts instead.
        svg = svg.replace(f'font-family="{typeface.alias}"', f'font-family="{html.escape(typeface.stack)}"')
        if typeface.alias not in svg:
            return svg, png
    return _svg_and_png(vega_lite, with_png, inner, drawn)


def _in_font(vega_lite: dict, font: str, stack: str = FONT_STACK) -> dict:
    """The specification with `font` where a kind's drawing names the CJK font `stack` (the configured font of all
    text, and of axis labels)."""
    drawn = json.loads(json.dumps(vega_lite))
    config = drawn.get("config", {})
    for settings in (config, config.get("axis", {})):
        for key in FONT_KEYS:
            if settings.get(key) == stack:
                settings[key] = font
    return drawn


def _vega_svg(vega_lite: dict, drawn: dict[str, str]) -> str:
    key = json.dumps(vega_lite, ensure_ascii=False, sort_keys=True)
    if key not in drawn:
        drawn[key] = titled(vl_convert.vegalite_to_svg(vega_lite))
    return drawn[key]


_BAR = re.compile(r'<path\b([^>]*?\saria-roledescription="bar"[^>]*?)/>')
_ARIA_LABEL = re.compile(r'\saria-label="([^"]*)"')


def titled(svg: str) -> str:
    """The SVG with each bar's text (its aria-label, which Vega writes from the chart's `description` channel) also
    as the bar's <title>, which browsers show while a pointer rests on it, without JavaScript. The text is read back
    from the attribute and escaped again as character data."""

    def with_title(match: re.Match) -> str:
        label = _ARIA_LABEL.search(match.group(1))
        if label is None:
            return match.group(0)
        text = html.escape(html.unescape(label.group(1)), quote=False)
        return f"<path{match.group(1)}><title>{text}</title></path>"

    return _BAR.sub(with_title, svg)


def _svg_and_png(
    vega_lite: dict, with_png: bool, inner: Inner | None = None, drawn: dict[str, str] | None = None
) -> tuple[str, bytes | None]:
    drawn = {} if drawn is None else drawn
    svg = _vega_svg(vega_lite, drawn) if inner is None else inner[0](_vega_svg(inner[1], drawn), vega_lite)
    if not with_png:
        return svg, None
    # The PNG from the SVG already drawn (same pixels as vegalite_to_png, without running Vega again), scaled to be at
    # least PNG_MIN_WIDTH wide for print.
    match = _SVG_WIDTH.search(svg[:500])
    width = float(match.group(1)) if match else PNG_MIN_WIDTH / 2
    return svg, _png(svg, width, max(2, math.ceil(PNG_MIN_WIDTH / width)))


_REPEATED = re.compile(
    rf'<text class="{REPEATED_TEXT}" transform="translate\(([-\d.]+),([-\d.]+)\)"([^>]*)>(.*?)</text>'
)
_FONT_SIZE = re.compile(r' font-size="([\d.]+)px"')
_LINE_STEP = re.compile(r'<tspan x="0" dy="([\d.]+)">')
_repeated: dict[tuple, str] = {}


def _png(svg: str, width: float, scale: int) -> bytes:
    """The PNG of `svg` at `scale`, each REPEATED_TEXT block drawn the first time it is met (in a strip as wide as
    the drawing, transparent but for the text) and then placed as that image, at whole pixels of the PNG, where the
    text would be drawn: the same glyph pixels, blended once instead of drawn again."""

    def placed(match: re.Match) -> str:
        x, y, attributes, body = float(match.group(1)), float(match.group(2)), match.group(3), match.group(4)
        size_given = _FONT_SIZE.search(attributes)
        if size_given is None:
            return match.group(0)
        size = float(size_given.group(1))
        # The strip starts at a whole pixel row (of the drawing and of the PNG) above the first line's ascenders
        # and ends below the last line's descenders (the lines are `dy` apart).
        top = math.floor(y - 1.25 * size)
        below = sum(float(step) for step in _LINE_STEP.findall(body)) + 0.5 * size
        height = math.ceil(y - top + below)
        key = (x, y - top, attributes, body, width, height, scale)
        if key not in _repeated:
            strip = (
                f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}">'
                f'<text transform="translate({x:g},{y - top:g})"{attributes}>{body}</text></svg>'
            )
            _repeated[key] = base64.b64encode(vl_convert.svg_to_png(strip, scale=scale)).decode("ascii")
        return (
            f'<image x="0" y="{top:g}" width="{width:g}" height="{height:g}" image-rendering="optimizeSpeed" '
            f'href="data:image/png;base64,{_repeated[key]}"/>'
        )

    return vl_convert.svg_to_png(_REPEATED.sub(placed, svg), scale=scale)


def _specify_and_draw(
    job: tuple[Callable[..., str], tuple, tuple[bool, ...], tuple, Typefaces],
) -> tuple[str, list[tuple[str, bytes | None]]]:
    specify, arguments, pngs, plan, typeface = job
    text = specify(*arguments)
    specs = json.loads(text)
    drawn: dict[str, str] = {}
    return text, [
        _draw((spec, png, typeface, _inner(item, specs)), drawn)
        for spec, png, item in zip(specs, pngs, plan, strict=True)
    ]


def _start_worker() -> None:
    try:
        register_cjk_fonts()
    except FontMissingError:  # the parent found one when a chart needed it; without one no chart does
        pass
    # vl-convert starts its JavaScript engine at the first drawing (half a second): before any chart is waiting.
    vl_convert.vegalite_to_svg({"mark": "point"})


def _ready() -> None:
    """A job that only makes the pool start a worker."""


def draw_images(specs: list[dict], png: list[bool] | None = None) -> list[tuple[str, bytes | None]]:
    """SVG, and PNG where `png` asks for it (default: for every one), for each specification, in order."""
    wanted = png if png is not None else [True] * len(specs)
    with Drawer(sum(wanted)) as drawer:
        for spec, with_png in zip(specs, wanted, strict=True):
            drawer.add(spec, with_png)
        return [(svg, png) for svg, png, _drawn in drawer.results()]

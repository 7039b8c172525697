"""The drawings every chart has (narrow for phones, wide from `WIDE_MEDIA` on, the framed download), their sizes,
and the type sizes and colours every kind of chart draws with."""

from __future__ import annotations

from dataclasses import dataclass

# Okabe-Ito colours: distinguishable with every common colour-vision deficiency, each >= 3:1 against white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
INK = "#1a1a1a"
MUTED = "#4d4d4d"
GRID = "#d9d9d9"


@dataclass(frozen=True)
class Layout:
    """One drawing of a chart, in CSS pixels. Pages show a chart at the width it was drawn (text never scales past
    its drawn size, 14 px, below the 17 px body text): `narrow` on phones, `wide` from `WIDE_MEDIA` on. Downloads
    are the wide drawing with the title and the source line drawn in, so a reused image keeps its caveats."""

    name: str
    width: int  # the whole drawing, at most: the plot takes what labels and values leave
    label_width: float  # em: category labels wrap at about this many Chinese characters
    title_width: float  # em at the title size
    subtitle_width: float
    framed: bool  # title and source line drawn into the image (downloads)


# A 360 px phone leaves Material's column 328 px; from 45em (720 px) on, the column is at least 660 px (no sidebar
# below 60em, then one sidebar, then two from 76.25em, where the grid stops growing).
NARROW = Layout("narrow", 328, 7, 20, 23, framed=False)
WIDE = Layout("wide", 660, 12, 38, 46, framed=False)
DOWNLOAD = Layout("download", 660, 12, 38, 46, framed=True)
WIDE_MEDIA = "(min-width: 45em)"
MIN_PLOT_WIDTH = 100
FONT_SIZE = 14
TITLE_SIZE = 16
SOURCE_SIZE = 12
LINE_HEIGHT = 17
BAR_HEIGHT = 18

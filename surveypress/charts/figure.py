"""The accessible `<figure>` a page shows for a chart: caption, the drawing for the screen's width, source line,
long description, data table, downloads, permanent link and citation; every text escaped once."""

from __future__ import annotations

from surveypress import layout
from surveypress.charts.accessible import table_columns
from surveypress.charts.embed import embed_snippet, frame_height
from surveypress.charts.model import PARTLY_WEIGHTED, WEIGHTED, ChartOutput
from surveypress.charts.picture import chart_image, relative_root
from surveypress.i18n import N_, _
from surveypress.publish import metadata
from surveypress.text import html_text, url_text

# HTML for a page.

DOWNLOADS = (
    ("csv", N_("Data (CSV)")),
    ("svg", N_("Image (SVG)")),
    ("png", N_("Image (PNG)")),
    ("vl.json", N_("Vega-Lite specification (JSON)")),
)


def _marked_publisher(citation: str, citing: metadata.Citing, esc) -> str:
    """The escaped citation with the publisher's name marked with its language where it is not the edition's."""
    if not citing.publisher or not citing.publisher_language:
        return citation
    name = esc(citing.publisher)
    return citation.replace(name, f'<span lang="{url_text(citing.publisher_language)}">{name}</span>', 1)


def figure_html(
    chart: ChartOutput,
    page_path: str,
    assets: str = layout.CHARTS,
    eager: bool = False,
    citing: metadata.Citing | None = None,
    prefix: str = "",
) -> str:
    """A self-contained, escaped <figure>: the title as its caption with a link to the chart's anchor, the image
    drawn for the screen's width, the source line, a long description, the data table, the downloads and the
    chart's permanent link, citation and embed snippet (`citing`: metadata.citing; plain HTML, no script). `eager`
    for a page's first chart, its largest paint: it is fetched at once instead of lazily. `prefix` is the edition's
    folder under docs/ ('' or '<tag>/'), where its embed pages are.

    No blank line inside, so Markdown keeps it as one raw HTML block. The caption is the first child (HTML allows it
    only first or last).
    """
    # One escaping for all text from content and data (text.markdown_text): HTML, and Markdown if the block breaks.
    esc = html_text
    root = relative_root(page_path) + assets.strip("/") + "/"
    description_id = f"chart-{url_text(chart.id)}-description"
    files = {fmt: url_text(f"{root}{chart.id}.{fmt}") for fmt, _label in DOWNLOADS}
    caption = chart.title
    if chart.weighting == WEIGHTED:
        caption = _("{title} (weighted estimates)").format(title=chart.title)
    elif chart.weighting == PARTLY_WEIGHTED:
        caption = _("{title} (partly weighted estimates)").format(title=chart.title)
    note = f'<p class="sp-chart-note">{esc(chart.note)}</p>' if chart.note else ""
    source = f'<p class="sp-chart-source">{esc(chart.source)}</p>' if chart.source else ""
    address = metadata.chart_address(citing, str(page_path), url_text(chart.id))
    lines = [
        f'<figure class="sp-chart" id="chart-{url_text(chart.id)}">',
        f"<figcaption>{esc(caption)} {_anchor_link(chart)}</figcaption>",
        chart_image(chart, root, description_id, eager),
        source,
        f'<p class="sp-visually-hidden" id="{description_id}">{esc(chart.alt)}</p>',
        note,
        *_data_table(chart, caption),
        _downloads(chart, files),
        *_cite(chart, citing, address, _embed_address(citing, str(page_path), prefix, chart.id)),
        "</figure>",
    ]
    return "\n".join(line for line in lines if line)


def _data_table(chart: ChartOutput, caption: str) -> list[str]:
    """The data table, folded under a summary, in a region that scrolls sideways on a phone."""
    esc = html_text
    columns = chart.columns or table_columns()
    header = "".join(f'<th scope="col">{esc(name)}</th>' for name in columns)
    body_rows = []
    for row in chart.table:
        cells = [f'<th scope="row">{esc(row.get(columns[0], ""))}</th>']
        cells += [f"<td>{esc(row.get(name, ''))}</td>" for name in columns[1:]]
        body_rows.append(f"<tr>{''.join(cells)}</tr>")
    summary = _("Show the data table")
    table_name = _("Data table: {title}").format(title=chart.title)
    return [
        '<details class="sp-chart-data">',
        f"<summary>{esc(summary)}</summary>",
        f'<div class="sp-table-scroll" role="region" aria-label="{esc(table_name)}" tabindex="0">',
        # A class keeps Material from wrapping the table in a second scrolling box.
        f'<table class="sp-data"><caption>{esc(caption)}</caption>',
        f"<thead><tr>{header}</tr></thead>",
        f"<tbody>{''.join(body_rows)}</tbody>",
        "</table></div>",
        "</details>",
    ]


def _downloads(chart: ChartOutput, files: dict[str, str]) -> str:
    """The download links, each naming the chart for a screen reader."""
    esc = html_text
    hidden = _(": {title}").format(title=chart.title)
    # The translated sentence around the links; the links are HTML, so they go in after its text is escaped.
    download_before, _placeholder, download_after = _("Download: {links}").partition("{links}")
    links = " · ".join(
        f'<a href="{files[fmt]}" download>{esc(_(label))}<span class="sp-visually-hidden">{esc(hidden)}</span></a>'
        for fmt, label in DOWNLOADS
    )
    return (
        f'<p class="sp-chart-downloads">{_escaped_with_edges(download_before)}{links}'
        f"{_escaped_with_edges(download_after)}</p>"
    )


def _anchor_link(chart: ChartOutput) -> str:
    """The caption's link to the chart's own permanent anchor."""
    anchor = f"#chart-{url_text(chart.id)}"
    # Messages outside the f-strings: pybabel does not extract from inside them.
    anchor_name = _("Link to this chart: {title}").format(title=chart.title)
    return (
        f'<a class="sp-chart-anchor" href="{anchor}"><span aria-hidden="true">#</span>'
        f'<span class="sp-visually-hidden">{html_text(anchor_name)}</span></a>'
    )


def _embed_address(citing: metadata.Citing | None, page_path: str, prefix: str, chart_id: str) -> str:
    """The embed page's address: under the site's address when there is one, else relative to the page."""
    page = layout.embed_page(prefix, chart_id)
    if citing is not None and citing.site_url:
        return citing.site_url + page
    return relative_root(page_path) + page


def _cite(chart: ChartOutput, citing: metadata.Citing | None, address: str, embed: str) -> list[str]:
    """The chart's permanent link, citation and embed snippet, folded under a summary (none without `citing`)."""
    if citing is None:
        return []
    esc = html_text
    cite_summary = _("Link and cite")
    # The link goes into the translated sentence after its text is escaped, as the downloads' links do.
    link_before, _placeholder, link_after = _("Permanent link: {link}").partition("{link}")
    citation = _("Cite as: {citation}").format(citation=metadata.chart_citation(citing, chart.title, address))
    return [
        '<details class="sp-chart-cite">',
        f"<summary>{esc(cite_summary)}</summary>",
        f'<p>{_escaped_with_edges(link_before)}<a href="{url_text(address)}">{esc(address)}</a>'
        f"{_escaped_with_edges(link_after)}</p>",
        f"<p>{_marked_publisher(esc(citation), citing, esc)}</p>",
        *_embed(chart, embed),
        "</details>",
    ]


def _embed(chart: ChartOutput, address: str) -> list[str]:
    """The snippet that shows the chart on another site, as text to copy, with its height."""
    snippet = embed_snippet(address, chart.title, frame_height(chart))
    label = _("Embed this chart on another site (the code gives the frame's height):")
    return [
        f"<p>{html_text(label)}</p>",
        f'<pre class="sp-embed-code"><code>{html_text(snippet)}</code></pre>',
    ]


def _escaped_with_edges(text: str) -> str:
    """A piece of a translated sentence, escaped, keeping a space at either end where the catalogue puts one: the
    catalogue decides the punctuation (a space after an English colon, none after a full-width one)."""
    return (" " if text[:1].isspace() else "") + html_text(text) + (" " if text[-1:].isspace() else "")

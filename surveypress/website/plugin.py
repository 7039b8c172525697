"""A MkDocs plugin (`plugins: [surveypress]`) that brings the engine's theme to the site without copying files.

The theme overrides (`partials/`), the stylesheet and the script are package data under `surveypress/theme/`:
this plugin puts that folder first among the theme's folders, so MkDocs takes the overrides from it and copies its
static files (assets/stylesheets/site.css, assets/javascripts/site.js) into the site, and links both from every page.
The script's own text comes from the engine's catalogue: each page's <body> carries it in data attributes, in the
language of that page's edition.

Under `mkdocs serve` it also watches the content folder (publication.yml's folder: templates, YAML, published
figures) and the microdata files, and runs the build (build_tables.py's `build`) before each site build: the build
rewrites only the outputs whose bytes changed (charts from the cache, nothing at all when no input changed), so
`mkdocs serve --dirty` rebuilds only the pages whose Markdown changed. `mkdocs build` never runs it: the site is built
from the committed outputs.

The files the build generates under docs/ for readers to fetch (the charts and the downloads: most of a site's bytes,
three PNGs of a third of a megabyte a chart) reach the site as hard links rather than copies, where the file system
allows (else copied, as MkDocs does): copying them took a quarter of a 300-page site's `mkdocs build`. The build never
changes one of those files in place (it writes new ones and renames them over the old), so the site keeps the bytes
it was built with; a tool that edited the site's copy in place would change the file under docs/ as well, which the
next `build_tables.py --check` reports.

The publication's texts reach Material's templates through MkDocs' config and navigation (site name, description,
copyright line, menu titles). MkDocs renders the theme without autoescape and Material prints some of them as they
are, so the templates see each as `Markup` escaped once (`text.theme_text`): the config through `ThemeConfig` in
every template's context, the menu's titles from `on_nav`. The config itself and `mkdocs.generated.yml` keep them as
the person typed them (mkdocs-static-i18n only overrides a config value that is a plain `str`). Both run after
mkdocs-static-i18n (-100), which sets each edition's own.

jieba, which Material's search uses to segment Chinese, keeps its dictionary cache (read back with `marshal`) in the
system's temporary folder, which every local user can write to; this plugin points it at the project's cache folder.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import types
from pathlib import Path

from markupsafe import escape
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File
from mkdocs.structure.nav import Link, Section
from mkdocs.structure.pages import Page

from surveypress import cache, i18n, layout
from surveypress.languages import SOURCE_LANGUAGE
from surveypress.text import theme_text
from surveypress.website import config as site
from surveypress.website import hooks as site_hooks

THEME_DIR = Path(__file__).resolve().parent.parent / "theme"
STYLESHEET = "assets/stylesheets/site.css"
SCRIPT = "assets/javascripts/site.js"
log = logging.getLogger("mkdocs.plugins.surveypress")


class SurveypressPlugin(BasePlugin):
    serving = False

    def on_startup(self, *, command, dirty):
        self.serving = command == "serve"

    def content_dir(self, config) -> Path:
        """The content folder, found as site_hooks finds it (SURVEYPRESS_CONTENT, else publication/)."""
        return Path(config.config_file_path).parent / os.environ.get(site_hooks.CONTENT_ENV, "publication")

    def on_serve(self, server, config, builder):
        """Watches the content folder and the microdata files: a change runs the build again (`on_pre_build`)."""
        content = self.content_dir(config)
        if content.is_dir():
            server.watch(str(content))
        for path in self.microdata(content):
            server.watch(str(path), recursive=False)
        return server

    def microdata(self, content: Path) -> list[Path]:
        from surveypress.content import load_publication
        from surveypress.errors import InputError

        try:
            pub = load_publication(content)
        except (InputError, OSError):
            return []  # the build says what is wrong; the content folder is watched all the same
        return [population.microdata for population in pub.codebook.populations.values() if population.microdata]

    def on_pre_build(self, config):
        """Under `mkdocs serve`: the build, which writes only what changed; a bad input is logged, the site kept."""
        if not self.serving or not self.content_dir(config).is_dir():
            return
        from surveypress import build
        from surveypress.errors import InputError

        progress = io.StringIO()
        try:
            build.build(self.content_dir(config), out_dir=Path(config.config_file_path).parent, stream=progress)
        except InputError as error:
            log.error("surveypress: %s", error)
        else:
            log.info("surveypress: %s", progress.getvalue().strip().splitlines()[-1])

    def on_config(self, config):
        dirs = config.theme.dirs
        if str(THEME_DIR) not in dirs:
            # After the project's own custom_dir (if any), before Material's templates.
            custom = config.theme.custom_dir
            dirs.insert(1 if custom else 0, str(THEME_DIR))
        if STYLESHEET not in [str(path) for path in config.extra_css]:
            config.extra_css.append(STYLESHEET)
        if SCRIPT not in [str(path) for path in config.extra_javascript]:
            config.extra_javascript.append(SCRIPT)
        keep_jieba_cache_in(cache.cache_root(Path(config.config_file_path).parent) / "jieba")
        # The site's address and each page's description (website/hooks.py).
        return site_hooks.on_config(config)

    @event_priority(-110)
    def on_page_context(self, context, page, config, nav):
        context["config"] = ThemeConfig(config)
        # The page's Open Graph locale; the Dataset record on the front and downloads pages (website/hooks.py).
        return site_hooks.page_metadata(context, page, config)

    @event_priority(-110)
    def on_template_context(self, context, template_name, config):
        """The pages that are not from Markdown (404.html, sitemap.xml) see the same config."""
        context["config"] = ThemeConfig(config)
        return site_hooks.page_metadata(context, None, config)

    @event_priority(-110)
    def on_nav(self, nav, config, files):
        """Menu titles from the config are text (a page without one takes its first heading, already HTML)."""
        escape_titles(nav.items)
        return nav

    @event_priority(-110)
    def on_files(self, files, config):
        """The charts and downloads the build generated are linked into the site, not copied (see above); after
        mkdocs-static-i18n (-100) has made each edition's files."""
        docs = os.path.join(os.path.abspath(config.docs_dir), "")
        generated = tuple(os.path.join(docs, folder, "") for folder in (layout.CHARTS, layout.DOWNLOADS))
        for file in files:
            source = file.abs_src_path
            if source and not file.is_documentation_page() and os.path.abspath(source).startswith(generated):
                file.copy_file = types.MethodType(_link_file, file)
        return files

    def on_page_content(self, content, page, config, files):
        return site_hooks.on_page_content(content, page, config, files)

    def on_post_page(self, output, page, config):
        """Hands site.js its text in the page's language (theme.language, set per edition)."""
        output = site_hooks.on_post_page(output, page, config)
        language = str(config.theme.get("language") or SOURCE_LANGUAGE)
        if i18n.catalogue_folder(language) is None:
            return output
        with i18n.language(language):
            label = i18n._(TABLE_LABEL)
            texts = {key: i18n._(message) for key, message in SCRIPT_TEXT.items()}
        script_text = escape(json.dumps(texts, ensure_ascii=False))
        attributes = f'data-sp-table-label="{escape(label)}" data-sp-text="{script_text}"'
        return output.replace("<body", f"<body {attributes}", 1)

    def on_post_template(self, output_content, template_name, config):
        return site_hooks.on_post_template(output_content, template_name, config)

    @event_priority(-110)
    def on_post_build(self, config):
        """After mkdocs-static-i18n (-100) merged the editions' search entries: one index per edition."""
        site_hooks.on_post_build(config, site.search_settings)


# The config's texts that Material prints into pages; site_author, like the rest of mkdocs.yml, is the project's own.
SITE_TEXTS = ("site_name", "site_description", "copyright")


class ThemeConfig:
    """The config as the theme's templates read it: the SITE_TEXTS as `theme_text`, everything else as it is."""

    def __init__(self, config) -> None:
        self._config = config

    def _shown(self, key: str, value):
        return theme_text(value) if key in SITE_TEXTS and isinstance(value, str) else value

    def __getattr__(self, name: str):
        return self._shown(name, getattr(self._config, name))

    def __getitem__(self, key: str):
        return self._shown(key, self._config[key])

    def get(self, key: str, default=None):
        return self._shown(key, self._config.get(key, default))

    def __contains__(self, key: object) -> bool:
        return key in self._config

    def __iter__(self):
        return iter(self._config)


def escape_titles(items) -> None:
    """Each section's, link's and explicitly titled page's title as `theme_text`, through the whole menu."""
    for item in items:
        if isinstance(item, Section | Link) or (isinstance(item, Page) and "title" in vars(item)):
            item.title = theme_text(item.title)
        if isinstance(item, Section):
            escape_titles(item.children)


def keep_jieba_cache_in(folder: Path) -> None:
    """Points jieba's cache (its `tmp_dir`, else the shared temporary folder) at `folder`, before search runs."""
    jieba = sys.modules.get("jieba")  # Material's search plugin imports it, if installed, when the config loads
    if jieba is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # a project folder that cannot be written: jieba finds no cache there and fails to write one, no more
    jieba.dt.tmp_dir = str(folder)
    jieba.dt.cache_file = None


def _link_file(file: File, dirty: bool = False) -> None:
    """File.copy_file, as a hard link to the source where the file system allows one."""
    if dirty and not file.is_modified():
        return
    target = file.abs_dest_path
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.lexists(target):
            os.unlink(target)
        os.link(file.abs_src_path, target)  # type: ignore[arg-type]
    except OSError:  # another file system, or one without links
        File.copy_file(file, dirty)


# The name site.js gives a scrolling table that has no caption.
TABLE_LABEL = i18n.N_("Table, scrolls sideways")
# Every other text site.js shows (its TEXT object), by key, in the page's language.
SCRIPT_TEXT = {
    "tools": i18n.N_("Reading aids"),
    "reading": i18n.N_("Large text"),
    "readAloud": i18n.N_("Read this page aloud"),
    "stopReading": i18n.N_("Stop reading"),
    "readingHelp": i18n.N_(
        "Text is larger and lines are further apart; this site remembers the choice. Press Large text again to undo."
    ),
    "readAloudHelp": i18n.N_("Reading the page aloud with the browser's own voice. Press again to stop."),
    "tableRegion": TABLE_LABEL,
    "scrollHint": i18n.N_("This table is wide: swipe sideways to see all of it →"),
}

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
"""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path

from markupsafe import escape
from mkdocs.plugins import BasePlugin, event_priority

from surveypress import i18n, site, site_hooks

THEME_DIR = Path(__file__).resolve().parent / "theme"
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
        from surveypress import spec
        from surveypress.errors import InputError

        try:
            pub = spec.load_publication(content)
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
        # The site's address, each page's description, the front page without a sidebar (site_hooks.py).
        return site_hooks.on_config(config)

    def on_page_markdown(self, markdown, page, config, files):
        return site_hooks.on_page_markdown(markdown, page, config, files)

    def on_page_content(self, content, page, config, files):
        return site_hooks.on_page_content(content, page, config, files)

    def on_post_page(self, output, page, config):
        """Hands site.js its text in the page's language (theme.language, set per edition)."""
        output = site_hooks.on_post_page(output, page, config)
        language = str(config.theme.get("language") or "en")
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


# The name site.js gives a scrolling table that has no caption.
TABLE_LABEL = i18n.N_("Table, scrolls sideways")
# Every other text site.js shows (its TEXT object), by key, in the page's language.
SCRIPT_TEXT = {
    "tools": i18n.N_("Reading aids"),
    "reading": i18n.N_("Large text"),
    "readAloud": i18n.N_("Read aloud"),
    "stopReading": i18n.N_("Stop reading"),
    "readingHelp": i18n.N_(
        "Text is larger and lines are further apart; this site remembers the choice. Press Large text again to undo."
    ),
    "readAloudHelp": i18n.N_("Reading the page aloud with the browser's own voice. Press again to stop."),
    "tableRegion": TABLE_LABEL,
    "scrollHint": i18n.N_("This table is wide: swipe sideways to see all of it →"),
}

"""init: the project around the drafted codebook, so that a first `surveypress build` gives a complete, styled site.

Takes: the declared languages (primary first), the question-group pages (page name -> title by language, in order)
and the questions each page charts.
Gives: project-relative path -> text of
- the page templates of every edition: the primary language's flat in `templates/`, every other one's in
  `templates/<tag>/`: a front page, one page per question group, and methods, downloads, changelog and cite;
- the `navigation` of publication.yml (front page, the groups in order, then the data-and-methods pages);
- `mkdocs.yml`: the repository's own site settings (theme, footer without the generator line, Markdown extensions),
  inheriting `mkdocs.generated.yml`, where the build puts the site name, language, search and the surveypress plugin;
- `.gitignore`: the confidential input microdata, and everything a build regenerates.

Every human-language text comes from draft/text.yml (English for a language it has no text in); every number a page
shows comes from the template vocabulary, none is typed into a template.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from surveypress import cache, formats, layout
from surveypress.languages import SOURCE_LANGUAGE, primary_subtag
from surveypress.publish import outputs

TEXT = yaml.safe_load((Path(__file__).with_name("text.yml")).read_text(encoding="utf-8"))
# The pages every drafted publication has besides its front page and question groups (layout.RESERVED_PAGES keeps
# a group from taking their names), in the order of the menu's data-and-methods section.
DATA_PAGES = ("methods", "downloads", "changelog", "cite")

# The repository's own mkdocs.yml without its author (tests/test_init.py compares the two): what every publication
# shares. The rest follows from publication.yml and the templates and is generated into mkdocs.generated.yml.
MKDOCS = """\
# Drafted by `surveypress init`. The site settings every publication shares; everything that follows from the
# publication (site name, description, copyright, language, search, menu, the editions per language and the
# `surveypress` plugin, which brings the theme overrides, stylesheet and script) is in mkdocs.generated.yml, which
# `surveypress build` writes from publication/publication.yml and publication/templates before building the site.
INHERIT: mkdocs.generated.yml
strict: true
use_directory_urls: false
docs_dir: docs
site_dir: site

theme:
  name: material
  # No web fonts: the system font stack (with CJK fallbacks) is set in the engine's stylesheet.
  font: false
  # The palette (light and dark, following the reader's system, with a toggle named in each edition's language) is
  # in mkdocs.generated.yml.
  icon:
    logo: material/chart-bar
  features:
    - navigation.sections
    - navigation.prune
    - navigation.top
    - navigation.footer
    - toc.follow

extra:
  # The footer carries the licence (and a synthetic-data notice), not "Made with Material for MkDocs".
  generator: false

markdown_extensions:
  - abbr
  - admonition
  - attr_list
  - def_list
  - footnotes
  - md_in_html
  - tables
  - pymdownx.details
  - pymdownx.superfences
  - toc:
      slugify: !!python/object/apply:pymdownx.slugs.slugify
        kwds:
          case: lower
      permalink: "#"
      toc_depth: 3
"""


def say(key: str, language: str, **values: str) -> str:
    """init's text for a language (its primary subtag), English when that language has none."""
    texts = TEXT[key]
    return texts.get(primary_subtag(language), texts[SOURCE_LANGUAGE]).format(**values)


def page_text(key: str, language: str) -> str:
    """A whole page template from draft/text.yml (Jinja2, so not passed through `format`)."""
    texts = TEXT[key]
    return texts.get(primary_subtag(language), texts[SOURCE_LANGUAGE])


def jinja_text(text: str) -> str:
    """A Jinja2 expression printing `text` literally: a survey label never becomes template code."""
    return "{{ " + json.dumps(text, ensure_ascii=False) + " }}"


def templates_folder(content: str, language: str, languages: list[str]) -> str:
    """Where an edition's templates go: the primary's flat in templates/, the others' in templates/<tag>/."""
    return f"{content}/templates" if language == languages[0] else f"{content}/templates/{language}"


def page_templates(
    content: str, languages: list[str], groups: dict[str, dict[str, str]], charted: dict[str, list[str]]
) -> dict[str, str]:
    """Every page template of every edition: `groups` maps each group page to its title by language, `charted`
    each page to the ids of the questions it charts."""
    files: dict[str, str] = {}
    for language in languages:
        folder = templates_folder(content, language, languages)
        files[f"{folder}/index.md.j2"] = front_page(language, groups)
        for page, title in groups.items():
            files[f"{folder}/{page}.md.j2"] = group_page(language, title[language], charted.get(page, []))
        for page in DATA_PAGES:
            files[f"{folder}/{page}.md.j2"] = page_text(f"page_{page}", language)
    return files


def banner(language: str) -> str:
    return f'!!! warning "{say("draft_title", language)}"\n\n    {say("draft_banner", language)}\n'


def front_page(language: str, groups: dict[str, dict[str, str]]) -> str:
    """The front page: title, draft banner, a TODO for the description, the question pages, the data pages."""
    lines = [
        "{# Drafted by surveypress init: replace the TODO line with what only you can say. #}",
        "# {{ meta.title | t }}",
        "",
        banner(language),
        say("index_todo", language),
        "",
        f"## {say('questions', language)}",
        "",
    ]
    lines += [f"- [{jinja_text(title[language])}]({page}.md)" for page, title in groups.items()]
    lines += [
        "",
        f"## {say('downloads', language)}",
        "",
        f'- <a href="{{{{ data_root }}}}{{{{ archive }}}}" download>{say("all_data", language)}</a>',
        f"- [{say('all_downloads', language)}](downloads.md)",
        f"- [{say('methods_link', language)}](methods.md)",
        f"- [{say('title_changelog', language)}](changelog.md)",
        f"- [{say('title_cite', language)}](cite.md)",
        "",
    ]
    return "\n".join(lines)


def group_page(language: str, title: str, questions: list[str]) -> str:
    """A question group's page: its title, the draft banner, each charted question's text and chart."""
    lines = [f"# {jinja_text(title)}", "", banner(language)]
    for question in questions:
        lines += [f'## {{{{ question("{question}").text | t }}}}', "", f'{{{{ chart("{question}") }}}}', ""]
    return "\n".join(lines)


def navigation(languages: list[str], groups: dict[str, dict[str, str]], flow: Any) -> str:
    """publication.yml's `navigation`: the front page, each group page in order, then the data-and-methods pages,
    each titled in every language (a page's first heading follows the comment naming its template, so MkDocs
    would title it from its file name). `flow` writes one YAML value on one line."""

    def titled(page: str, title: dict[str, str]) -> str:
        return f"{{page: {flow(page)}, title: {flow(title)}}}"

    home = {language: say("home", language) for language in languages}
    section = {language: say("data_and_methods", language) for language in languages}
    lines = ["navigation:  # the site menu: pages are template paths under templates/ without .md.j2\n"]
    lines.append(f"  - {titled('index', home)}\n")
    lines += [f"  - {titled(page, title)}\n" for page, title in groups.items()]
    lines.append(f"  - section: {flow(section)}\n    pages:\n")
    lines += [
        f"      - {titled(page, {language: say(f'title_{page}', language) for language in languages})}\n"
        for page in DATA_PAGES
    ]
    return "".join(lines)


def gitignore(content: str, source: str | None = None) -> str:
    """The input microdata (confidential unless publication.yml declares it releasable), the survey file init read
    (`source`, project-relative, when it is a data file inside the project: a CSV there is as confidential as a .sav),
    and every folder a build regenerates or keeps for itself."""
    return "".join(
        [
            "# Drafted by `surveypress init`.\n",
            "# The input microdata is confidential: it stays out of the repository. Remove these lines only when\n",
            f"# {content}/publication.yml declares `synthetic: true`, or `release: full` with a `legal_basis`\n",
            "# (`surveypress build` warns while confidential microdata is tracked by git).\n",
            f"{layout.MICRODATA_DIR}/\n",
            *(f"*{extension}\n" for extension in formats.extensions(lambda item: item.confidential)),
            *([f"/{_gitignore_pattern(source)}\n"] if source else []),
            "# Built by `surveypress build` each time: the site, charts, downloads, caches and staging folders.\n",
            "site/\n",
            f"{layout.CHARTS_DIR}/\n",
            f"{layout.DOWNLOADS_DIR}/\n",
            f"{cache.DEFAULT_DIR.parts[0]}/\n",
            f"{outputs.STAGING_PREFIX}*/\n",
            f"{outputs.JOURNAL}\n",
            f"{outputs.JOURNAL}.tmp\n",
        ]
    )


def _gitignore_pattern(path: str) -> str:
    """A path as a .gitignore line matches it literally: its wildcard and comment characters escaped."""
    return re.sub(r"([*?\[\]\\!#])", r"\\\1", path)

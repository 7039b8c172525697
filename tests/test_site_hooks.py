"""The MkDocs hooks: where the site is published, each page's description from its own text, the sitemap, and one
search index per edition."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from surveypress.address import site_address
from surveypress.website.config import search_settings
from surveypress.website.hooks import (
    EMPTY_SITEMAP,
    description_from,
    edition_base,
    on_config,
    on_post_template,
    site_url_for,
    split_search_index,
)


def test_site_url_comes_from_publication_yml_first():
    assert site_url_for({"site_url": "https://data.example.org/jj"}, {"GITHUB_REPOSITORY": "a/b"}) == (
        "https://data.example.org/jj/"
    )


@pytest.mark.parametrize(
    ("given", "published"),
    [
        ("https://data.example.org/jj", "https://data.example.org/jj/"),
        ("HTTP://Data.Example.org", "http://data.example.org/"),
        ("https://data.example.org:8443/a/b/", "https://data.example.org:8443/a/b/"),
        ("https://example.org/a&b(1)/", "https://example.org/a%26b(1)/"),
        ("https://\u4f8b\u5b50.\u4e2d\u56fd/\u8c03\u67e5/", "https://xn--fsqu00a.xn--fiqs8s/%E8%B0%83%E6%9F%A5/"),
        ("https://[::1]:8000/x", "https://[::1]:8000/x/"),
    ],
)
def test_a_site_address_is_re_serialised_with_one_slash_at_the_end_and_url_characters_only(given, published):
    assert site_address(given) == published
    assert site_address(published) == published


@pytest.mark.parametrize(
    "url",
    [
        'https://example.org/"><script>alert(1)</script>',
        "https://example.org/<svg>",
        "https://example.org/x'",
        "https://example.org/x\n",
        "https://example.org/x\r",
        "https://example.org/a b",
        "https://example.org\\x",
        "https://example.org/\x7f",
        "https://example.org/\u200b",
        "javascript:alert(1)",
        "//example.org/",
        "https://u@example.org/",
        "https://example.org/?q=1",
        "https://example.org/#x",
        "https://example.org:0x50/",
        "",
        None,
        3,
    ],
)
def test_a_site_address_with_a_quote_bracket_space_backslash_control_character_or_other_scheme_is_refused(url):
    with pytest.raises(ValueError):
        site_address(url)


def test_a_github_repository_that_makes_no_clean_address_gives_no_site_url():
    assert site_url_for({}, {"GITHUB_REPOSITORY": 'owner/x"><script>'}) is None


def test_site_url_defaults_to_the_github_pages_address_of_the_repository_on_actions():
    assert site_url_for({}, {"GITHUB_REPOSITORY": "Stats-Office/surveypress"}) == (
        "https://stats-office.github.io/surveypress/"
    )
    assert site_url_for({}, {"GITHUB_REPOSITORY": "owner/owner.github.io"}) == "https://owner.github.io/"
    assert site_url_for({}, {}) is None


def test_a_page_is_described_by_its_first_paragraph_of_prose_without_the_notice_or_check_markers():
    html = (
        "<h1>标题</h1><p><strong>说明：</strong>本站的微观数据是合成数据。</p>"
        '<p>网上办事已经相当普遍，居民占 88.9%（n=198）<a class="sp-check" href="x">核对<span>：88.9%</span></a>'
        "。第二句话。</p>"
    )
    assert description_from(html) == "网上办事已经相当普遍，居民占 88.9%（n=198）。第二句话。"


def test_a_long_first_paragraph_is_cut_at_a_sentence_end():
    sentence = "这是一句足够长的话，用来说明描述会在句号处截断。"
    description = description_from(f"<p>{sentence * 10}</p>")
    assert description.endswith("。") and len(description) <= 120


@pytest.mark.slow
def test_a_github_pages_build_has_a_full_sitemap_canonical_links_and_a_404_page_under_the_project_path(tmp_path):
    root = Path(__file__).resolve().parent.parent
    # The charts are drawn by the build (not committed): `make test` runs build_tables.py before pytest.
    assert (root / "docs" / "assets" / "charts").is_dir(), "charts not drawn: run build_tables.py (make tables) first"
    environment = {**os.environ, "GITHUB_REPOSITORY": "stats-office/surveypress", "SOURCE_DATE_EPOCH": "1764201600"}
    subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "--quiet", "-d", str(tmp_path / "site")],
        cwd=root,
        env=environment,
        check=True,
        capture_output=True,
        timeout=600,
    )
    site = tmp_path / "site"
    # Embed pages are parts of pages, marked noindex: not in the sitemap.
    pages = [path for path in site.rglob("*.html") if path.name != "404.html" and "embed" not in path.parent.parts]
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.count("<loc>https://stats-office.github.io/surveypress/") == len(pages)
    # Both editions, each page with its twin as an hreflang alternate.
    assert "<loc>https://stats-office.github.io/surveypress/en/findings/usage.html</loc>" in sitemap
    assert (
        '<xhtml:link rel="alternate" hreflang="en" href="https://stats-office.github.io/surveypress/en/findings/'
        'usage.html"/>'
    ) in sitemap
    usage = (site / "findings" / "usage.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://stats-office.github.io/surveypress/findings/usage.html">' in usage
    assert 'property="og:url" content="https://stats-office.github.io/surveypress/findings/usage.html"' in usage
    missing = (site / "404.html").read_text(encoding="utf-8")
    assert 'href="/surveypress/assets/stylesheets/' in missing and 'href="/assets/' not in missing
    # The charts and downloads the build generated reach the site as hard links (copies across file systems), with
    # the same bytes; the theme's files and the pages are the site's own.
    try:  # a link from the temporary folder to docs/ (another mount point refuses it)
        os.link(root / "docs" / "downloads" / "SHA256SUMS", tmp_path / "probe")
        linkable = True
    except OSError:
        linkable = False
    for name in ("assets/charts/usage_online.png", "assets/charts/en/usage_online.svg", "downloads/SHA256SUMS"):
        source, published = root / "docs" / name, site / name
        assert published.read_bytes() == source.read_bytes()
        assert os.path.samefile(source, published) == linkable, name
    assert (site / "assets" / "stylesheets" / "site.css").stat().st_nlink == 1
    assert (site / "findings" / "usage.html").stat().st_nlink == 1


def test_each_edition_gets_its_own_search_index_with_its_own_language_settings(tmp_path):
    merged = {
        "config": {"lang": ["zh", "en"], "separator": "[\\s\\u200b\\-]", "pipeline": ["stemmer"], "fields": {}},
        "docs": [
            {"location": "index.html", "title": "首页", "text": "数字\u200b政府"},
            {"location": "en/index.html", "title": "Home", "text": "digital government"},
            {"location": "en/findings/usage.html#wide-use", "title": "Wide use", "text": "online"},
        ],
    }
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / "search_index.json").write_text(json.dumps(merged), encoding="utf-8")
    split_search_index(tmp_path, "zh", ["en"], search_settings)
    chinese = json.loads((tmp_path / "search" / "search_index.json").read_text(encoding="utf-8"))
    english = json.loads((tmp_path / "en" / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert [doc["location"] for doc in chinese["docs"]] == ["index.html"]
    assert chinese["config"]["lang"] == ["zh"] and "\\u200b" in chinese["config"]["separator"]
    # Locations relative to the edition's folder, where Material's base points on its pages.
    assert [doc["location"] for doc in english["docs"]] == ["index.html", "findings/usage.html#wide-use"]
    assert english["config"]["lang"] == ["en"] and "stemmer" not in english["config"]["pipeline"]


def test_an_edition_page_points_materials_base_at_its_edition_folder():
    html = '<script id="__config" type="application/json">{"base": "../..", "search": "../../w.js"}</script>'
    rebased = edition_base(html, "en")
    settings = json.loads(rebased.split(">", 1)[1].split("<", 1)[0])
    assert settings == {"base": "../../en/", "search": "../../w.js"}


def test_without_an_address_the_sitemap_lists_no_page_instead_of_none_addresses():
    assert on_post_template("<loc>Noneindex.html</loc>", "sitemap.xml", {"site_url": None}) == EMPTY_SITEMAP
    assert on_post_template("<loc>https://a/</loc>", "sitemap.xml", {"site_url": "https://a/"}) == (
        "<loc>https://a/</loc>"
    )


def test_publication_ymls_site_url_reaches_the_site_through_the_generated_config_and_wins_over_github_pages(
    tmp_path, monkeypatch
):
    import shutil

    import yaml

    from surveypress import content as spec
    from surveypress.website import config as site

    tiny = Path(__file__).resolve().parent / "fixtures" / "tiny"
    shutil.copytree(tiny, tmp_path / "tiny")
    meta = tmp_path / "tiny" / "publication" / "publication.yml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace(
            "version: 0.1.0\n", "version: 0.1.0\nsite_url: https://data.example.org/tiny\n"
        ),
        encoding="utf-8",
    )
    pub = spec.load_publication(tmp_path / "tiny" / "publication")
    config = yaml.safe_load(site.generated_config(pub, {pub.primary: ["index.md"]}))
    assert config["site_url"] == "https://data.example.org/tiny/"

    monkeypatch.setenv("GITHUB_REPOSITORY", "stats-office/surveypress")
    assert on_config({"site_url": config["site_url"]})["site_url"] == "https://data.example.org/tiny/"
    assert on_config({"site_url": None})["site_url"] == "https://stats-office.github.io/surveypress/"


def test_the_mkdocs_plugin_loads_without_pandas_or_pyarrow() -> None:
    # Every `mkdocs build` imports the plugin; pandas and pyarrow would add half a second to each.
    code = "import sys, surveypress.website.plugin; print(sorted({'pandas', 'pyarrow', 'altair'} & set(sys.modules)))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_publication_texts_in_the_generated_config_read_back_as_the_same_text_never_as_a_tag_or_alias(tmp_path):
    import shutil

    from mkdocs.utils.yaml import yaml_load

    from surveypress import content as spec
    from surveypress.website import config as site

    tiny = Path(__file__).resolve().parent / "fixtures" / "tiny"
    shutil.copytree(tiny, tmp_path / "tiny")
    title = '!!python/object/apply:os.system ["echo owned"]'
    summary = "&anchor *alias !ENV [HOME] {{ 7*7 }} <script>alert(1)</script>\n# not a comment"
    meta = tmp_path / "tiny" / "publication" / "publication.yml"
    text = meta.read_text(encoding="utf-8").replace("zh: 小型测试调查", f"zh: {json.dumps(title)}")
    meta.write_text(text + f"short_description: {json.dumps(summary)}\n", encoding="utf-8")
    pub = spec.load_publication(tmp_path / "tiny" / "publication")
    config = yaml_load(site.generated_config(pub, {pub.primary: ["index.md"]}))
    assert (config["site_name"], config["site_description"]) == (title, summary)

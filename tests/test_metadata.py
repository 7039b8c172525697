"""Metadata for search engines, portals and citation tools (issue 27): the Open Graph locale of each edition, the
schema.org Dataset kept inside its <script> whatever the publication's texts hold, the DCAT record naming every
resource of the data package, CITATION.cff fresh from the package, and each bar's <title> escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from surveypress.charts import draw
from surveypress.publish import metadata

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "</script><script>alert(1)</script><!--"


@pytest.fixture(scope="module")
def package() -> dict:
    return json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("tag", "locale"),
    [("zh-Hans", "zh_CN"), ("zh", "zh_CN"), ("zh-Hant", "zh_TW"), ("en", "en_US"), ("en-GB", "en_GB")],
)
def test_og_locale_is_derived_from_the_language_tag(tag: str, locale: str) -> None:
    assert metadata.og_locale(tag) == locale


def test_a_hostile_title_stays_inside_the_json_ld_string(package: dict) -> None:
    hostile = {**package, "title": HOSTILE, "description": "a & b > c"}
    script = metadata.jsonld_script(metadata.dataset_jsonld(hostile, "zh-Hans", lambda path: path, "index.html"))
    body = script.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert "<" not in body and ">" not in body and "&" not in body
    assert script.count("</script>") == 1
    assert json.loads(body)["name"] == HOSTILE


def test_dataset_json_ld_has_a_distribution_per_resource_with_its_media_type(package: dict) -> None:
    dataset = metadata.dataset_jsonld(package, "en", lambda path: f"https://example.org/downloads/{path}", "x")
    urls = {item["contentUrl"]: item["encodingFormat"] for item in dataset["distribution"]}
    for resource in package["resources"]:
        assert urls[f"https://example.org/downloads/{resource['path']}"] == resource["mediatype"]
    assert dataset["name"] == package["translations"]["en"]["title"]
    assert dataset["spatialCoverage"]["name"] == package["translations"]["en"]["spatialCoverage"]


@pytest.mark.parametrize("site_url", [None, "https://example.org/jingjiang/"])
def test_dcat_record_names_every_resource_of_the_package_as_a_distribution(package: dict, site_url) -> None:
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCAT, RDF

    record = f"{site_url or 'https://reader.example/'}downloads/dcat.ttl"
    graph = Graph().parse(data=metadata.dcat_turtle(package, site_url), format="turtle", publicID=record)
    downloads = {
        str(graph.value(distribution, DCAT.downloadURL)) for distribution in graph.subjects(RDF.type, DCAT.Distribution)
    }
    base = record.removesuffix("dcat.ttl")
    assert {base + resource["path"] for resource in package["resources"]} <= downloads
    dataset = next(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(set(graph.objects(dataset, DCAT.distribution))) == len(downloads)
    assert (next(graph.subjects(RDF.type, DCAT.Catalog)), DCAT.dataset, dataset) in graph
    assert (dataset, DCAT.landingPage, URIRef(site_url)) in graph if site_url else True


def test_dcat_record_is_the_same_bytes_every_time(package: dict) -> None:
    assert metadata.dcat_turtle(package, None) == metadata.dcat_turtle(json.loads(json.dumps(package)), None)


def test_committed_citation_cff_is_made_from_the_data_package(package: dict) -> None:
    assert (ROOT / "CITATION.cff").read_text(encoding="utf-8") == metadata.citation_cff(package, None)


def test_each_bar_gets_its_text_as_an_escaped_svg_title() -> None:
    svg = (
        '<svg><path aria-label="a &lt;b&gt; &amp; &quot;c&quot;: 5%" role="graphics-symbol" '
        'aria-roledescription="bar" d="M0,0h1"/><path aria-roledescription="rule" d="M0"/></svg>'
    )
    titled = draw.titled(svg)
    assert re.findall(r"<title>(.*?)</title>", titled) == ['a &lt;b&gt; &amp; "c": 5%']
    assert titled.count("<path") == 2 and "</path>" in titled

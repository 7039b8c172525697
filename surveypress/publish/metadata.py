"""Metadata that search engines, data portals and citation tools read, all made from the data package.

Takes: the data package as the build wrote it (datapackage.json: titles and descriptions per language, version,
licences, contributors, coverage, resources) and the site's address, when there is one. Gives: the schema.org
`Dataset` JSON-LD the front page and the downloads page carry, a DCAT-AP 3 record of the package (Turtle, written
with rdflib to docs/downloads/dcat.ttl), CITATION.cff for the repository, the Open Graph locale of a language, and
each chart's permanent address and citation line.

Every value from publication.yml or a label is untrusted: JSON-LD is serialised with json.dumps and `<`, `>`, `&`
written as `\\u003c`, `\\u003e`, `\\u0026`, so no text can close the <script> it sits in; Turtle and YAML are written by
rdflib and yaml.safe_dump, which quote every text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from babel.core import Locale, get_global

from surveypress import layout
from surveypress.i18n import _
from surveypress.languages import SOURCE_LANGUAGE

DCAT_FILE = layout.DCAT
DCAT_MEDIA_TYPE = "text/turtle"
# The downloads that are not resources of the package, with their media types (the resources carry their own).
PACKAGE_MEDIA_TYPE = "application/json"
WORKBOOK_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ARCHIVE_MEDIA_TYPE = "application/zip"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
# Frictionless contributor roles that make a contributor the publisher; every other role makes a creator.
PUBLISHER_ROLES = {"publisher"}


# Languages.


def og_locale(tag: str) -> str:
    """The Open Graph locale (`language_TERRITORY`) of a BCP 47 tag, from CLDR's likely subtags: zh-Hans -> zh_CN,
    zh-Hant -> zh_TW, en -> en_US; a tag naming its territory keeps it (en-GB -> en_GB)."""
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (ValueError, TypeError):
        return tag.replace("-", "_")
    if locale.territory:
        return f"{locale.language}_{locale.territory}"
    likely = get_global("likely_subtags")
    full = likely.get(str(locale)) or likely.get(locale.language) or str(locale)
    parts = full.split("_")
    territory = next((part for part in parts[1:] if len(part) == 2 or part.isdigit()), "")
    return f"{locale.language}_{territory}" if territory else locale.language


def package_text(package: Mapping[str, Any], key: str, language: str) -> str:
    """A text of the package (title, description, spatialCoverage) in `language`: its translation, else its own."""
    primary = (package.get("languages") or [language])[0]
    if language != primary:
        translated = (package.get("translations") or {}).get(language, {}).get(key)
        if translated:
            return str(translated)
    return str(package.get(key) or "")


def edition_language(package: Mapping[str, Any], language: str) -> str:
    """The package language a site edition's language (`zh` in Material, `zh-Hans` declared) stands for."""
    languages = [str(tag) for tag in package.get("languages") or []]
    for tag in languages:
        if tag == language or tag.split("-")[0] == language.split("-")[0]:
            return tag
    return languages[0] if languages else language


# Downloads.


@dataclass(frozen=True)
class Download:
    path: str  # relative to the downloads folder (layout.DOWNLOADS)
    media_type: str
    title: str
    size: int | None = None
    sha256: str = ""


def downloads(package: Mapping[str, Any], downloads_dir: Path | None = None) -> list[Download]:
    """Every file of the downloads folder a reader can fetch, in one order: each resource of the package, the package
    itself, the workbook and the archive (those two only when `downloads_dir` holds them, when given)."""
    found = []
    for resource in package.get("resources") or []:
        digest = str(resource.get("hash") or "")
        found.append(
            Download(
                str(resource["path"]),
                str(resource.get("mediatype") or "text/csv"),
                str(resource.get("title") or resource.get("name") or resource["path"]),
                resource.get("bytes"),
                digest.removeprefix("sha256:") if digest.startswith("sha256:") else "",
            )
        )
    found.append(Download(layout.DATAPACKAGE, PACKAGE_MEDIA_TYPE, layout.DATAPACKAGE))
    from surveypress.publish.workbook import WORKBOOK_NAME  # here: the site's hooks need no spreadsheet writer

    extra = [
        Download(WORKBOOK_NAME, WORKBOOK_MEDIA_TYPE, WORKBOOK_NAME),
        Download(layout.archive(str(package.get("name", "")), str(package.get("version", ""))), ARCHIVE_MEDIA_TYPE, ""),
    ]
    for download in extra:
        if downloads_dir is None or (Path(downloads_dir) / download.path).is_file():
            found.append(download if download.title else Download(download.path, download.media_type, download.path))
    return found


def _contributors(package: Mapping[str, Any], publishers: bool) -> list[str]:
    return [
        str(contributor.get("title") or contributor.get("name") or "")
        for contributor in package.get("contributors") or []
        if bool(PUBLISHER_ROLES & set(contributor.get("roles") or [])) == publishers
        and (contributor.get("title") or contributor.get("name"))
    ]


def _year(package: Mapping[str, Any]) -> str:
    return str(package.get("created") or "")[:4]


# schema.org Dataset (JSON-LD).


def dataset_jsonld(
    package: Mapping[str, Any], language: str, url_of: Callable[[str], str], home: str
) -> dict[str, Any]:
    """The schema.org `Dataset` of the package in `language`: `url_of(path)` is the address of a file of the
    downloads folder as the page links it, `home` the address of the edition's front page."""
    licence = next(iter(package.get("licenses") or []), {})
    dataset: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": package_text(package, "title", language),
        "description": package_text(package, "description", language),
        "url": home,
        "version": str(package.get("version") or ""),
        "inLanguage": language,
        "isAccessibleForFree": True,
        "keywords": [str(word) for word in package.get("keywords") or []],
        "license": str(licence.get("path") or licence.get("name") or ""),
        "creator": [{"@type": "Organization", "name": name} for name in _contributors(package, publishers=False)],
        "publisher": [{"@type": "Organization", "name": name} for name in _contributors(package, publishers=True)],
        "datePublished": str(package.get("created") or "")[:10],
        "temporalCoverage": str(package.get("temporalCoverage") or ""),
        "spatialCoverage": {"@type": "Place", "name": package_text(package, "spatialCoverage", language)},
        "variableMeasured": [
            {
                "@type": "PropertyValue",
                "name": str(resource.get("title") or resource["name"]),
                "identifier": resource["name"],
            }
            for resource in package.get("resources") or []
            if resource.get("kind") == "indicator"
        ],
        "distribution": [
            {
                "@type": "DataDownload",
                "name": download.title,
                "contentUrl": url_of(download.path),
                "encodingFormat": download.media_type,
                **({"contentSize": str(download.size)} if download.size is not None else {}),
            }
            for download in downloads(package)
        ],
    }
    if not package.get("temporalCoverage"):
        del dataset["temporalCoverage"]
    if not dataset["spatialCoverage"]["name"]:
        del dataset["spatialCoverage"]
    return {key: value for key, value in dataset.items() if value not in ("", [], None)}


_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(data: Any) -> str:
    """JSON for inside a <script> element: no text can end the element or open a comment (`</script>`, `<!--`)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda match: _SCRIPT_UNSAFE[match.group(0)], text)


def jsonld_script(data: Any) -> str:
    return f'<script type="application/ld+json">{script_json(data)}</script>'


# DCAT-AP 3 (Turtle).


def dcat_graph(package: Mapping[str, Any], site_url: str | None, base: str):
    """The package as a dcat:Catalog holding one dcat:Dataset with a dcat:Distribution per download. IRIs are under
    `site_url` when the site has an address; else under `base`, which dcat_turtle writes relative."""
    from rdflib import Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

    downloads_url = f"{site_url or base}{layout.DOWNLOADS}/"
    record = f"{downloads_url}{DCAT_FILE}"
    graph = Graph()
    graph.bind("dcat", DCAT)
    graph.bind("dct", DCTERMS)
    graph.bind("foaf", FOAF)
    graph.bind("spdx", Namespace(SPDX))
    catalog = URIRef(f"{record}#catalog")
    dataset = URIRef(f"{record}#dataset")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCAT.dataset, dataset))
    graph.add((dataset, RDF.type, DCAT.Dataset))
    graph.add((dataset, DCTERMS.identifier, Literal(str(package.get("name", "")))))
    _add_texts(graph, package, catalog, dataset, record)
    _add_facts(graph, package, catalog, dataset, record, site_url)
    _add_agents(graph, package, dataset, record)
    for tag in _languages(package):
        graph.add((dataset, DCTERMS.language, Literal(tag)))
    _add_distributions(graph, package, dataset, downloads_url)
    return graph


def _languages(package: Mapping[str, Any]) -> list[str]:
    return [str(tag) for tag in package.get("languages") or []]


def _add_texts(graph: Any, package: Mapping[str, Any], catalog: Any, dataset: Any, record: str) -> None:
    """Title and description of catalog and dataset, and the place the survey speaks of, in every language."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import DCTERMS, RDF, SKOS

    for tag in _languages(package):
        for node in (catalog, dataset):
            graph.add((node, DCTERMS.title, Literal(package_text(package, "title", tag), lang=tag)))
            graph.add((node, DCTERMS.description, Literal(package_text(package, "description", tag), lang=tag)))
        coverage = package_text(package, "spatialCoverage", tag)
        if coverage:
            place = URIRef(f"{record}#spatial")
            graph.add((dataset, DCTERMS.spatial, place))
            graph.add((place, RDF.type, DCTERMS.Location))
            graph.add((place, SKOS.prefLabel, Literal(coverage, lang=tag)))


def _add_facts(
    graph: Any, package: Mapping[str, Any], catalog: Any, dataset: Any, record: str, site_url: str | None
) -> None:
    """The dataset's version, release date, landing page, keywords and the period it speaks of."""
    from rdflib import Literal, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

    # DCAT 3 terms that rdflib's DCAT 2 namespace lacks (dcat:version).
    dcat3 = Namespace(str(DCAT))
    if package.get("version"):
        graph.add((dataset, dcat3.version, Literal(str(package["version"]))))
    if package.get("created"):
        graph.add((dataset, DCTERMS.issued, Literal(str(package["created"])[:10], datatype=XSD.date)))
    if site_url:
        graph.add((dataset, DCAT.landingPage, URIRef(site_url)))
        graph.add((catalog, FOAF.homepage, URIRef(site_url)))
    for word in package.get("keywords") or []:
        graph.add((dataset, DCAT.keyword, Literal(str(word))))
    temporal = str(package.get("temporalCoverage") or "")
    if temporal:
        period = URIRef(f"{record}#temporal")
        graph.add((dataset, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        start, _slash, end = temporal.partition("/")
        for predicate, value in ((DCAT.startDate, start), (DCAT.endDate, end or start)):
            kind = XSD.gYear if len(value) == 4 else XSD.gYearMonth if len(value) == 7 else XSD.date
            graph.add((period, predicate, Literal(value, datatype=kind)))


def _add_agents(graph: Any, package: Mapping[str, Any], dataset: Any, record: str) -> None:
    """Creators and publishers. Agents are named, not blank nodes: a blank node's generated name would change the
    record's bytes every build."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import DCTERMS, FOAF, RDF

    for role, predicate in ((False, DCTERMS.creator), (True, DCTERMS.publisher)):
        for number, name in enumerate(_contributors(package, publishers=role), start=1):
            agent = URIRef(f"{record}#{'publisher' if role else 'creator'}-{number}")
            graph.add((dataset, predicate, agent))
            graph.add((agent, RDF.type, FOAF.Agent))
            graph.add((agent, FOAF.name, Literal(name)))


def _add_distributions(graph: Any, package: Mapping[str, Any], dataset: Any, downloads_url: str) -> None:
    """A dcat:Distribution per download: its address, media type, size, checksum and the package's licence."""
    from rdflib import Literal, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

    spdx = Namespace(SPDX)
    licence = next(iter(package.get("licenses") or []), {})
    licence_node = URIRef(str(licence["path"])) if str(licence.get("path", "")).startswith("http") else None
    for download in downloads(package):
        url = URIRef(f"{downloads_url}{download.path}")
        distribution = URIRef(f"{downloads_url}{DCAT_FILE}#{download.path}")
        graph.add((dataset, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS.title, Literal(download.title)))
        graph.add((distribution, DCAT.downloadURL, url))
        graph.add((distribution, DCAT.accessURL, url))
        graph.add((distribution, DCAT.mediaType, URIRef(IANA_MEDIA_TYPES + download.media_type)))
        if download.size is not None:
            graph.add((distribution, DCAT.byteSize, Literal(int(download.size), datatype=XSD.nonNegativeInteger)))
        if download.sha256:
            checksum = URIRef(f"{downloads_url}{DCAT_FILE}#{download.path}-sha256")
            graph.add((distribution, spdx.checksum, checksum))
            graph.add((checksum, RDF.type, spdx.Checksum))
            graph.add((checksum, spdx.algorithm, spdx.checksumAlgorithm_sha256))
            graph.add((checksum, spdx.checksumValue, Literal(download.sha256, datatype=XSD.hexBinary)))
        if licence_node is not None:
            graph.add((distribution, DCTERMS.license, licence_node))


SPDX = "http://spdx.org/rdf/terms#"


# A base no site has: without a site address the record's IRIs are written relative to the record itself.
_NO_SITE = "https://no-site-address.invalid/"


def dcat_turtle(package: Mapping[str, Any], site_url: str | None) -> str:
    """The DCAT record as Turtle. Without `site_url`, its IRIs are relative to the record (downloads/dcat.ttl), which
    a reader resolves against the address it fetched it from."""
    graph = dcat_graph(package, site_url, _NO_SITE)
    if site_url:
        return graph.serialize(format="turtle")
    record = f"{_NO_SITE}{layout.DOWNLOADS}/{DCAT_FILE}"
    text = graph.serialize(format="turtle", base=record)
    return (
        "\n".join(line for line in text.splitlines() if not line.startswith("@base ")).replace(
            f"<{_NO_SITE}{layout.DOWNLOADS}/", "<"
        )
        + "\n"
    )


# CITATION.cff.


def citation_cff(package: Mapping[str, Any], site_url: str | None, language: str | None = None) -> str:
    """The repository's CITATION.cff (Citation File Format 1.2.0) in the package's primary language."""
    language = language or (package.get("languages") or [SOURCE_LANGUAGE])[0]
    licence = next(iter(package.get("licenses") or []), {})
    citation: dict[str, Any] = {
        "cff-version": "1.2.0",
        "message": "If you use this data, please cite it as below, with its version.",
        "type": "dataset",
        "title": package_text(package, "title", language),
        "abstract": package_text(package, "description", language),
        "version": str(package.get("version") or ""),
        "date-released": str(package.get("created") or "")[:10],
        "authors": [{"name": name} for name in _contributors(package, publishers=False)]
        or [{"name": name} for name in _contributors(package, publishers=True)],
        "license": str(licence.get("name") or ""),
        "keywords": [str(word) for word in package.get("keywords") or []],
    }
    if site_url:
        citation["url"] = site_url
    citation = {key: value for key, value in citation.items() if value not in ("", [], None)}
    header = "# Generated by surveypress from publication.yml (through datapackage.json): edit that, not this file.\n"
    return header + yaml.safe_dump(citation, allow_unicode=True, sort_keys=False, width=120)


# Charts.


@dataclass(frozen=True)
class Citing:
    """What a chart's citation names besides the chart: the publication's title, publisher, version and year, and
    the site's address (empty without one: a chart's link is then its anchor on the page)."""

    title: str
    publisher: str
    version: str
    year: str
    site_url: str = ""
    # The language the publisher's name is written in, where it is not the edition's: contributors' names are not
    # translated, so in another edition they stay in the primary language, and the page marks them so.
    publisher_language: str = ""


def citing(pub: Any, language: str) -> Citing:
    """What a chart's citation names, from publication.yml in `language`; the year is the data package's (the
    build's date: publication.yml's `date`, else the newest changelog entry)."""
    import datetime as dt

    from surveypress.address import site_url_for
    from surveypress.content import meta_text
    from surveypress.publish.outputs import build_epoch

    publisher = next(
        (
            str(contributor.get("title") or "")
            for contributor in pub.meta.contributors or []
            if PUBLISHER_ROLES & set(contributor.get("roles") or [])
        ),
        "",
    )
    year = dt.datetime.fromtimestamp(build_epoch(pub.meta, pub.changelog_entries), tz=dt.UTC).strftime("%Y")
    return Citing(
        meta_text(pub, "title", language) or str(pub.meta.name or ""),
        publisher,
        str(pub.meta.version or ""),
        year,
        site_url_for(pub.meta, {}) or "",
        pub.languages[0] if language != pub.languages[0] else "",
    )


def chart_citation(citing: Citing, chart_title: str, address: str) -> str:
    """A chart's citation line in the current language: publisher, chart, publication, version, year, address."""
    text = _("{chart}. In: {title}, version {version}. {year}. {address}").format(
        chart=chart_title, title=citing.title, version=citing.version, year=citing.year, address=address
    )
    return _("{publisher}. {citation}").format(publisher=citing.publisher, citation=text) if citing.publisher else text


def chart_address(citing: Citing | None, page_path: str, chart_id: str) -> str:
    """A chart's permanent address: the page's address under the site's with the chart's anchor, or the anchor."""
    anchor = f"#chart-{chart_id}"
    if citing is None or not citing.site_url:
        return anchor
    page = page_path.removesuffix(".md")
    return f"{citing.site_url}{page}.html{anchor}"


def write_metadata(package_path: Path, downloads_dir: Path, citation_path: Path, site_url: str | None) -> list[Path]:
    """Writes the DCAT record into the downloads folder and CITATION.cff, from the data package the build wrote."""
    from surveypress.publish import outputs

    package = json.loads(Path(package_path).read_text(encoding="utf-8"))
    return [
        outputs.write_text(Path(downloads_dir) / DCAT_FILE, dcat_turtle(package, site_url)),
        outputs.write_text(citation_path, citation_cff(package, site_url)),
    ]

"""Every text is read through the languages a publication declares: an English-only publication builds with public-use
recodes and answers given as option texts; a language without a catalogue, or text in an undeclared language, is
refused with a message naming the file, the key and the language."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from surveypress import build
from surveypress import content as spec
from surveypress.errors import InputError

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"


def _without(value, key: str):
    """A YAML document with every mapping's `key` removed."""
    if isinstance(value, dict):
        return {k: _without(v, key) for k, v in value.items() if k != key}
    if isinstance(value, list):
        return [_without(v, key) for v in value]
    return value


def english_only(tmp_path: Path, languages: list[str] | None = None) -> Path:
    """The tiny project in English only: its Chinese texts removed, `languages: [en]`."""
    project = tmp_path / "tiny"
    shutil.copytree(TINY, project)
    content = project / "publication"
    for name in ("codebook.yml", "indicators.yml", "changelog.yml", "publication.yml"):
        document = _without(yaml.safe_load((content / name).read_text(encoding="utf-8")), "zh")
        (content / name).write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    meta = yaml.safe_load((content / "publication.yml").read_text(encoding="utf-8"))
    meta["languages"] = languages or ["en"]
    (content / "publication.yml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    (content / "charts.yml").write_text(
        "charts:\n  - id: used_online\n    page: index\n    series:\n      - {indicator: p_used}\n"
        "    title: \"{{ pct('p_used', 1) }} have used online services\"\n",
        encoding="utf-8",
    )
    (content / "templates" / "index.md.j2").write_text(
        "# Tiny survey\n\n{{ pct('p_used', 1) }} (n={{ base('p_used') }}).\n\n{{ chart('used_online') }}\n",
        encoding="utf-8",
    )
    return project


def test_an_english_only_publication_with_recodes_and_text_answers_builds(tmp_path):
    project = english_only(tmp_path)
    content = project / "publication"
    pub = spec.load_publication(content)
    # The people's answers as a survey platform exports option texts.
    people = pd.read_csv(project / "datasets/microdata/people.csv", dtype=str, keep_default_na=False)
    for question in ("p_region", "p_used", "p_satisfaction"):
        labels = {str(o.code): o.text("en") for o in pub.codebook.questions[question].options}
        people[question] = people[question].map(lambda cell, labels=labels: labels.get(cell, cell))
    people.to_csv(project / "datasets/microdata/people.csv", index=False)
    meta = yaml.safe_load((content / "publication.yml").read_text(encoding="utf-8"))
    meta["microdata"]["people"] = {"path": "datasets/microdata/people.csv", "answers": "text"}
    meta["public_use"] = {
        "people": {"drop": ["p_region"], "coarsen": {"p_satisfaction": [[1, 2], [3, 4, 5]]}, "top_code": {"p_used": 1}}
    }
    (content / "publication.yml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")

    stream = io.StringIO()
    build.build(content, out_dir=project, stream=stream)

    package = json.loads((project / "datapackage.json").read_text(encoding="utf-8"))
    people_fields = next(r for r in package["resources"] if r["name"] == "microdata-people")["schema"]["fields"]
    satisfaction = next(f for f in people_fields if f["name"] == "p_satisfaction")
    assert satisfaction["categories"][0]["label"] == "Very satisfied / Fairly satisfied"
    assert package["languages"] == ["en"]
    # The released file holds the recoded answers as codes: two satisfaction groups, use top-coded at 1.
    released = pd.read_csv(project / "datasets/public-use/people.csv", dtype=str, keep_default_na=False)
    assert "p_region" not in released.columns
    assert set(released["p_satisfaction"]) - {"", "-9"} <= {"1", "3"}
    assert set(released["p_used"]) - {"", "-9"} == {"1"}
    # The one edition's charts are drawn, and the build says no CJK font was needed for them.
    draw_lines = [line for line in stream.getvalue().splitlines() if line.startswith("draw ")]
    assert len(draw_lines) == 1 and "(en)" in draw_lines[0] and "no CJK text" in draw_lines[0], stream.getvalue()


def test_a_declared_language_without_a_catalogue_is_refused_naming_it_and_the_catalogues(tmp_path):
    project = english_only(tmp_path, languages=["en", "de"])
    with pytest.raises(InputError) as caught:
        spec.load_publication(project / "publication")
    message = str(caught.value)
    assert "publication.yml" in message and "column languages" in message and "'de'" in message
    assert "message catalogue" in message and "en" in message


def test_text_in_an_undeclared_language_is_refused_naming_file_key_and_language(tmp_path):
    project = english_only(tmp_path)
    codebook = project / "publication" / "codebook.yml"
    codebook.write_text(
        codebook.read_text(encoding="utf-8").replace("en: Town", "en: Town\n    zh: 城镇"), encoding="utf-8"
    )
    with pytest.raises(InputError) as caught:
        spec.load_publication(project / "publication")
    error = caught.value
    assert Path(error.file).name == "codebook.yml"
    assert error.column == "question p_region option 1.zh" and error.value == "zh"
    assert "declared languages (en)" in str(error)


def test_publication_and_changelog_texts_in_an_undeclared_language_are_refused_not_dropped(tmp_path):
    project = english_only(tmp_path)
    content = project / "publication"
    meta_path = content / "publication.yml"
    english = meta_path.read_text(encoding="utf-8")
    meta = yaml.safe_load(english)
    meta["title"] = {"en": "Tiny survey", "fr": "Petite enquête"}
    meta_path.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        spec.load_publication(content)
    assert (caught.value.column, caught.value.value) == ("title.fr", "fr")

    meta_path.write_text(english, encoding="utf-8")
    changelog = yaml.safe_load((content / "changelog.yml").read_text(encoding="utf-8"))
    changelog[0]["changes"][0]["de"] = "Erste Ausgabe"
    (content / "changelog.yml").write_text(yaml.safe_dump(changelog, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        spec.load_publication(content).changelog()
    assert caught.value.column == "entry 1.changes[1].de" and caught.value.value == "de"


def test_a_template_folder_of_an_undeclared_language_is_refused_not_built_as_primary_pages(tmp_path):
    # templates/fr/ in an English-only publication would otherwise be English pages under fr/, French left unsaid.
    project = english_only(tmp_path)
    templates = project / "publication" / "templates"
    (templates / "fr").mkdir()
    (templates / "fr" / "index.md.j2").write_text("# Accueil\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        spec.load_publication(project / "publication")
    assert (Path(caught.value.file).name, caught.value.value) == ("fr", "fr")
    assert "declared language (en)" in str(caught.value) and "Add fr to languages" in str(caught.value)
    (templates / "fr").rename(templates / "findings")  # a folder of pages, not a language: the primary's pages
    spec.load_publication(project / "publication")

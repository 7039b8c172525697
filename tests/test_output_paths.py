"""Ids that become output paths are plain names checked by one rule, and the paths a build would write are checked
for collisions before anything is written (issue #22); a CSV the build writes runs no formula in any column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from surveypress import build
from surveypress import content as spec
from surveypress.errors import InputError
from surveypress.publish import outputs

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"


@pytest.mark.parametrize(
    "value",
    ["p_used\n", "tiny-survey\r", "../indicators/p_used", "../../..", "a" * 65, ".hidden", "-option", "", "a b", 7],
)
def test_a_name_with_a_line_break_separator_or_over_64_characters_is_not_a_plain_name(value: object) -> None:
    assert not spec.is_name(value)
    with pytest.raises(InputError):
        spec.require_name(value, "publication.yml", "a name", column="name")


def test_a_plain_name_passes_and_keeps_its_kinds_shape() -> None:
    assert spec.is_name("a" * 64, spec.ID_PATTERN)
    assert spec.is_name("1.0.0+build.7", spec.VERSION)
    assert spec.is_name("zh-Hans", spec.LANGUAGE_TAG)
    assert not spec.is_name("Residents", spec.ID_PATTERN)  # a plain name, but not lower_snake_case


def test_a_page_template_in_the_downloads_folder_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    project = tmp_path / "tiny"
    shutil.copytree(TINY, project)
    page = project / "publication" / "templates" / "downloads" / "leak.md.j2"
    page.parent.mkdir()
    page.write_text("# leak\n", encoding="utf-8")
    pub = spec.load_publication(project / "publication")

    with pytest.raises(InputError, match=r"docs/downloads/leak\.md, which is also inside docs/downloads/"):
        build.refuse_colliding_outputs(pub)


@pytest.mark.parametrize("edition", ["", "en/"])
def test_a_page_template_in_an_editions_embed_folder_is_refused_before_anything_is_written(
    tmp_path: Path, edition: str
) -> None:
    """templates/embed/used_online.md.j2 became docs/embed/used_online.md beside the chart's embed page
    docs/embed/used_online.html: both are the site's embed/used_online.html, and mkdocs refused it only after the
    build had replaced every output."""
    project = tmp_path / "tiny"
    shutil.copytree(TINY, project)
    templates = project / "publication" / "templates"
    if edition:
        (templates / "en").mkdir()
        (templates / "en" / "index.md.j2").write_text("# Tiny\n", encoding="utf-8")
    page = templates / edition / "embed" / "used_online.md.j2"
    page.parent.mkdir()
    page.write_text("# mine\n", encoding="utf-8")
    pub = spec.load_publication(project / "publication")

    with pytest.raises(InputError) as caught:
        build.refuse_colliding_outputs(pub)
    assert caught.value.file == str(page)
    assert caught.value.hint == (
        f"It would be written to docs/{edition}embed/used_online.md, which is also inside docs/{edition}embed/, which"
        " the build fills with the charts' embed pages"
    )


def test_the_default_layout_of_the_tiny_publication_has_no_colliding_outputs() -> None:
    pub = spec.load_publication(TINY / "publication")
    build.refuse_colliding_outputs(pub)
    paths = [path for path, *_ in build.planned_outputs(pub)]
    assert "datasets/indicators/p_used.csv" in paths and "datasets/public-use/people.csv" in paths


def test_write_csv_neutralises_a_formula_in_every_text_column_ids_included(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"respondent_id": ["=1+1", "-2+3", "P-1"], "stratum": ["@x", "A", "+B"], "code": ["-9", "1", "2"]}
    )
    text = outputs.csv_text(frame)
    assert text.splitlines()[1:] == ["'=1+1,'@x,-9", "'-2+3,A,1", "P-1,'+B,2"]

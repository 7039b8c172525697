"""surveypress.content: the content folder read into dataclasses, and errors that point at the YAML line to fix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from surveypress import content as spec
from surveypress.errors import InputError

TINY = Path(__file__).parent / "fixtures" / "tiny"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    shutil.copytree(TINY, tmp_path / "tiny")
    return tmp_path / "tiny" / "publication"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def refusal(content: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        spec.load_publication(content)
    return caught.value


def test_tiny_publication_reads_into_its_dataclasses(content: Path) -> None:
    pub = spec.load_publication(content)
    assert list(pub.codebook.populations) == ["people", "firms"]
    assert pub.codebook.columns_of("people") == [
        "respondent_id",
        "p_region",
        "p_used",
        "p_channels_1",
        "p_channels_2",
        "p_channels_3",
        "p_satisfaction",
    ]
    assert pub.codebook.questions["p_satisfaction"].universe == spec.Universe("p_channels", (1, 2))
    assert [i.id for i in pub.indicators] == ["p_used", "p_channels", "p_satisfaction", "f_size"]
    assert pub.indicator("p_used").breakdowns == ("p_region",)
    assert pub.disclosure == spec.Disclosure(low_base=30, min_cell=5, min_k=2)
    assert pub.project_root == content.parent.resolve()


def test_yaml_mappings_keep_their_line_and_still_behave_as_plain_dicts(content: Path) -> None:
    document = spec.read_yaml(content / "codebook.yml")
    question = document["questions"][1]
    assert spec.line_of(question) == 15
    assert spec.line_of(question, "options") == 19
    assert question == {**question}
    assert json.loads(json.dumps(question, ensure_ascii=False))["id"] == "p_used"
    assert yaml.safe_load(yaml.safe_dump(question, allow_unicode=True)) == question


def test_question_error_names_the_line_of_the_key_at_fault(content: Path) -> None:
    edit(content / "codebook.yml", "    type: multi\n", "    type: multiple\n")
    error = refusal(content)
    assert (error.row, error.column, error.value) == (25, "question p_channels.type", "multiple")


def test_a_key_given_twice_is_refused_instead_of_silently_overwritten(content: Path) -> None:
    edit(content / "publication.yml", "  min_k: 2\n", "  min_k: 2\n  min_k: 1\n")
    error = refusal(content)
    assert error.row == 18
    assert "the key 'min_k' only once" in str(error)


def test_disclosure_setting_that_is_not_a_whole_number_is_refused(content: Path) -> None:
    edit(content / "publication.yml", "min_cell: 5", "min_cell: five")
    error = refusal(content)
    assert (error.row, error.column, error.value) == (16, "disclosure.min_cell", "five")


def test_absolute_microdata_path_is_refused(content: Path) -> None:
    edit(content / "publication.yml", "firms: datasets/microdata/firms.csv", "firms: /etc/firms.csv")
    error = refusal(content)
    assert (error.row, error.column, error.value) == (13, "microdata.firms", "/etc/firms.csv")
    assert "a path inside the project folder" in str(error)


def test_population_without_a_microdata_file_is_refused(content: Path) -> None:
    edit(content / "publication.yml", "  firms: datasets/microdata/firms.csv\n", "")
    error = refusal(content)
    assert error.file.endswith("publication.yml") and error.column == "microdata"
    assert "a microdata file for population 'firms'" in str(error)


def test_breakdown_by_a_multi_question_is_refused(content: Path) -> None:
    edit(content / "indicators.yml", "people: [p_region]", "people: [p_channels]")
    error = refusal(content)
    assert (error.row, error.value) == (2, "p_channels")
    assert "a single-choice question of population 'people'" in str(error)


def test_input_error_shows_paths_relative_to_the_project(content: Path) -> None:
    error = InputError(content / "codebook.yml", "something", row=3).relative_to(content.parent)
    assert str(error) == "publication/codebook.yml, row 3: expected something"


# Limits: a wrong or hostile content file stops the build with a message, before it can exhaust memory or time.


def test_a_label_longer_than_the_limit_is_refused_with_its_length(content: Path) -> None:
    long = "长" * (spec.MAX_LABEL_CHARACTERS + 1)
    edit(content / "codebook.yml", "zh: 城镇,", f"zh: {long},")
    error = refusal(content)
    assert error.expected == f"a label of at most {spec.MAX_LABEL_CHARACTERS:,} characters"
    assert error.value == f"{spec.MAX_LABEL_CHARACTERS + 1:,} characters"
    assert error.row == 12


def test_a_text_longer_than_the_limit_is_refused_while_reading_the_yaml(content: Path) -> None:
    long = "x" * (spec.MAX_TEXT_CHARACTERS + 1)
    edit(content / "publication.yml", "description: {", f"note: {long}\ndescription: {{")
    error = refusal(content)
    assert error.expected == f"a text of at most {spec.MAX_TEXT_CHARACTERS:,} characters"
    assert error.row == 5


def test_a_yaml_file_over_the_size_limit_is_refused_before_it_is_parsed(content: Path) -> None:
    with open(content / "indicators.yml", "a", encoding="utf-8") as handle:
        handle.write("# padding\n" * (spec.MAX_YAML_BYTES // 10 + 1))
    error = refusal(content)
    assert error.expected == f"a YAML file of at most {spec.MAX_YAML_BYTES:,} bytes"


def test_a_merge_key_is_refused_like_any_alias(content: Path) -> None:
    edit(content / "codebook.yml", "missing:", "base: &base {x: 1}\nmerged: {<<: *base}\nmissing:")
    assert refusal(content).expected == "YAML without anchors (&name) or aliases (*name)"


def test_nesting_at_the_limit_is_read_and_one_level_more_is_refused(content: Path) -> None:
    ok = "[" * (spec.MAX_YAML_DEPTH - 1) + "x" + "]" * (spec.MAX_YAML_DEPTH - 1)
    edit(content / "indicators.yml", "indicators:", f"deep: {ok}\nindicators:")
    spec.load_publication(content)
    edit(content / "indicators.yml", f"deep: {ok}", f"deep: [{ok}]")
    assert refusal(content).expected == f"YAML nested at most {spec.MAX_YAML_DEPTH} levels deep"


def _with_lines(value: object) -> object:
    """A document with each mapping's line and key lines made part of its value."""
    if isinstance(value, dict):
        lines = (spec.line_of(value), getattr(value, "key_lines", None))
        return {"lines": lines, "items": {key: _with_lines(item) for key, item in value.items()}}
    if isinstance(value, list):
        return [_with_lines(item) for item in value]
    return value


@pytest.mark.parametrize(
    "folder", [Path(__file__).parents[1] / "publication", TINY / "publication"], ids=["default", "tiny"]
)
def test_content_files_read_with_libyaml_give_what_pythons_parser_gives_lines_included(folder: Path) -> None:
    files = sorted(folder.rglob("*.yml"))
    assert len(files) >= 3
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        assert _with_lines(spec.read_yaml(path)) == _with_lines(
            yaml.load(text, Loader=spec.locating_loader(spec.PYTHON_EVENTS))
        ), path  # noqa: S506


def test_a_yaml_syntax_error_names_the_file_and_its_row(content: Path) -> None:
    edit(content / "indicators.yml", "indicators:", "broken: [1, 2\nindicators:")
    error = refusal(content)
    assert error.expected.startswith("valid YAML (")
    assert error.row is not None and error.row >= 2
    assert "indicators.yml" in str(error)


HOSTILE_SITE_URLS = [
    'https://example.org/"><script>alert(1)</script>',
    "https://example.org/'onmouseover=alert(1)",
    "https://example.org/<svg onload=alert(1)>",
    "https://example.org/survey/\n",
    " https://example.org/survey/",
    "https://example.org/a b/",
    "https://example.org\\@evil.example/",
    "https://example.org/\x00/",
    "https://example.org/\u202e/",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//example.org/survey/",
    "ftp://example.org/",
    "https:///survey/",
    "https://user:secret@example.org/",
    "https://example.org/survey/?utm=1",
    "https://example.org/survey/#top",
    "https://example.org:99999/",
    "data.example.org/survey",
]


@pytest.mark.parametrize("url", HOSTILE_SITE_URLS)
def test_a_site_url_that_is_not_a_plain_absolute_http_address_is_refused_naming_file_key_and_value(
    content: Path, url: str
) -> None:
    meta = content / "publication.yml"
    edit(meta, "version: 0.1.0\n", f"version: 0.1.0\nsite_url: {json.dumps(url)}\n")
    error = refusal(content)
    assert (Path(error.file).name, error.row, error.column, error.value) == ("publication.yml", 4, "site_url", url)
    assert "absolute http(s) URL" in error.expected


def test_a_site_url_that_is_not_text_is_refused(content: Path) -> None:
    edit(content / "publication.yml", "version: 0.1.0\n", "version: 0.1.0\nsite_url: [https://example.org/]\n")
    assert refusal(content).column == "site_url"


def test_a_codebook_of_more_questions_than_the_limit_is_refused_before_any_is_read(content: Path) -> None:
    codebook = content / "codebook.yml"
    extra = "".join(
        f"  - {{id: q{number}, population: people, type: single, text: {{zh: 问, en: Q}}, options: []}}\n"
        for number in range(spec.MAX_QUESTIONS)
    )
    codebook.write_text(codebook.read_text(encoding="utf-8") + extra, encoding="utf-8")
    error = refusal(content)
    assert (error.column, error.value) == ("questions", f"{spec.MAX_QUESTIONS + 5:,} questions")
    assert f"at most {spec.MAX_QUESTIONS:,} questions" in str(error)

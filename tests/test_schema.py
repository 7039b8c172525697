"""The JSON Schemas of the content files (surveypress/content/schemas.py): committed as generated, and every content
folder of the repository valid against them, while the build's own checks stay the judge."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from surveypress import content as spec
from surveypress.content import schemas as schema
from surveypress.errors import InputError
from surveypress.website import plugin as mkdocs_plugin

ROOT = Path(__file__).resolve().parent.parent
CONTENT = {
    "default": ROOT / "publication",
    "tiny": ROOT / "tests" / "fixtures" / "tiny" / "publication",
    "numeric": ROOT / "tests" / "fixtures" / "numeric" / "publication",
    "fair": ROOT / "examples" / "fair" / "publication",
}


class EditorLoader(yaml.SafeLoader):
    """YAML as an editor's language server reads it (YAML 1.2: an unquoted date is text, not a timestamp)."""


EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def validator(name: str) -> jsonschema.Draft202012Validator:
    committed = json.loads((schema.SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(committed)
    return jsonschema.Draft202012Validator(committed)


@pytest.mark.parametrize("name", schema.MODELS)
def test_the_committed_schema_is_the_one_the_models_generate(name: str) -> None:
    committed = (schema.SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")
    assert committed == schema.schema_text(name), "run: python -m surveypress.content.schemas"


@pytest.mark.parametrize("content", CONTENT)
@pytest.mark.parametrize("name", schema.MODELS)
def test_every_content_folder_of_the_repository_is_valid_against_the_schemas(name: str, content: str) -> None:
    document = yaml.load((CONTENT[content] / f"{name}.yml").read_text(encoding="utf-8"), Loader=EditorLoader)
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator(name).iter_errors(document)]
    assert errors == []


def test_a_codebook_mistake_is_flagged_by_the_schema_and_refused_by_the_build_with_its_own_message(
    tmp_path: Path,
) -> None:
    content = tmp_path / "tiny"
    shutil.copytree(CONTENT["tiny"].parent, content)
    codebook = content / "publication" / "codebook.yml"
    text = codebook.read_text(encoding="utf-8")
    assert "type: single" in text
    codebook.write_text(text.replace("type: single", "type: choice", 1), encoding="utf-8")

    flagged = list(validator("codebook").iter_errors(yaml.load(codebook.read_text(encoding="utf-8"), EditorLoader)))
    with pytest.raises(InputError) as refused:
        spec.load_publication(content / "publication")

    assert [error.validator for error in flagged] == ["enum"]
    assert "choice" in str(refused.value) and "codebook.yml" in refused.value.file


def test_the_keys_the_schema_forbids_are_the_keys_the_engine_refuses() -> None:
    for model, keys in schema.STRICT_KEYS.items():
        fields = getattr(schema, model).model_fields
        assert tuple(field.alias or name for name, field in fields.items()) == keys


def test_the_schemas_are_in_the_theme_folder_the_site_is_served_from() -> None:
    # The plugin puts this folder among the theme folders; MkDocs copies its static files to the site's root.
    assert schema.SCHEMA_DIR.parent == mkdocs_plugin.THEME_DIR
    assert sorted(path.name for path in schema.SCHEMA_DIR.iterdir()) == sorted(
        f"{name}.schema.json" for name in schema.MODELS
    )

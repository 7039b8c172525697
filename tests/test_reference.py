"""REFERENCE.md is generated from the code (`python -m surveypress.reference`): it is never stale, and it names every
key of every content file, every name and filter a page template can use, and every chart kind."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from surveypress import reference
from surveypress.charts import registry
from surveypress.content import schemas as schema

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = (ROOT / "REFERENCE.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def generated() -> str:
    return reference.text()


def test_the_committed_reference_is_what_the_code_generates(generated: str) -> None:
    assert COMMITTED == generated, "REFERENCE.md is stale: run python -m surveypress.reference and commit it"


def models() -> dict[str, type[BaseModel]]:
    """Every model content/schemas.py reaches from the content files, by name."""
    found: dict[str, type[BaseModel]] = {}
    waiting: list[typing.Any] = list(schema.MODELS.values())
    while waiting:
        item = waiting.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            if item.__name__ in found:
                continue
            found[item.__name__] = item
            waiting += [field.annotation for field in item.model_fields.values()]
        waiting += list(typing.get_args(item))
    return found


def section(text: str, model: str) -> str:
    """The part of the reference under a model's heading."""
    start = text.index(f"\n#### {model}\n")
    end = min(index for index in (text.find("\n#### ", start + 1), text.find("\n## ", start + 1)) if index != -1)
    return text[start:end]


def test_every_key_of_every_content_model_is_in_its_table(generated: str) -> None:
    found = models()
    assert {"Publication", "Codebook", "Question", "Option", "Band", "Chart", "Series", "Version"} <= set(found)
    for name, model in found.items():
        if name == "Changelog":  # a list of versions, no keys of its own
            continue
        rows = section(generated, name)
        for field_name, field in model.model_fields.items():
            key = field.alias or field_name
            assert f"\n| `{key}` | " in rows, f"REFERENCE.md: {name} has no row for `{key}`"
            assert field.description, f"content/schemas.py: {name}.{key} has no description"


def test_every_template_name_and_engine_filter_has_an_example(generated: str) -> None:
    names = reference.template_names()
    assert {"pct", "chart", "workbook", "archive", "root", "data_root", "language", "mean"} <= set(names)
    for name in names:
        assert re.search(rf"^\| `{name}(\(.*?\))?` \| .+ \| `.+` \|$", generated, flags=re.MULTILINE), name
    changed, removed = reference.engine_filters()
    assert "t" in changed and "cell" in changed and removed == ["urlize"]
    for name in changed:
        assert f"\n| `{name}` | " in generated, name


def test_every_chart_kind_is_described_and_the_schema_allows_exactly_those(generated: str) -> None:
    allowed = typing.get_args(schema.Chart.model_fields["kind"].annotation)
    assert set(allowed) == set(registry.KINDS)
    for kind in registry.KINDS:
        assert re.search(rf"^\| `{kind}` \| \w", generated, flags=re.MULTILINE), kind

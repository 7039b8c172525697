"""The building blocks of the content files' pydantic models: ids, codes, texts per language, kinds of mapping.

Each content file's model is in the module of that file (`meta.Publication` for publication.yml, ...); `schemas.py`
writes their JSON Schemas.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from surveypress.content.names import ID_PATTERN

Id = Annotated[str, Field(pattern=ID_PATTERN.pattern, description="lower_snake_case")]
Code = Annotated[int, Field(ge=1, description="a positive whole number")]
Text = Annotated[str, Field(min_length=1)]
Texts = Annotated[
    dict[str, Text],
    Field(
        description="Text per language: keys are BCP 47 tags of publication.yml `languages` (or their primary "
        "subtag, `zh` for zh-Hans), one non-empty text for each declared language",
        min_length=1,
    ),
]
TextOrTexts = Annotated[Text | Texts, Field(description="One text, or a text per language")]


class Closed(BaseModel):
    """A mapping that may hold only the keys declared (the engine refuses others where it checks keys)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Open(BaseModel):
    """A mapping with the keys declared and others the engine ignores."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Labelled(BaseModel):
    """An entry with a code and its label in each language as keys beside it (`{code: 1, zh: ..., en: ...}`)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    __pydantic_extra__: dict[str, Text]

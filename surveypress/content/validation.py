"""A content mapping validated by its pydantic model, whose errors become the project's `InputError`.

pydantic's own words never reach the person fixing the file: each key a model checks is given the message the build
has always given for it (`expected`), on that key's line, and a key the model does not know is refused as
`refuse_unknown_keys` refuses it. Only the first problem is reported, in the order the keys of `expected` are listed,
as the hand-written checks did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from surveypress.content.yaml import line_of
from surveypress.errors import InputError

Model = TypeVar("Model", bound=BaseModel)


def model_keys(model: type[BaseModel]) -> tuple[str, ...]:
    """The keys a mapping of this model may hold, as the file writes them (aliases included)."""
    return tuple(field.alias or name for name, field in model.model_fields.items())


def refuse_unknown_keys(entry: dict, keys: tuple[str, ...], source: Path, where: str) -> None:
    """A mapping may hold only the keys listed: the first other one is refused on its line."""
    unknown = [key for key in entry if key not in keys]
    if unknown:
        raise InputError(
            source, f"only the keys {', '.join(keys)}", row=line_of(entry, unknown[0]), column=where, value=unknown[0]
        )


def validated(
    model: type[Model], entry: dict, source: Path, where: str, row: int | None, expected: dict[str, str]
) -> Model:
    """`entry` as an instance of `model`; else the InputError of its first problem (see the module's docstring)."""
    try:
        return model.model_validate(entry)
    except ValidationError as error:
        raise input_error(error, model, entry, source, where, row, expected) from None


def input_error(
    error: ValidationError,
    model: type[BaseModel],
    entry: dict,
    source: Path,
    where: str,
    row: int | None,
    expected: dict[str, str],
) -> InputError:
    refuse_unknown_keys(entry, model_keys(model), source, where)
    wrong = {str(detail["loc"][0]) for detail in error.errors() if detail["loc"]}
    key: Any = next((key for key in expected if key in wrong), None)
    if key is None:  # a problem no message was written for: name the keys the mapping takes, never pydantic's text
        return InputError(source, f"a mapping of {', '.join(model_keys(model))}", row=row, column=where, value=entry)
    return InputError(
        source, expected[key], row=line_of(entry, key) or row, column=f"{where}.{key}", value=entry.get(key)
    )

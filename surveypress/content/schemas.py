"""JSON Schemas of the content files, generated from pydantic models of their shape, for editors.

An editor that knows JSON Schema (through the YAML language server: VS Code's YAML extension, JetBrains IDEs, Neovim)
completes keys and flags a wrong type in `codebook.yml` as it is typed, given the first line

    # yaml-language-server: $schema=https://<site>/schemas/codebook.schema.json

The models below describe each file's keys and types, and are written from the content package's readers (and
charts/declare.py for charts.yml), which stay the judge: a build checks everything again and its `InputError`
messages are the source of truth. A schema therefore never refuses what the engine accepts; it may accept what the
engine then refuses (a cycle of universes, a band gap, an unknown question id), because those rules need the whole
publication.

Why pydantic: its `model_json_schema()` writes draft 2020-12 schemas from typed models, so the schema is the model
and not a second hand-written document. The schemas are committed in `surveypress/theme/schemas/` (package data;
the MkDocs plugin serves the theme folder, so every site offers them at `schemas/<file>.schema.json`), and
tests/test_schema.py checks that they equal what `python -m surveypress.content.schemas` writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from surveypress.content.meta import DESIGN_KEYS, SOURCE_KEYS, Design, Publication, Source
from surveypress.content.models import Changelog, Charts, Codebook, Indicators
from surveypress.content.models import Chart as Chart  # re-exported: a chart kind is checked against it

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "theme" / "schemas"
SCHEMA_URL = "schemas/{name}.schema.json"  # relative to a published site's root


# The mappings whose keys the engine checks strictly: load.py reads those keys off these models (meta.py).
STRICT_KEYS = {Source.__name__: SOURCE_KEYS, Design.__name__: DESIGN_KEYS}

MODELS: dict[str, type[BaseModel]] = {
    "publication": Publication,
    "codebook": Codebook,
    "indicators": Indicators,
    "charts": Charts,
    "changelog": Changelog,
}


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one content file (`codebook` for codebook.yml), as committed."""
    generated = MODELS[name].model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **generated}


def schema_text(name: str) -> str:
    return json.dumps(schema(name), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in MODELS:
        path = folder / f"{name}.schema.json"
        path.write_text(schema_text(name), encoding="utf-8", newline="\n")
        written.append(path)
    return written


if __name__ == "__main__":  # python -m surveypress.content.schemas: regenerate the committed schemas
    for path in write_schemas(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_DIR):
        print(path)

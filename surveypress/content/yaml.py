"""Safe YAML loading of content files, with the line of every mapping and key, and the size limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from surveypress.errors import InputError

# Limits on content files, so that a wrong or hostile file stops the build with a message instead of exhausting it.
MAX_YAML_BYTES = 8 * 1024 * 1024  # a codebook of thousands of questions is a few megabytes
MAX_YAML_DEPTH = 20  # the deepest content structure (a net inside an indicator inside the list) is 5 levels
MAX_TEXT_CHARACTERS = 20_000  # any one text in a YAML file (a description, a changelog entry)


class Located(dict):
    """A YAML mapping that remembers the line it starts on (1-based), so an error can name the row to fix."""

    line: int | None = None
    key_lines: dict | None = None


class _LimitError(yaml.YAMLError):
    """A content file goes past one of the limits above; becomes an InputError naming the row."""

    def __init__(self, expected: str, mark: Any, hint: str, value: Any = None) -> None:
        super().__init__(expected)
        self.expected, self.mark, self.hint, self.value = expected, mark, hint, value


def _construct_located(loader: Any, node: yaml.MappingNode):
    mapping = Located()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    yield mapping
    loader.flatten_mapping(node)
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool):
            continue
        if key in seen:
            raise yaml.constructor.ConstructorError(
                problem=f"the key {key!r} only once in this mapping (it appears again here)",
                problem_mark=key_node.start_mark,
            )
        seen.add(key)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    mapping.update(loader.construct_mapping(node, deep=True))


# libyaml reads the text into events ten times quicker than PyYAML's Python reader, scanner and parser (most of the
# time a no-change rebuild of a 300-indicator publication took); PyYAML without libyaml falls back to them.
try:
    from yaml.cyaml import CParser as _LIBYAML
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _LIBYAML = None
PYTHON_EVENTS = (yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser)


def locating_loader(events: tuple[type, ...]) -> type:
    """The content files' YAML loader, its events read by `events` (libyaml's parser, or PYTHON_EVENTS)."""

    class Loader(yaml.composer.Composer, *events, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """Safe YAML loading that records each mapping's line and refuses a key given twice in one mapping.

        It also refuses anchors and aliases (a few lines of aliases expand to gigabytes: content files do not need
        them), nesting deeper than MAX_YAML_DEPTH and any text longer than MAX_TEXT_CHARACTERS, while composing,
        before anything is built from the document. Composing is PyYAML's Python composer (these checks hook into
        it), whichever parser gives it the events.
        """

        _depth = 0

        def __init__(self, stream: str) -> None:
            if events == PYTHON_EVENTS:
                yaml.reader.Reader.__init__(self, stream)
                yaml.scanner.Scanner.__init__(self)
                yaml.parser.Parser.__init__(self)
            else:
                events[0].__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise _LimitError(
                    "YAML without anchors (&name) or aliases (*name)",
                    event.start_mark,
                    "Write each value out in full; content files refuse aliases so a small file cannot expand into a "
                    "huge one",
                )
            if isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_TEXT_CHARACTERS:
                raise _LimitError(
                    f"a text of at most {MAX_TEXT_CHARACTERS:,} characters",
                    event.start_mark,
                    "Shorten it",
                    value=f"{len(event.value):,} characters",
                )
            collection = isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent)
            self._depth += collection
            try:
                if self._depth > MAX_YAML_DEPTH:
                    raise _LimitError(
                        f"YAML nested at most {MAX_YAML_DEPTH} levels deep", event.start_mark, "Check the indentation"
                    )
                return super().compose_node(parent, index)
            finally:
                self._depth -= collection

    Loader.add_constructor("tag:yaml.org,2002:map", _construct_located)
    return Loader


_PythonLoader = locating_loader(PYTHON_EVENTS)
_LocatingLoader = locating_loader((_LIBYAML,)) if _LIBYAML is not None else _PythonLoader
# Lets code that writes YAML back (e.g. a test fixture) treat a Located mapping as a plain one.
yaml.SafeDumper.add_representer(Located, yaml.representer.SafeRepresenter.represent_dict)


def line_of(entry: Any, key: str | None = None) -> int | None:
    """The line of `key` in a mapping read by `read_yaml` (or the line the mapping starts on), if known."""
    key_lines = getattr(entry, "key_lines", None) or {}
    if key is not None and key in key_lines:
        return key_lines[key]
    return getattr(entry, "line", None)


def refuse_oversized(file: str | Path, size: int, limit: int, what: str, hint: str, setting: str = "") -> None:
    """A file larger than its limit is refused before it is read (a wrong file, or one built to exhaust memory);
    `setting` names where the limit is set."""
    if size > limit:
        expected = f"{what} of at most {limit:,} bytes" + (f" ({setting})" if setting else "")
        raise InputError(file, expected, value=f"{size:,} bytes", hint=hint)


def read_yaml(path: Path) -> Any:
    """Reads a UTF-8 YAML file; a missing file, a wrong encoding or a syntax error becomes an InputError."""
    if not path.is_file():
        raise InputError(path, "a YAML file at this path", hint="Check the content folder")
    refuse_oversized(path, path.stat().st_size, MAX_YAML_BYTES, "a YAML file", "Check that this is the right file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            path,
            "UTF-8 text",
            value=raw[error.start : error.start + 4].hex(" "),
            hint="Save the file as UTF-8",
        ) from None
    try:
        try:
            return yaml.load(text, Loader=_LocatingLoader)  # noqa: S506 - a safe loader
        except (yaml.reader.ReaderError, yaml.scanner.ScannerError, yaml.parser.ParserError):
            if _LocatingLoader is _PythonLoader:
                raise
            # libyaml words a syntax error more tersely than PyYAML's parser, which also says what it found
            # instead: the file is read again by the Python parser for its message.
            return yaml.load(text, Loader=_PythonLoader)  # noqa: S506 - a safe loader
    except _LimitError as error:
        raise InputError(path, error.expected, row=error.mark.line + 1, value=error.value, hint=error.hint) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
        if context and context_mark is not None and context_mark.line != getattr(mark, "line", None):
            problem = f"{context} that starts on row {context_mark.line + 1}: {problem}"
        if isinstance(error, yaml.constructor.ConstructorError) and problem.startswith("the key"):
            raise InputError(path, problem, row=row) from None
        raise InputError(path, f"valid YAML ({problem})", row=row) from None

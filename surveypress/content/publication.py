"""The Publication: everything a build reads from the content folder, and the file names it holds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from surveypress.content.codebook import Codebook, Question
from surveypress.content.indicators import Indicator
from surveypress.content.labels import refuse_undeclared_languages_within
from surveypress.content.meta import Publication as PublicationFile
from surveypress.content.names import require_name
from surveypress.content.yaml import read_yaml
from surveypress.errors import InputError
from surveypress.languages import DEFAULT_LANGUAGES, Label, by_primary_subtag

CHANGELOG = "changelog.yml"
PUBLISHED_FIGURES = "published_figures.csv"
CHARTS = "charts.yml"
# Content files read by load_publication when present, for the stages that use them (Publication.document).
OPTIONAL_DOCUMENTS = (CHANGELOG, CHARTS)
TEMPLATE_SUFFIX = ".md.j2"  # a page template: templates/[<tag>/]<page>.md.j2 -> docs/[<tag>/]<page>.md


@dataclass(frozen=True)
class Disclosure:
    low_base: int = 30
    min_cell: int = 5
    min_k: int = 3


@dataclass(frozen=True)
class Recodes:
    """What a public-use file changes in one population's microdata before it is released."""

    file: str  # project-relative path of the released file: layout.public_use_file(population)
    drop: tuple[str, ...] = ()
    # column -> groups of codes released as one (the first code of each group stands for the group)
    coarsen: tuple[tuple[str, tuple[tuple[int, ...], ...]], ...] = ()
    # column -> highest code released; higher codes are released as it
    top_code: tuple[tuple[str, int], ...] = ()

    def classes(self, question: Question) -> dict[int, int] | None:
        """Each code of a single/scale question mapped to the code it is released as; None if dropped."""
        if question.id in self.drop:
            return None
        released = {code: code for code in question.codes}
        for column, groups in self.coarsen:
            if column == question.id:
                for group in groups:
                    for code in group:
                        released[code] = group[0]
        for column, highest in self.top_code:
            if column == question.id:
                for code in question.codes:
                    if code > highest:
                        released[code] = released[highest] if highest in released else highest
        return released


@dataclass(frozen=True)
class Release:
    """The microdata release policy (publication.yml `release`): `none`, `public-use` (with recodes) or `full`."""

    policy: str = "full"
    recodes: tuple[tuple[str, Recodes], ...] = ()
    legal_basis: str = ""

    def of(self, population: str) -> Recodes | None:
        return dict(self.recodes).get(population)


@dataclass
class Publication:
    content_dir: Path
    project_root: Path
    meta: PublicationFile  # publication.yml (content/meta.py); a mapping given here is read into one
    codebook: Codebook
    indicators: list[Indicator]
    disclosure: Disclosure
    release: Release = Release()

    languages: tuple[str, ...] = DEFAULT_LANGUAGES[:1]
    # The content files other stages use, read once by load_publication.
    documents: dict[str, Any] = field(default_factory=dict)  # changelog.yml, charts.yml as read: `document()`
    figures_text: str | None = None  # published_figures.csv as text (UTF-8, without a byte-order mark)
    _indicator_index: dict[str, int] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.meta, PublicationFile):
            self.meta = PublicationFile.of(self.meta)

    @property
    def primary(self) -> str:
        """The primary language (the first declared): its pages sit at the docs root, its labels in the plain
        label columns."""
        return self.languages[0]

    def indicator(self, indicator_id: str) -> Indicator:
        # Found through an index of positions (a scan per lookup made the stages quadratic in the indicators); the
        # list may be changed after loading, so a position is checked before it is trusted, and the index rebuilt.
        for rebuilt in (False, True):
            index = self._indicator_index
            if rebuilt or index is None:
                index = self._indicator_index = {}
                for position, indicator in enumerate(self.indicators):
                    index.setdefault(indicator.id, position)
            position = index.get(indicator_id)
            if position is not None and position < len(self.indicators):
                indicator = self.indicators[position]
                if indicator.id == indicator_id:
                    return indicator
        raise KeyError(indicator_id)

    def released_file(self, population: str) -> str | None:
        """The project-relative path of the microdata file released for a population, or None (`release: none`)."""
        if self.release.policy == "none":
            return None
        if self.release.policy == "public-use":
            return self.release.of(population).file
        path = self.codebook.populations[population].microdata
        try:
            return path.resolve().relative_to(self.project_root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    @property
    def published_figures(self) -> Path:
        return self.content_dir / PUBLISHED_FIGURES

    def document(self, name: str) -> Any:
        """A YAML file of the content folder as load_publication read it (read here, once, for a publication made
        without it); a missing file is refused by `read_yaml`."""
        if name not in self.documents:
            self.documents[name] = read_yaml(self.content_dir / name)
        return self.documents[name]

    @property
    def changelog_entries(self) -> list:
        """changelog.yml's entries as read (empty when there is none): enough for the publication date."""
        entries = self.documents.get(CHANGELOG) if (self.content_dir / CHANGELOG).is_file() else None
        return entries if isinstance(entries, list) else []

    def changelog(self) -> list[dict[str, Any]]:
        """changelog.yml checked (newest first; its first version must be the publication's version)."""
        path = self.content_dir / CHANGELOG
        entries = self.document(CHANGELOG)
        if not isinstance(entries, list) or not entries:
            raise InputError(path, "a non-empty list of versions, newest first")
        checked = []
        for index, entry in enumerate(entries, start=1):
            where = f"entry {index}"
            if not isinstance(entry, dict) or not entry.get("version") or not entry.get("date"):
                raise InputError(path, "a mapping with 'version', 'date' and 'changes'", column=where, value=entry)
            changes = entry.get("changes")
            if not isinstance(changes, list) or not changes:
                raise InputError(path, "a non-empty list of changes", column=f"{where}.changes", value=changes)
            refuse_undeclared_languages_within(changes, path, self.languages, f"{where}.changes")
            changes = [by_primary_subtag(change) for change in changes]
            for change in changes:
                if not isinstance(change, dict) or not Label(texts=change).has(self.primary):
                    raise InputError(
                        path,
                        f"a change with non-empty text in the primary language ({self.primary})",
                        column=f"{where}.changes",
                        value=change,
                    )
            checked.append({"version": str(entry["version"]), "date": str(entry["date"]), "changes": changes})
        version = str(self.meta.version or "")
        if checked[0]["version"] != version:
            raise InputError(
                path,
                f"the newest entry to be the publication's version {version} (publication.yml)",
                column="entry 1.version",
                value=checked[0]["version"],
            )
        return checked

    @property
    def templates_dir(self) -> Path:
        """The primary language's templates: `templates/<primary>/` when it exists, else `templates/` itself."""
        return self.templates_for(self.primary) or self.content_dir / "templates"

    def templates_for(self, language: str) -> Path | None:
        """The page templates of one language, or None when the content has none for it.

        `templates/<tag>/` per language (contract: Templates per language); a publication whose primary language
        has no folder of its own keeps that language's templates flat in `templates/`."""
        root = self.content_dir / "templates"
        folder = root / language
        if folder.is_dir():
            return folder
        if language == self.primary and root.is_dir():
            return root
        return None

    @property
    def editions(self) -> list[tuple[str, Path]]:
        """(language, templates folder) for every declared language that has page templates, primary first.

        A declared language without templates still gets its labels in the tables and its text in the data
        package; it just has no pages yet (build.py says so on its progress line)."""
        return [(tag, folder) for tag in self.languages if (folder := self.templates_for(tag)) is not None]

    def pages(self, language: str) -> tuple[Path, list[str]]:
        """The folder of `language`'s page templates and the templates in it that are pages (not partials: `_*`),
        each path part a plain name (`require_name`): a page becomes `docs/[<tag>/]<page>.md` and a URL."""
        templates_dir = self.templates_for(language) or self.content_dir / "templates" / language
        if not templates_dir.is_dir():
            raise InputError(templates_dir, f"a folder of page templates (*{TEMPLATE_SUFFIX})")
        # Flat templates/ of the primary language: the other languages' folders in it are not its pages.
        others = {templates_dir / tag for tag in self.languages if tag != language}
        pages = sorted(
            path.relative_to(templates_dir).as_posix()
            for path in templates_dir.rglob(f"*{TEMPLATE_SUFFIX}")
            if not path.name.startswith("_") and not any(path.is_relative_to(other) for other in others)
        )
        if not pages:
            raise InputError(templates_dir, f"at least one page template named *{TEMPLATE_SUFFIX}")
        for page in pages:
            for part in page[: -len(TEMPLATE_SUFFIX)].split("/"):
                require_name(
                    part,
                    templates_dir / page,
                    f"a page template named with letters, digits and . _ + - (e.g. findings/usage{TEMPLATE_SUFFIX})",
                )
        return templates_dir, pages

    def docs_prefix(self, language: str) -> str:
        """Where a language's pages go under docs/: '' for the primary, '<tag>/' for the others."""
        return "" if language == self.primary else f"{language}/"


# A folded YAML string joins lines with a space, which Chinese text must not have between two characters.
CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")


def meta_text(pub: Publication, key: str, language: str) -> str:
    """A publication.yml text (title, description) in `language`: a label mapping, or one string."""
    value = getattr(pub.meta, key) or ""
    if isinstance(value, dict):
        label = Label(texts={str(k): str(v) for k, v in value.items()})
        text = label.text(language) if label.has(language) else ""
    else:
        text = str(value)
    return CJK_GAP.sub("", text.strip())

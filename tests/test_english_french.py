"""A publication whose primary language is English and whose second is French builds in both: pages in each
language, French number formats on the French page, French labels and engine text in the French charts; and
`surveypress init --languages en,fr` drafts French pages that build into a site in both languages."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
import yaml

from surveypress import build

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"

# The tiny publication's English texts in French.
FRENCH = {
    "Tiny test survey": "Petite enquête de test",
    "A tiny synthetic survey used by the tests.": "Une petite enquête synthétique utilisée par les tests.",
    "People": "Habitants",
    "Firms": "Entreprises",
    "Where do you live": "Où habitez-vous",
    "Town": "Ville",
    "Countryside": "Campagne",
    "Have you used online services": "Avez-vous utilisé les services en ligne",
    "Used": "Utilisé",
    "Never used": "Jamais utilisé",
    "Which channels did you use": "Quels canaux avez-vous utilisés",
    "Mobile app": "Application mobile",
    "Website": "Site web",
    "Self-service kiosk": "Borne libre-service",
    "How satisfied are you": "Êtes-vous satisfait",
    "Very satisfied": "Très satisfait",
    "Fairly satisfied": "Plutôt satisfait",
    "Neutral": "Neutre",
    "Fairly dissatisfied": "Plutôt insatisfait",
    "Very dissatisfied": "Très insatisfait",
    "Firm size": "Taille de l’entreprise",
    "Small": "Petite",
    "Medium or large": "Moyenne ou grande",
    "Use of online services": "Recours aux services en ligne",
    "Channels used": "Canaux utilisés",
    "Satisfaction": "Satisfaction",
    "Satisfied": "Satisfaits",
    "First release.": "Première publication.",
}


def _in_french(value):
    """A content document with every label's Chinese text replaced by the French of its English text."""
    if isinstance(value, dict):
        if "zh" in value and "en" in value:
            value = {("fr" if key == "zh" else key): text for key, text in value.items()}
            value["fr"] = FRENCH[value["en"]]
            value = {key: text for key, text in value.items() if key != "zh"}
        return {key: _in_french(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_in_french(item) for item in value]
    return value


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    project = tmp_path_factory.mktemp("english-french") / "tiny"
    shutil.copytree(TINY, project)
    content = project / "publication"
    for name in ("codebook.yml", "indicators.yml", "changelog.yml", "publication.yml"):
        document = _in_french(yaml.safe_load((content / name).read_text(encoding="utf-8")))
        (content / name).write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    meta = yaml.safe_load((content / "publication.yml").read_text(encoding="utf-8"))
    meta["languages"] = ["en", "fr"]
    (content / "publication.yml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), "utf-8")
    (content / "charts.yml").write_text(
        "charts:\n  - id: used_online\n    page: index\n    series:\n      - {indicator: p_satisfaction}\n"
        "    title:\n      en: \"{{ pct('p_satisfaction', 1) }} are very satisfied\"\n"
        "      fr: \"{{ pct('p_satisfaction', 1) }} sont très satisfaits\"\n",
        encoding="utf-8",
    )
    (content / "templates" / "index.md.j2").write_text(
        "# Tiny survey\n\n{{ pct('p_satisfaction', 1) }} (n={{ base('p_satisfaction') }}).\n\n"
        "{{ chart('used_online') }}\n",
        encoding="utf-8",
    )
    (content / "templates" / "fr").mkdir()
    (content / "templates" / "fr" / "index.md.j2").write_text(
        "# Petite enquête\n\n{{ question('p_satisfaction').option(1).fr }} : {{ pct('p_satisfaction', 1) }} "
        "(n={{ base('p_satisfaction') }}).\n\n{{ chart('used_online') }}\n",
        encoding="utf-8",
    )
    stream = io.StringIO()
    build.build(content, out_dir=project, stream=stream)
    return project, stream.getvalue()


def test_each_language_has_its_pages(built):
    project, _log = built
    assert (project / "docs" / "index.md").read_text(encoding="utf-8").count("\n# Tiny survey\n") == 1
    assert (project / "docs" / "fr" / "index.md").read_text(encoding="utf-8").count("\n# Petite enquête\n") == 1


def test_the_french_page_writes_numbers_as_french_does(built):
    project, _log = built
    english = (project / "docs" / "index.md").read_text(encoding="utf-8")
    french = (project / "docs" / "fr" / "index.md").read_text(encoding="utf-8")
    # A decimal comma and a no-break space before the percent sign, where English has a point and none.
    assert re.search(r"\d+\.\d%", english)
    assert re.search(r"Très satisfait : \d+,\d\u00a0%", french), french[:400]


def test_the_french_chart_has_french_labels_and_engine_text(built):
    project, _log = built
    charts = project / "docs" / "assets" / "charts"
    svg = (charts / "fr" / "used_online.svg").read_text(encoding="utf-8")
    assert "Très satisfait" in svg and "Plutôt insatisfait" in svg and "sont très satisfaits" in svg
    assert "Very satisfied" not in svg
    # The source line under the axis and each bar's text are in French, from the French catalogue.
    assert "Données\u00a0: Petite enquête de test" in svg and "Microdonnées" in svg
    assert "intervalle de confiance à 95\u00a0%" in svg
    assert "Very satisfied" in (charts / "used_online.svg").read_text(encoding="utf-8")


def test_the_build_names_the_font_each_edition_was_drawn_with(built):
    _project, log = built
    lines = [line for line in log.splitlines() if line.startswith("draw ")]
    assert len(lines) == 2 and "(en)" in lines[0] and "(fr)" in lines[1], log
    assert all(line.split("drawn, ")[1].startswith("no CJK text") for line in lines), log


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`surveypress init --languages en,fr` on a CSV export, then `surveypress build`: the whole site."""
    from test_init_end_to_end import answers, surveypress

    project = tmp_path_factory.mktemp("init-english-french") / "my-survey"
    project.mkdir()
    answers().to_csv(project / "people.csv", index=False)
    result = surveypress(project, "init", "people.csv", "--population", "people", "--languages", "en,fr")
    assert result.returncode == 0, result.stderr
    result = surveypress(project, "build")
    assert result.returncode == 0, result.stderr[-3000:]
    return project


def test_init_drafts_french_pages_and_the_draft_builds_a_site_in_both(drafted):
    assert (drafted / "site" / "index.html").is_file() and (drafted / "site" / "fr" / "index.html").is_file()
    methods = (drafted / "docs" / "fr" / "methods.md").read_text(encoding="utf-8")
    assert "# Méthodes" in methods and "Intervalles de confiance" in methods
    french = (drafted / "site" / "fr" / "index.html").read_text(encoding="utf-8")
    assert 'lang="fr"' in french and "Téléchargements" in french

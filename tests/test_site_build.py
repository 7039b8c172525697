"""`surveypress build` ends with the site: `mkdocs build --strict` into site/, skipped when nothing it reads changed;
without mkdocs.yml it stops at once, saying what writes one. `surveypress serve` needs mkdocs.yml too."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from surveypress import __main__ as command
from surveypress import build
from surveypress.errors import InputError
from surveypress.website import build as site_build

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).parent / "fixtures" / "tiny"
# A page linking the workbook and the archive as a template author would, in Markdown.
DOWNLOADS_PAGE = "# 下载\n\n[工作簿]({{ data_root }}downloads/{{ workbook }})，[全部]({{ data_root }}{{ archive }})\n"


def surveypress(project: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "surveypress", *arguments],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The tiny project with the repository's mkdocs.yml and a downloads page, after `surveypress build`."""
    project = tmp_path_factory.mktemp("site") / "tiny"
    shutil.copytree(TINY, project)
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    (project / "publication/templates/downloads.md.j2").write_text(DOWNLOADS_PAGE, encoding="utf-8")
    result = surveypress(project, "build")
    assert result.returncode == 0, result.stderr[-3000:]
    return project, result.stderr


def test_surveypress_build_without_mkdocs_yml_stops_before_the_tables_naming_what_writes_one(tmp_path: Path) -> None:
    shutil.copytree(TINY, tmp_path / "tiny")
    stream = io.StringIO()
    code = build.main(["--content", str(tmp_path / "tiny/publication")], stream=stream, site=True)
    lines = stream.getvalue().splitlines()
    assert code == 2
    assert lines[-1].startswith("error: mkdocs.yml: expected the site's MkDocs configuration")
    assert "surveypress init SOURCE writes one" in lines[-1] and "--no-site" in lines[-1]
    assert not (tmp_path / "tiny/datasets/indicators.csv").exists()


def test_build_tables_and_no_site_stop_after_the_pages_without_mkdocs_yml(tmp_path: Path) -> None:
    shutil.copytree(TINY, tmp_path / "tiny")
    content = str(tmp_path / "tiny/publication")
    stream = io.StringIO()
    assert build.main(["--content", content, "--no-site"], stream=stream, site=True) == 0, stream.getvalue()
    assert "mkdocs" not in [line.split()[0] for line in stream.getvalue().splitlines()]
    with pytest.raises(SystemExit):
        build.main(["--content", content, "--no-site"], stream=io.StringIO())  # build_tables.py has no such option


def test_surveypress_build_ends_with_a_strict_site_that_links_the_plugin_stylesheet(built) -> None:
    project, log = built
    stages = [line.split()[0] for line in log.splitlines()]
    assert stages[-4:] == ["site", "metadata", "mkdocs", "done"]
    assert "site/: 3 pages, built" in log
    page = (project / "site/index.html").read_text(encoding="utf-8")
    assert 'href="assets/stylesheets/site.css' in page
    assert (project / "site/assets/stylesheets/site.css").is_file()


def test_a_template_linking_the_workbook_builds_strictly_without_a_link_notice(built) -> None:
    project, log = built
    assert "MkDocs:" not in log  # MkDocs' link notices are shown on the mkdocs line
    page = (project / "site/downloads.html").read_text(encoding="utf-8")
    assert 'href="downloads/indicators.xlsx"' in page
    assert (project / "site/downloads/indicators.xlsx").is_file()


def test_a_second_build_with_nothing_changed_leaves_the_site_alone(built) -> None:
    project, _log = built
    before = (project / "site/index.html").stat().st_mtime_ns
    result = surveypress(project, "build")
    assert result.returncode == 0, result.stderr
    assert "site/: 3 pages, as the last build left it" in result.stderr
    assert (project / "site/index.html").stat().st_mtime_ns == before


def test_a_page_written_by_hand_rebuilds_the_site_though_the_tables_are_unchanged(built) -> None:
    project, _log = built
    (project / "docs/extra.md").write_text("# Extra\n\n[x](nowhere.md)\n", encoding="utf-8")
    with pytest.raises(InputError, match="a site that builds with mkdocs build --strict.*nowhere.md"):
        site_build.build_site(project, inputs="unchanged")
    (project / "docs/extra.md").write_text("# Extra\n\n[w](downloads/indicators&#46;xlsx)\n", encoding="utf-8")
    site = site_build.build_site(project, inputs="unchanged")
    assert site.built and (project / "site/extra.html").is_file()
    (notice,) = site.notices
    assert notice.startswith("Doc file 'extra.md' contains an unrecognized relative link 'downloads/indicators&#46;")


def test_surveypress_serve_without_mkdocs_yml_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    shutil.copytree(TINY, tmp_path / "tiny")
    assert command.main(["serve", "--content", str(tmp_path / "tiny/publication")]) == 2
    assert capsys.readouterr().err.startswith("error: mkdocs.yml: expected the site's MkDocs configuration")


def test_the_usage_names_init_build_and_serve(capsys: pytest.CaptureFixture) -> None:
    assert command.main(["--help"]) == 0
    usage = capsys.readouterr().err
    assert all(f"surveypress {name} " in usage for name in ("init", "build", "serve"))
    with pytest.raises(SystemExit):
        command.main(["serve", "--help"])
    assert "127.0.0.1" in capsys.readouterr().out

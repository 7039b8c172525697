"""Site benchmark: builds a synthetic 300-page publication end to end and times it.

Run from the project root (one command; everything happens in a temporary folder, nothing in the project changes):

    .venv/bin/python benchmarks/bench_site.py            # 300 indicator pages, one chart each
    .venv/bin/python benchmarks/bench_site.py --pages 50 # a quicker run
    .venv/bin/python benchmarks/bench_site.py --default  # the default publication, microdata to built site

It writes a content folder of its own (codebook, indicators, charts, one page template per indicator, an index),
synthetic microdata that follows the codebook, and a copy of the project's mkdocs.yml (the build generates the
rest, every page in the menu); then runs the whole build (`build_tables.py` as a process: load, tabulate, protect,
reconcile, tables, charts, pages, data package) and `mkdocs build`, and prints the time of each, the pages and the
built size.
Targets on the 2-core machine: build + mkdocs build <= 30 s at 300 pages (cold: every chart drawn), <= 5 s for a
rebuild with nothing changed (`--warm`), <= 15 s for the default publication.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent

RESPONDENTS = 2000
SECTION_PAGES = 10  # indicator pages per menu section
TARGET_SECONDS = 30  # issue 11 (it was 60 s before the chart cache)
DEFAULT_TARGET_SECONDS = 15
WARM_TARGET_SECONDS = 5  # build + mkdocs build of the 300-page site with nothing changed (issue 11)
SCALE = ["非常满意", "比较满意", "一般", "不太满意", "很不满意"]


def _dump(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _question(index: int) -> dict:
    """Question `index`: a cycle of single, scale and multi-choice, every third one behind the filter question."""
    kind = ("single", "scale", "multi")[index % 3]
    size = 3 + index % 5
    options = [
        {"code": code, "zh": SCALE[code - 1] if kind == "scale" else f"选项{code}", "en": f"Option {code}"}
        for code in range(1, (5 if kind == "scale" else size) + 1)
    ]
    return {
        "id": f"q{index:03d}",
        "population": "people",
        "type": kind,
        "text": {"zh": f"第{index}题", "en": f"Question {index}"},
        "options": options,
        "universe": {"question": "used", "codes": [1]} if index % 3 == 1 else None,
    }


def write_content(project: Path, pages: int) -> None:
    """The synthetic content folder, microdata, mkdocs.yml and theme files under `project`."""
    content = project / "publication"
    meta = yaml.safe_load((ROOT / "publication" / "publication.yml").read_text(encoding="utf-8"))
    meta.update(
        name="synthetic-benchmark",
        title={"zh": "合成基准出版物", "en": "Synthetic benchmark publication"},
        microdata={"people": "datasets/microdata/people.csv"},
    )
    meta["disclosure"]["quasi_identifiers"] = {"people": ["area", "age"]}
    # The default publication's menu and public-use recodes name its own pages and populations. The synthetic menu
    # groups the indicator pages by topic, ten to a section under one "Indicators" section, as a publication of 300
    # pages would: in one flat list, every page would carry all 300 (Material renders the menu into each page and
    # prunes only the sections a page is not in). Its synthetic microdata is released as it is.
    topics = [
        {
            "section": {"zh": f"主题{start // SECTION_PAGES + 1}", "en": f"Topic {start // SECTION_PAGES + 1}"},
            "pages": [f"indicators/q{index:03d}" for index in range(start + 1, min(start + SECTION_PAGES, pages) + 1)],
        }
        for start in range(0, pages, SECTION_PAGES)
    ]
    meta["navigation"] = [
        {"page": "index", "title": {"zh": "首页", "en": "Home"}},
        {"section": {"zh": "指标", "en": "Indicators"}, "pages": topics},
    ]
    meta.pop("public_use", None)
    meta["release"] = "full"
    _dump(content / "publication.yml", meta)

    profile = [
        {
            "id": "area",
            "population": "people",
            "type": "single",
            "text": {"zh": "居住地", "en": "Area"},
            "options": [{"code": 1, "zh": "城镇", "en": "Urban"}, {"code": 2, "zh": "农村", "en": "Rural"}],
            "universe": None,
        },
        {
            "id": "age",
            "population": "people",
            "type": "scale",
            "text": {"zh": "年龄", "en": "Age"},
            "options": [{"code": c, "zh": f"年龄段{c}", "en": f"Age band {c}"} for c in range(1, 5)],
            "universe": None,
        },
        {
            "id": "used",
            "population": "people",
            "type": "single",
            "text": {"zh": "是否使用过", "en": "Used"},
            "options": [{"code": 1, "zh": "使用过", "en": "Yes"}, {"code": 2, "zh": "未使用过", "en": "No"}],
            "universe": None,
        },
    ]
    questions = profile + [_question(index) for index in range(1, pages + 1)]
    _dump(
        content / "codebook.yml",
        {
            "missing": {"no_answer": -9},
            "populations": {"people": {"title": {"zh": "受访者", "en": "Respondents"}}},
            "questions": questions,
        },
    )
    indicators = [{"id": "used", "question": "used", "title": {"zh": "是否使用过", "en": "Used"}}]
    for question in questions[3:]:
        entry = {"id": question["id"], "question": question["id"], "title": question["text"]}
        if question["type"] == "scale":
            entry["nets"] = [{"code": "satisfied", "zh": "满意", "en": "Satisfied", "codes": [1, 2]}]
        indicators.append(entry)
    _dump(content / "indicators.yml", {"breakdowns": {"people": ["area", "age"]}, "indicators": indicators})
    _dump(
        content / "charts.yml",
        {
            "charts": [
                {
                    "id": f"chart_{question['id']}",
                    "page": f"indicators/{question['id']}",
                    "series": [{"indicator": question["id"]}],
                    "sort": "none" if question["type"] == "scale" else "descending",
                    "title": f"{question['text']['zh']}：{{{{ pct('{question['id']}', 1) }}}}选择了第一项",
                }
                for question in questions[3:]
            ]
        },
    )
    _dump(
        content / "changelog.yml",
        [{"version": meta["version"], "date": "2026-11-27", "changes": [{"zh": "基准", "en": "Benchmark"}]}],
    )
    (content / "published_figures.csv").write_text(
        "figure_id,section,population,measure,printed,value,unit,comparison,indicator,category,note\n"
        f"f01,导语,people,回答人数,{RESPONDENTS}人,{RESPONDENTS},base,equal,used,,\n",
        encoding="utf-8",
    )
    templates = content / "templates"
    (templates / "indicators").mkdir(parents=True)
    (templates / "index.md.j2").write_text(
        "# 合成基准\n\n" + "".join(f"- [{q['text']['zh']}](indicators/{q['id']}.md)\n" for q in questions[3:]),
        encoding="utf-8",
    )
    for question in questions[3:]:
        qid = question["id"]
        lines = [f"# {question['text']['zh']}", "", f"回答人数 {{{{ base('{qid}') }}}}。", ""]
        lines += [
            f"- {{{{ label('{qid}', {o['code']}) }}}}：{{{{ pct('{qid}', {o['code']}) }}}}"
            f"（{{{{ ci('{qid}', {o['code']}) }}}}）"
            for o in question["options"]
        ]
        lines += ["", f'{{{{ chart("chart_{qid}") }}}}', ""]
        (templates / "indicators" / f"{qid}.md.j2").write_text("\n".join(lines), encoding="utf-8")

    write_microdata(project / "datasets" / "microdata" / "people.csv", questions)

    # The project's mkdocs.yml as it is: the build writes the settings that follow from the content
    # (mkdocs.generated.yml, with every page in the menu), and the theme comes from the engine's package.
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")


def write_microdata(path: Path, questions: list[dict]) -> None:
    """Seeded answers that follow the codebook: empty outside universes, some no-answers."""
    rng = np.random.default_rng(20221011)
    columns: dict[str, list] = {"respondent_id": [f"S-{n:05d}" for n in range(RESPONDENTS)]}
    used = None
    for question in questions:
        codes = [option["code"] for option in question["options"]]
        asked = np.ones(RESPONDENTS, dtype=bool) if question["universe"] is None else used == 1
        silent = rng.random(RESPONDENTS) < 0.03
        if question["type"] == "multi":
            for code in codes:
                ticked = (rng.random(RESPONDENTS) < 0.4).astype(int)
                cells = np.where(silent, -9, ticked)
                columns[f"{question['id']}_{code}"] = [str(v) if a else "" for v, a in zip(cells, asked, strict=True)]
        else:
            profile = question["id"] in ("area", "age", "used")
            cells = rng.choice(codes, RESPONDENTS)
            cells = cells if profile else np.where(silent, -9, cells)
            if question["id"] == "used":
                used = cells
            columns[question["id"]] = [str(v) if a else "" for v, a in zip(cells, asked, strict=True)]
    path.parent.mkdir(parents=True, exist_ok=True)
    header = list(columns)
    lines = [",".join(header)] + [",".join(columns[c][row] for c in header) for row in range(RESPONDENTS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def folder_size(folder: Path) -> tuple[int, int]:
    files = [path for path in folder.rglob("*") if path.is_file()]
    return sum(path.stat().st_size for path in files), len(files)


def time_build(project: Path, label: str, target: float) -> bool:
    """Runs `build_tables.py` and `mkdocs build` in `project`, each as a process as a user runs them, prints each
    stage and the total; True when within target."""
    started = time.perf_counter()
    built = subprocess.run(
        [sys.executable, str(ROOT / "build_tables.py"), "--content", str(project / "publication")],
        cwd=project,
        capture_output=True,
        text=True,
    )
    tables = time.perf_counter() - started
    print(built.stderr.rstrip())
    if built.returncode != 0:
        raise SystemExit(f"build_tables.py exited {built.returncode}")
    print(f"build     tables, charts, pages and data package: {tables:.1f} s", flush=True)

    started = time.perf_counter()
    environment = {**os.environ, "SOURCE_DATE_EPOCH": "1669507200", "NO_MKDOCS_2_WARNING": "1"}
    mkdocs = Path(sys.executable).with_name("mkdocs")
    subprocess.run(
        [str(mkdocs), "build", "--quiet", "-f", str(project / "mkdocs.yml")],
        cwd=project,
        check=True,
        env=environment,
        stderr=subprocess.DEVNULL,
    )
    site = time.perf_counter() - started
    size, files = folder_size(project / "site")
    built_pages = len(list((project / "site").rglob("*.html")))
    print(f"mkdocs    {built_pages} HTML pages, {files} files, {size / 1024**2:.1f} MB: {site:.1f} s")
    total = tables + site
    passed = total <= target
    print(f"{'PASS' if passed else 'FAIL'}  {label}, build + mkdocs build <= {target:g} s: {total:.1f} s")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    return passed


def bench_site(pages: int = 300, keep: bool = False, warm: bool = False) -> bool:
    """Builds the synthetic site and prints the figures; True when the target is met. With `warm`, builds a second
    time with nothing changed (every chart from the cache the first build filled)."""
    project = Path(tempfile.mkdtemp(prefix="surveypress-site-bench-"))
    try:
        started = time.perf_counter()
        write_content(project, pages)
        print(f"content   {pages} indicator pages written in {time.perf_counter() - started:.1f} s", flush=True)
        passed = time_build(project, f"{pages} pages", TARGET_SECONDS)
        if warm:
            passed &= time_build(project, f"{pages} pages, warm rebuild", WARM_TARGET_SECONDS)
        return passed
    finally:
        if keep:
            print(f"kept {project}")
        else:
            shutil.rmtree(project, ignore_errors=True)


def bench_default(keep: bool = False) -> bool:
    """Builds the default publication from its microdata to the built site, in a copy of the tracked files."""
    project = Path(tempfile.mkdtemp(prefix="surveypress-default-bench-"))
    try:
        tracked = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.split("\0")
        for name in filter(None, tracked):
            target = project / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
        return time_build(project, "default publication, microdata to site", DEFAULT_TARGET_SECONDS)
    finally:
        if keep:
            print(f"kept {project}")
        else:
            shutil.rmtree(project, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300, help="indicator pages (one chart each)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project folder to inspect it")
    parser.add_argument(
        "--default", action="store_true", help="time the default publication instead (microdata to site, <= 15 s)"
    )
    parser.add_argument("--warm", action="store_true", help="then build again with nothing changed (<= 5 s)")
    arguments = parser.parse_args()
    if arguments.default:
        sys.exit(0 if bench_default(arguments.keep) else 1)
    sys.exit(0 if bench_site(arguments.pages, arguments.keep, arguments.warm) else 1)


if __name__ == "__main__":
    main()

"""Stage "package": the Frictionless Data Package (v2) descriptor for everything under `datasets/`.

Takes: the `Publication` (metadata, codebook, indicators) and the staging root the CSV files were written to
(microdata, an input, is read from the staging root when staged there, else from the project).
Gives: a dict for `datapackage.json` — package metadata in Chinese (English in `title_en` / `description_en`, since
v2 allows a single string `title`), and one resource per CSV with its size, sha256 hash and a full Table Schema:
field titles and descriptions, types, codebook categories and enum constraints, labelled missing values, primary keys.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

from surveypress.errors import InputError
from surveypress.outputs import build_epoch, sha256_of
from surveypress.spec import Publication, Question, read_yaml

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
# A folded YAML string joins lines with a space, which Chinese text must not have between two characters.
CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")
SUPPRESSED = "[c]"
TABLE_MISSING = [
    {"value": "", "label": "空白：不适用（例如没有标记、没有说明）/ blank: not applicable"},
    {"value": SUPPRESSED, "label": "[c] 为防止识别个人而隐藏的小数值 / suppressed to protect confidentiality"},
]


def build_datapackage(pub: Publication, staging_root: Path) -> dict[str, Any]:
    """The datapackage.json document for the files staged under `staging_root`."""
    staging_root = Path(staging_root)
    meta = pub.meta
    changelog_path = pub.content_dir / "changelog.yml"
    changelog = read_yaml(changelog_path) if changelog_path.is_file() else []
    created = dt.datetime.fromtimestamp(build_epoch(meta, changelog), tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    title = meta.get("title") or {}
    description = meta.get("description") or {}
    package: dict[str, Any] = {
        "$schema": PROFILE,
        "name": meta.get("name", pub.content_dir.name),
        "title": str(title.get("zh", "")).strip(),
        "title_en": str(title.get("en", "")).strip(),
        "description": CJK_GAP.sub("", str(description.get("zh", "")).strip()),
        "description_en": str(description.get("en", "")).strip(),
        "version": str(meta.get("version", "")),
        "created": created,
        "languages": [meta.get("language", "zh-Hans"), "en"],
        "keywords": [str(word) for word in meta.get("keywords") or []],
        "licenses": [dict(entry) for entry in meta.get("licenses") or []],
        "sources": [_source(entry) for entry in meta.get("sources") or []],
        "contributors": [dict(entry) for entry in meta.get("contributors") or []],
        "resources": [],
    }
    if "synthetic" in meta:
        package["synthetic"] = bool(meta["synthetic"])
    package = {key: value for key, value in package.items() if value not in ("", None, [])}
    package["resources"] = [_resource(pub, path, relative) for path, relative in _resource_files(pub, staging_root)]
    return package


def _source(entry: dict[str, Any]) -> dict[str, Any]:
    # YAML reads an unquoted date as a date object; the descriptor wants text.
    return {key: str(value) for key, value in entry.items()}


def _resource_files(pub: Publication, staging_root: Path) -> list[tuple[Path, str]]:
    """(file to measure, path relative to the project) for every CSV under datasets/, in a stable reading order."""
    found: dict[str, Path] = {}
    datasets = staging_root / "datasets"
    if datasets.is_dir():
        for path in datasets.rglob("*.csv"):
            found[path.relative_to(staging_root).as_posix()] = path
    # Input microdata that is not released is never described, wherever it sits.
    for population in pub.codebook.populations.values():
        if pub.release.policy != "full":
            found.pop(_relative(pub, population.microdata), None)
    # Microdata released in full is an input; when the build did not stage a copy, the project's file is published.
    for population in pub.codebook.populations.values():
        relative = pub.released_file(population.id)
        # Parquet microdata is not described yet: the resource list covers the CSV files only.
        if (
            pub.release.policy == "full"
            and relative not in found
            and population.microdata.is_file()
            and population.microdata.suffix == ".csv"
        ):
            found[relative] = population.microdata
    order = [pub.released_file(population.id) for population in pub.codebook.populations.values()]
    order.append("datasets/indicators.csv")
    order.extend(f"datasets/indicators/{indicator.id}.csv" for indicator in pub.indicators)
    order.extend(["datasets/published_figures.csv", "datasets/reconciliation.csv", "datasets/disclosure.csv"])
    known = [relative for relative in order if relative in found]
    others = sorted(relative for relative in found if relative not in order)
    return [(found[relative], relative) for relative in [*known, *others]]


def _relative(pub: Publication, path: Path) -> str:
    try:
        return path.resolve().relative_to(pub.project_root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _resource(pub: Publication, path: Path, relative: str) -> dict[str, Any]:
    header = _header(path, relative)
    kind, name, title, title_en, description, schema = _describe(pub, relative, header)
    return {
        "name": name,
        "type": "table",
        "path": relative,
        "title": title,
        "title_en": title_en,
        "description": description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": path.stat().st_size,
        "hash": f"sha256:{sha256_of(path)}",
        "kind": kind,
        "schema": schema,
    }


def _header(path: Path, relative: str) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise InputError(relative, "a CSV file with a header row", row=1)
    return header


def _describe(pub: Publication, relative: str, header: list[str]) -> tuple[str, str, str, str, str, dict[str, Any]]:
    """(kind, name, title, English title, description, schema) of one resource, chosen by its path."""
    for population in pub.codebook.populations.values():
        if relative == pub.released_file(population.id):
            title = f"{population.title.zh}问卷微观数据"
            description = (
                f"每行一位受访者（{population.title.zh}），每题一列（多选题每个选项一列，0/1）。"
                "空白表示未被问到（不在该题的询问范围内），"
                f"{pub.codebook.no_answer} 表示问到但未作答。"
            )
            if pub.meta.get("synthetic"):
                description += "本文件是按报告数字重建的合成数据，单项汇总与报告一致，交叉分析不反映真实情况。"
            schema = _microdata_schema(pub, population.id, header, relative)
            return (
                "microdata",
                f"microdata-{population.id}",
                title,
                f"{population.title.en} microdata",
                description,
                schema,
            )
    if relative == "datasets/indicators.csv":
        return (
            "indicators",
            "indicators",
            "全部指标汇总表",
            "All indicators",
            "每个指标 × 分组 × 类别一行：人数、基数、百分比、95% Wilson 区间及可靠性与隐藏标记。",
            _indicator_schema(pub, None),
        )
    if relative.startswith("datasets/indicators/"):
        indicator_id = Path(relative).stem
        try:
            indicator = pub.indicator(indicator_id)
        except KeyError:
            indicator = None
        if indicator is not None:
            return (
                "indicator",
                f"indicator-{indicator.id}",
                indicator.title.zh,
                indicator.title.en,
                f"指标“{indicator.title.zh}”的汇总表，列与全部指标汇总表相同。",
                _indicator_schema(pub, indicator.id),
            )
    if relative == "datasets/published_figures.csv":
        return (
            "published_figures",
            "published-figures",
            "报告公布的数字",
            "Figures printed in the report",
            "报告中出现的每一个数字，按原文录入一次，注明出处段落、单位、比较方式和对应的指标。",
            _published_figures_schema(pub),
        )
    if relative == "datasets/reconciliation.csv":
        return (
            "reconciliation",
            "reconciliation",
            "报告数字核对表",
            "Reconciliation of the report's figures",
            "报告中的每个数字与由微观数据重算的数值并列，标明能否重现及原因。",
            _reconciliation_schema(pub),
        )
    if relative == "datasets/disclosure.csv":
        return (
            "disclosure",
            "disclosure",
            "微观数据披露风险检查（k-匿名）",
            "Disclosure check of the microdata (k-anonymity)",
            "每个公开的微观数据文件一行：准标识变量组合下最小的组有多少条记录（k），以及样本唯一记录数。",
            _disclosure_schema(),
        )
    name = relative.removeprefix("datasets/").removesuffix(".csv").replace("/", "-")
    fields = [{"name": column, "type": "string", "title": column} for column in header]
    return "other", name, name, name, "", {"fields": fields, "missingValues": [""]}


def _field(name: str, type_: str, title: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "title": title, "description": description, **extra}


def _microdata_schema(pub: Publication, population: str, header: list[str], relative: str) -> dict[str, Any]:
    codebook = pub.codebook
    fields = [
        _field(
            "respondent_id",
            "string",
            "受访者编号",
            "随机生成、不含任何个人信息的编号 / opaque random respondent id",
            constraints={"required": True, "unique": True},
        )
    ]
    design = codebook.populations[population].design
    if design is not None:
        for column, type_, title in (
            (design.weight, "number", "Weight"),
            (design.strata, "string", "Stratum"),
            (design.cluster, "string", "Cluster (PSU)"),
            (design.fpc if isinstance(design.fpc, str) else None, "number", "PSUs in the stratum's population"),
        ):
            if column:
                fields.append(_field(column, type_, title, f"Sample design: {title.lower()}"))
    for question in codebook.questions_of(population):
        fields.extend(_question_fields(pub, question))
    recodes = pub.release.of(population)
    if recodes is not None:
        fields = [field for field in fields if field["name"] not in recodes.drop]
        for field in fields:
            question = codebook.questions.get(field["name"])
            classes = recodes.classes(question) if question is not None and question.type != "multi" else None
            if classes and any(code != released for code, released in classes.items()):
                # A coarsened or top-coded column: each released code stands for the options released as it.
                labels: dict[int, list[str]] = {}
                for option in question.options:
                    labels.setdefault(classes[option.code], []).append(option.zh)
                field["categories"] = [{"value": code, "label": " / ".join(names)} for code, names in labels.items()]
                field["description"] += " / public-use: " + "; ".join(
                    f"{code} = {'+'.join(str(c) for c, r in classes.items() if r == code)}" for code in labels
                )
    expected = [field["name"] for field in fields]
    if header != expected:
        raise InputError(relative, f"the header {','.join(expected)}", row=1, value=",".join(header))
    return {
        "fields": fields,
        "missingValues": [
            {"value": "", "label": "未被问到（不在该题的询问范围内）/ not asked (outside the question's universe)"},
            {"value": str(codebook.no_answer), "label": "问到但未作答 / asked, no answer"},
        ],
        "primaryKey": ["respondent_id"],
    }


def _universe_text(pub: Publication, question: Question) -> str:
    if question.universe is None:
        return "询问对象：全部受访者。"
    target = pub.codebook.questions[question.universe.question]
    labels = "、".join(target.option(code).zh for code in question.universe.codes)
    if target.type == "multi":
        return f"询问对象：{target.id}（{target.text.zh}）勾选了“{labels}”中任一项的受访者。"
    return f"询问对象：{target.id}（{target.text.zh}）回答为“{labels}”的受访者。"


def _question_fields(pub: Publication, question: Question) -> list[dict[str, Any]]:
    kind = {"single": "单选题", "scale": "量表题（选项按顺序排列）", "multi": "多选题"}[question.type]
    about = f"{kind}。{_universe_text(pub, question)} / {question.text.en}"
    if question.type != "multi":
        extra: dict[str, Any] = {
            "categories": [{"value": option.code, "label": option.zh} for option in question.options],
            "constraints": {"enum": list(question.codes)},
        }
        if question.type == "scale":
            extra["categoriesOrdered"] = True
        return [_field(question.id, "integer", question.text.zh, about, **extra)]
    return [
        _field(
            f"{question.id}_{option.code}",
            "integer",
            f"{question.text.zh}：{option.zh}",
            f"{about}: {option.en}. 1 = 选中 / ticked, 0 = 未选 / not ticked",
            categories=[{"value": 0, "label": "未选"}, {"value": 1, "label": "选中"}],
            constraints={"enum": [0, 1]},
        )
        for option in question.options
    ]


def _indicator_schema(pub: Publication, indicator_id: str | None) -> dict[str, Any]:
    ids = [indicator_id] if indicator_id else [indicator.id for indicator in pub.indicators]
    populations = sorted({pub.indicator(one).population for one in ids})
    fields = [
        _field("indicator", "string", "指标", "指标编号，见 indicators.yml / indicator id", constraints={"enum": ids}),
        _field("population", "string", "调查对象", "居民或企业等 / population id", constraints={"enum": populations}),
        _field("breakdown", "string", "分组变量", "total 表示合计，否则为分组所依据的题目编号 / breakdown question"),
        _field("group", "string", "分组", "total 表示合计，否则为分组题目的选项代码 / group code"),
        _field("group_label", "string", "分组名称", "分组的中文名称（合计为“合计”）/ group label"),
        _field("category", "string", "类别", "选项代码或组合类别代码 / option or net code"),
        _field("category_label", "string", "类别名称", "类别的中文名称 / category label"),
        _field(
            "count",
            "integer",
            "人数",
            "该组中选择该类别的受访者人数（未加权）；[c] 表示已隐藏 / respondents choosing the category",
            constraints={"minimum": 0},
        ),
        _field(
            "base",
            "integer",
            "基数",
            "该组中被问到且作答的受访者人数（未加权）/ respondents asked who answered",
            constraints={"minimum": 0},
        ),
        _field(
            "percent",
            "number",
            "百分比",
            "人数 ÷ 基数 × 100，保留两位小数；多选题各项之和可超过 100 / count / base × 100",
            constraints={"minimum": 0, "maximum": 100},
        ),
        _field(
            "ci_low",
            "number",
            "95% 置信区间下限",
            "Wilson 得分区间，百分比 / Wilson score interval, lower bound",
            constraints={"minimum": 0, "maximum": 100},
        ),
        _field(
            "ci_high",
            "number",
            "95% 置信区间上限",
            "Wilson 得分区间，百分比 / Wilson score interval, upper bound",
            constraints={"minimum": 0, "maximum": 100},
        ),
        _field(
            "reliability",
            "string",
            "可靠性",
            f"基数小于 {pub.disclosure.low_base} 时为 low（标记 [u]），否则为 normal",
            constraints={"required": True, "enum": ["normal", "low"]},
        ),
        _field(
            "suppression",
            "string",
            "隐藏",
            f"none；primary：交叉分组中人数小于 {pub.disclosure.min_cell}；secondary：为防止由合计反推而一并隐藏",
            constraints={"required": True, "enum": ["none", "primary", "secondary"]},
        ),
        _field("flags", "string", "标记", "[u] 可靠性低，[c] 已隐藏，空格分隔 / GSS flags"),
    ]
    if any(population.design for population in pub.codebook.populations.values()):
        fields[fields.index(next(f for f in fields if f["name"] == "ci_high")) + 1 : 0] = _design_fields()
        interval = "With a declared design: the logit interval on the linearised standard error (t); else: "
        weighted = {
            "percent": "With a declared design: the weighted percent, sum(w*y) / sum(w) * 100; else: ",
            "ci_low": interval,
            "ci_high": interval,
        }
        for field in fields:
            if field["name"] in weighted:
                field["description"] = weighted[field["name"]] + field["description"]
    return {
        "fields": fields,
        "missingValues": TABLE_MISSING,
        "primaryKey": ["indicator", "breakdown", "group", "category"],
    }


def _design_fields() -> list[dict[str, Any]]:
    """The weighted table's extra columns; with a design, percent and interval are weighted and design-based."""
    note = "; empty for a population without a declared design"
    return [
        _field(
            "se",
            "number",
            "Standard error",
            f"Of the weighted percent (Taylor), in points{note}",
            constraints={"minimum": 0},
        ),
        _field(
            "deff",
            "number",
            "Design effect",
            f"Design variance / variance of an SRS of the same n{note}",
            constraints={"minimum": 0},
        ),
        _field("n_eff", "number", "Effective sample size", f"Base / design effect{note}", constraints={"minimum": 0}),
    ]


def _published_figures_schema(pub: Publication) -> dict[str, Any]:
    fields = [
        _field("figure_id", "string", "数字编号", "本表中的编号 / figure id", constraints={"required": True}),
        _field("section", "string", "报告段落", "数字出现在报告的哪一部分 / section of the report"),
        _field("population", "string", "调查对象", "调查对象编号，+ 连接表示合计 / population id(s)"),
        _field("measure", "string", "内容", "这个数字说的是什么 / what the figure measures"),
        _field("printed", "string", "报告原文", "与报告原文完全一致 / exactly as printed"),
        _field("value", "number", "数值", "原文中的数值 / the number in it", constraints={"required": True}),
        _field(
            "unit",
            "string",
            "单位",
            "percent 百分比；count 人数；base 基数",
            constraints={"required": True, "enum": ["percent", "count", "base"]},
        ),
        _field(
            "comparison",
            "string",
            "比较方式",
            "equal 相等；at_least 不低于（如“7成以上”）；about 约（如“九成左右”）",
            constraints={"required": True, "enum": ["equal", "at_least", "about"]},
        ),
        _field("indicator", "string", "指标", "对应的指标编号，+ 连接表示基数相加 / indicator id(s)"),
        _field("category", "string", "类别", "对应的选项或组合类别代码 / category code"),
        _field("note", "string", "说明", "无法重现的原因（人工填写）/ why the figure cannot be reproduced"),
    ]
    return {"fields": fields, "missingValues": [""], "primaryKey": ["figure_id"]}


def _reconciliation_schema(pub: Publication) -> dict[str, Any]:
    fields = [
        _field("figure_id", "string", "数字编号", "与报告数字表相同 / figure id", constraints={"required": True}),
        _field("section", "string", "报告段落", "数字出现在报告的哪一部分 / section"),
        _field("population", "string", "调查对象", "调查对象编号 / population id(s)"),
        _field("measure", "string", "内容", "这个数字说的是什么 / what the figure measures"),
        _field("printed", "string", "报告原文", "与报告原文完全一致 / exactly as printed"),
        _field("published", "number", "报告数值", "报告中的数值 / the printed value"),
        _field("recomputed", "number", "重算值", "由微观数据重算的数值 / recomputed from the microdata"),
        _field("count", "integer", "人数", "重算所用的人数 / count used"),
        _field("base", "integer", "基数", "重算所用的基数 / base used"),
        _field("difference", "number", "差值", "重算值减报告数值 / recomputed minus printed"),
        _field(
            "status",
            "string",
            "核对结果",
            "reproduced 重现；ambiguous_base 只在其他基数下成立；not_reproducible 任何整数人数都无法得到",
            constraints={"required": True, "enum": ["reproduced", "ambiguous_base", "not_reproducible"]},
        ),
        _field("candidates", "string", "可能的基数", "能得到报告数值的基数，逗号分隔 / bases that fit"),
        _field("reason", "string", "说明", "核对结果的原因 / reason"),
    ]
    return {"fields": fields, "missingValues": [""], "primaryKey": ["figure_id"]}


def _disclosure_schema() -> dict[str, Any]:
    fields = [
        _field("file", "string", "文件", "公开的微观数据文件 / microdata file", constraints={"required": True}),
        _field("quasi_identifiers", "string", "准标识变量", "可能被用来识别个人的题目，空格分隔 / quasi-identifiers"),
        _field("records", "integer", "记录数", "文件中的记录数 / records", constraints={"minimum": 0}),
        _field("k", "integer", "最小组人数 k", "准标识变量各组合中最小的组的记录数 / smallest group size"),
        _field("sample_uniques", "integer", "样本唯一记录数", "组合唯一的记录数 / sample-unique records"),
        _field("min_k", "integer", "k 的下限", "发布要求的最小 k / required minimum k"),
        _field(
            "status",
            "string",
            "结果",
            "ok：k 不低于下限；fail：低于下限",
            constraints={"required": True, "enum": ["ok", "fail"]},
        ),
        _field("smallest_combination", "string", "最小组合", "记录最少的组合 / the smallest combination"),
    ]
    return {"fields": fields, "missingValues": [""], "primaryKey": ["file"]}

"""The microdata release policy: what each policy releases, the public-use recodes, and the check that no suppressed
table cell can be counted back from the released microdata (directly, or by difference with visible cells)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from surveypress import content as spec
from surveypress.errors import InputError
from surveypress.microdata import load
from surveypress.stats import protect, tabulate

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"


def tiny_with(tmp_path: Path, **changes) -> spec.Publication:
    project = tmp_path / "tiny"
    shutil.copytree(TINY, project)
    meta_path = project / "publication" / "publication.yml"
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    meta_path.write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return spec.load_publication(project / "publication")


def protected(pub: spec.Publication):
    microdata = load.load_microdata(pub)
    return microdata, protect.protect(pub, tabulate.tabulate(pub, microdata, engine="pandas"))


def test_public_use_drops_columns_and_keeps_the_input_untouched(tmp_path):
    pub = tiny_with(tmp_path)
    microdata, _ = protected(pub)
    released = protect.released_microdata(pub, microdata)
    file, frame = released["people"]
    assert file == "datasets/public-use/people.csv"
    assert "p_region" not in frame.columns and "p_region" in microdata["people"].columns


def test_release_none_releases_nothing_and_reports_no_file(tmp_path):
    pub = tiny_with(tmp_path, release="none", public_use=None)
    microdata, table = protected(pub)
    assert protect.released_microdata(pub, microdata) == {}
    assert protect.disclosure_report(pub, microdata).empty
    protect.check_recount(pub, table, {})


def test_a_released_breakdown_column_lets_a_suppressed_cell_be_recounted(tmp_path):
    pub = tiny_with(tmp_path, public_use={"people": {"drop": []}})
    microdata, table = protected(pub)
    with pytest.raises(InputError) as caught:
        protect.check_recount(pub, table, protect.released_microdata(pub, microdata))
    assert caught.value.file == "datasets/public-use/people.csv"
    assert "breakdown p_region" in str(caught.value.value)


def test_coarsening_the_breakdown_into_one_group_protects_when_the_total_is_the_only_sum(tmp_path):
    # Both regions released as one code: the file gives the total row only, which the table already shows.
    pub = tiny_with(tmp_path, public_use={"people": {"coarsen": {"p_region": [[1, 2]]}}})
    microdata, table = protected(pub)
    released = protect.released_microdata(pub, microdata)
    assert set(released["people"][1]["p_region"].dropna()) == {1}
    protect.check_recount(pub, table, released)


def test_merging_a_hidden_group_with_a_visible_one_is_recounted_by_difference(tmp_path):
    # A three-group breakdown, coarsened {1, 2}: if group 2's cell is visible, group 1's hidden cell is the difference.
    pub = tiny_with(tmp_path, public_use={"people": {"coarsen": {"p_region": [[1, 2]]}}})
    microdata, table = protected(pub)
    hidden = table[(table["breakdown"] == "p_region") & (table["suppression"] != "none")].index[0]
    row = table.loc[hidden]
    sibling = table[
        (table["indicator"] == row["indicator"])
        & (table["breakdown"] == "p_region")
        & (table["group"] != row["group"])
        & (table["category"] == row["category"])
    ].index[0]
    table.loc[sibling, "suppression"] = "none"
    with pytest.raises(InputError) as caught:
        protect.check_recount(pub, table, protect.released_microdata(pub, microdata))
    assert f"group {row['group']}, category {row['category']}" in str(caught.value.value)


def test_full_release_needs_a_synthetic_publication_or_a_legal_basis(tmp_path):
    with pytest.raises(InputError, match="legal_basis"):
        tiny_with(tmp_path, synthetic=False, release="full", public_use=None)
    assert (
        tiny_with(
            tmp_path / "b", synthetic=False, release="full", public_use=None, legal_basis="Statistics Act, s. 12"
        ).release.policy
        == "full"
    )


def test_public_use_recodes_for_an_unknown_population_are_refused(tmp_path):
    with pytest.raises(InputError, match="one of the populations"):
        tiny_with(tmp_path, public_use={"peopel": {"drop": ["p_region"]}})


class _EndlessCopy(protect.StreamedRelease):
    """A public-use file whose copy would run for hours: the engine counting a huge cross join."""

    def __init__(self) -> None:
        pass

    def write(self, target: Path, connected=None) -> None:
        import duckdb

        connection = duckdb.connect()
        connected(connection)
        connection.execute("SELECT count(*) FROM range(1000000000) a, range(1000) b").fetchall()


class _Folder:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        return self.root / name


def test_a_failing_build_interrupts_the_public_use_copy_instead_of_waiting_for_it(tmp_path):
    import time

    from surveypress import pipeline

    started = time.monotonic()
    with pytest.raises(InputError, match="a bad file"):
        with pipeline.StreamedReleases(_Folder(tmp_path), {"people": ("datasets/people.csv", _EndlessCopy())}):
            time.sleep(0.5)  # the copy is under way on its thread
            raise InputError("a bad file", "something else")
    assert time.monotonic() - started < 10


def test_a_full_release_holding_the_breakdowns_is_refused_before_any_microdata_is_read_or_chart_drawn(tmp_path):
    """`release: full` of a file holding p_region while p_region cross-tabulations suppress small cells: refused on
    the content alone, in the time it takes to read the content, not after tabulating and drawing."""
    import io

    from surveypress import build

    tiny_with(tmp_path, release="full", public_use=None)
    progress = io.StringIO()
    with pytest.raises(InputError) as caught:
        build.build(tmp_path / "tiny" / "publication", stream=progress)
    # The time it takes is a benchmark's business; what proves "before any work" is the stages that ran: spec only.
    assert progress.getvalue().startswith("spec") and "load" not in progress.getvalue()
    assert "breakdown p_region" in str(caught.value.value) and "disclosure.min_cell (5)" in caught.value.expected


def test_a_legacy_xls_file_released_in_full_is_refused_since_its_cells_cannot_be_checked_for_formulas(tmp_path):
    """A full release publishes the input as it is; formulas are refused at load in .xlsx and .ods, but nothing
    installed reads them from a binary .xls, so such a file is refused on the content alone, before anything else."""
    import dataclasses

    pub = tiny_with(tmp_path, release="full", public_use=None)
    populations = pub.codebook.populations
    people = populations["people"]
    populations["people"] = dataclasses.replace(people, microdata=people.microdata.with_suffix(".xls"))
    with pytest.raises(InputError) as caught:
        spec.check_release(pub)
    assert caught.value.column == "microdata.people" and caught.value.value == "people.xls"
    populations["people"] = dataclasses.replace(people, microdata=people.microdata.with_suffix(".xlsx"))
    spec.refuse_unchecked_full_release(pub)  # a workbook whose cells are checked at load

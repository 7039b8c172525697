"""axe-core run in a page: the WCAG 2.2 AA rule set every browser test holds a page to, and the violations it finds,
one line each."""

from __future__ import annotations

from pathlib import Path

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_RUN = "async (only) => await axe.run(document, {runOnly: only, resultTypes: ['violations']})"


def axe_violations(page, axe_script: Path, rules: list[str] | None = None) -> list[str]:
    """Each violation axe finds in the page as it is now (the WCAG 2.2 AA tags, or only `rules` when given): the rule,
    what it asks and the first five elements."""
    page.add_script_tag(path=str(axe_script))
    only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": AXE_TAGS}
    result = page.evaluate(AXE_RUN, only)
    return [
        f"{violation['id']}: {violation['help']} -> {[node['target'] for node in violation['nodes']][:5]}"
        for violation in result["violations"]
    ]

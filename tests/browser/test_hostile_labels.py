"""A publication whose labels and titles are hostile, built and opened in headless Chromium: nothing from a label runs.

The tiny fixture gets the labels issue 9 found (an attr_list block on the title that focused and ran script on load,
an image with onerror, a javascript: link, a newline and `#`, backticks, a link to a page that does not exist, a `|` in
a table, raw HTML), is built with build_tables.py and `mkdocs build --strict` (which would abort on a label's link to
a missing page), and every page is opened: no dialog fires, no element of the content carries an event handler or an
attribute a label asked for, no link or image comes from a label, and the headings and code spans are the template's.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "fixtures" / "tiny"

TITLE = "靖江调查 {: tabindex=0 autofocus=1 onfocus=alert(4) }"
LABELS = {
    "使用过": "![x](data:x){: onerror=alert(2) }",
    "未使用过": "[点我](javascript:alert(1))",
    "城镇": "城镇\\n# 注入的标题",
    "农村": "`吞掉后文",
    "手机应用": "[附录](附录.md)",
    "网站": "<img src=x onerror=alert(3)>",
}
INDICATOR_TITLE = "网上办事 | 使用率"
TEMPLATE = """\
# {{ meta.title.zh }}

## 选项

用过网上办事的居民占 {{ pct('p_used', 1) }}（n={{ base('p_used') }}）：
{{ label('p_used', 1) }}；{{ label('p_used', 2) }}。

{% for option in question('p_region').options %}
- {{ option.zh }}
{% endfor %}

{{ label('p_channels', 1) }}
{{ label('p_channels', 2) }}

| 指标 | 选项 |
| --- | --- |
| {{ indicators['p_used'].title.zh | cell }} | {{ label('p_channels', 1) | cell }} |

模板自己的代码：`csvsql`

{{ chart("used_online") }}
"""
TEMPLATE_HEADINGS = [TITLE, "选项"]
TEMPLATE_CODE = ["csvsql"]


def hostile_project(tmp: Path) -> Path:
    project = tmp / "hostile"
    shutil.copytree(TINY, project)
    content = project / "publication"
    meta = content / "publication.yml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("zh: 小型测试调查", f'zh: "{TITLE}"'), encoding="utf-8")
    codebook = content / "codebook.yml"
    text = codebook.read_text(encoding="utf-8")
    for old, new in LABELS.items():
        text = text.replace(f"zh: {old},", f'zh: "{new}",', 1)
    codebook.write_text(text, encoding="utf-8")
    indicators = content / "indicators.yml"
    indicators.write_text(
        indicators.read_text(encoding="utf-8").replace("zh: 网上办事使用率", f'zh: "{INDICATOR_TITLE}"'),
        encoding="utf-8",
    )
    (content / "templates" / "index.md.j2").write_text(TEMPLATE, encoding="utf-8")
    # The site's own configuration and theme, without the default publication's page list.
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = re.sub(r"\nnav:\n(?:  .*\n)+", "\n", config)
    (project / "mkdocs.yml").write_text(config, encoding="utf-8")
    for folder in ("docs/overrides", "docs/assets/stylesheets", "docs/assets/javascripts"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, project / folder)
    return project


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = hostile_project(tmp_path_factory.mktemp("hostile"))
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"}
    built = subprocess.run(
        [sys.executable, str(ROOT / "build_tables.py"), "--content", "publication"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    site = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(project / "site")],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert site.returncode == 0, site.stderr
    return project / "site"


@pytest.fixture(scope="module")
def hostile_url(hostile_site: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(hostile_site))
    handler.log_message = lambda *arguments: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


# What the content (Material's `article`) holds, read in the page after it loaded and settled.
INSPECT = """() => {
  const article = document.querySelector('article');
  const elements = [...article.querySelectorAll('*')];
  return {
    handlers: elements.flatMap(e => [...e.attributes].map(a => a.name)).filter(n => n.startsWith('on')),
    asked: elements
      .filter(e => e.hasAttribute('autofocus') || (/^H[1-6]$/.test(e.tagName) && e.hasAttribute('tabindex')))
      .map(e => e.outerHTML.slice(0, 120)),
    links: [...article.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    images: [...article.querySelectorAll('img')].map(i => i.getAttribute('src')),
    // A heading's text without the permanent link Material adds after it (toc.permalink: the '#' anchor).
    headings: [...article.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((h) => {
      const copy = h.cloneNode(true);
      copy.querySelectorAll('a.headerlink').forEach((link) => link.remove());
      return copy.textContent.trim();
    }),
    // The engine's embed snippet is code to copy (its title a label, as text); the rest is the template's.
    code: [...article.querySelectorAll('code')].filter(c => !c.closest('pre.sp-embed-code')).map(c => c.textContent),
    frames: article.querySelectorAll('iframe').length,
    text: article.innerText,
    focused: document.activeElement ? document.activeElement.tagName : '',
  };
}"""


def test_hostile_labels_run_nothing_and_add_no_attribute_link_image_heading_or_code(chromium, hostile_url):
    context = chromium.new_context(service_workers="block")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(hostile_url + "index.html", wait_until="load")
    page.wait_for_timeout(500)
    page.keyboard.press("Tab")  # a label's tabindex/onfocus would fire on the first focus
    page.wait_for_timeout(200)
    found = page.evaluate(INSPECT)
    context.close()

    assert dialogs == []
    assert found["handlers"] == [] and found["asked"] == []
    assert not [href for href in found["links"] if href.startswith(("javascript:", "data:")) or "附录" in href]
    assert all(src.startswith("assets/charts/") for src in found["images"]), found["images"]
    assert found["headings"] == TEMPLATE_HEADINGS
    assert found["code"] == TEMPLATE_CODE
    assert found["frames"] == 0  # the embed snippet is text, never a frame on the page
    # And the reader sees every hostile text as text.
    shown = " ".join(found["text"].split())
    for label in [*LABELS.values(), INDICATOR_TITLE]:
        assert " ".join(label.replace("\\n", " ").split()) in shown

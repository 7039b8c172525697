// Material wraps each wide Markdown table in a scrolling box. Give every such box a keyboard stop and a name, so a
// table that does not fit a phone can be scrolled without a mouse (WCAG 2.1.1; axe: scrollable-region-focusable).
document$.subscribe(function () {
  document.querySelectorAll(".md-typeset__scrollwrap").forEach(function (box) {
    if (box.hasAttribute("tabindex")) {
      return;
    }
    var caption = box.querySelector("caption");
    box.setAttribute("tabindex", "0");
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", caption ? caption.textContent : document.body.getAttribute("data-sp-table-label") || "");
  });
});

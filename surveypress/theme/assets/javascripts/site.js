// Reading aids for older readers (适老化) and small mends, added by script so that the page is complete without it.
// Every text this file shows is in TEXT: the engine's catalogue puts it on <body data-sp-text> in the page's
// language (surveypress/website/plugin.py); the English below is only the fallback.
var TEXT = Object.assign(
  {
    tools: "Reading aids",
    reading: "Large text",
    readAloud: "Read aloud",
    stopReading: "Stop reading",
    readingHelp: "Text is larger and lines are further apart; this site remembers the choice. Press Large text again to undo.",
    readAloudHelp: "Reading the page aloud with the browser's own voice. Press again to stop.",
    tableRegion: "Table, scrolls sideways",
    scrollHint: "This table is wide: swipe sideways to see all of it →",
  },
  (function () {
    try {
      return JSON.parse(document.body.getAttribute("data-sp-text") || "{}");
    } catch (error) {
      return {};
    }
  })()
);

function spStore(key, value) {
  try {
    if (value === undefined) return window.localStorage.getItem(key);
    window.localStorage.setItem(key, value);
  } catch (error) {
    return null; // storage blocked (private mode): the control still works for this page
  }
  return null;
}

// A help line under the controls, shown the first time each control is used (then remembered).
function spHelp(toolbar, key, text) {
  var line = toolbar.querySelector(".sp-tools__help");
  if (spStore("sp-help-" + key) === "1") {
    line.textContent = "";
    return;
  }
  line.textContent = text;
  spStore("sp-help-" + key, "1");
}

function spButton(label, pressed) {
  var button = document.createElement("button");
  button.type = "button";
  button.className = "sp-tools__button";
  button.textContent = label;
  button.setAttribute("aria-pressed", pressed ? "true" : "false");
  return button;
}

// The page's main text in reading order: headings, paragraphs, list items and chart titles, not tables or controls.
function spMainText(article) {
  var parts = [];
  article.querySelectorAll("h1, h2, h3, p, li, figcaption").forEach(function (node) {
    if (node.closest(".sp-tools, details, table, .sp-visually-hidden, .sp-chart-downloads, .sp-release")) return;
    if (node.tagName === "P" && node.closest("li")) return;
    var text = node.innerText.replace(/\s+/g, " ").trim();
    if (text) parts.push(text);
  });
  return parts;
}

// Large text grows the charts too. A drawing's text grows only with the drawing, and the wide one already fills a
// desktop column, so large text shows the narrow drawing at 1.3 times its drawn size (site.css caps it at the
// column's width: on a phone, the narrow drawing is the column).
var SP_CHART_GROWTH = 1.3;

function spReadingCharts(on) {
  document.querySelectorAll("figure.sp-chart picture > source[media]").forEach(function (source) {
    if (!source.hasAttribute("data-sp-media")) source.setAttribute("data-sp-media", source.media);
    source.media = on ? "not all" : source.getAttribute("data-sp-media");
  });
  document.querySelectorAll("figure.sp-chart img[width]").forEach(function (image) {
    var width = parseFloat(image.getAttribute("width"));
    if (!width) return;
    image.setAttribute("data-sp-reading-width", "");
    image.style.setProperty("--sp-reading-width", String(Math.round(width * SP_CHART_GROWTH)));
  });
}

// Tooltips a reader can reach (issue 27): each bar of a drawing carries its value, interval and n as an SVG <title>,
// which a browser shows on hover only when the SVG is part of the page, not an <img>. On the first pointer or
// keyboard visit to a chart, its drawing (from this site only) takes the image's place: each bar can then be hovered,
// and reached from the keyboard (one Tab stop per chart, arrow keys from bar to bar), focus showing the bar's text in
// a tooltip that Escape hides. Nothing here is needed to read a value: the image, its text and the data table stay.
var SP_BAR = '[aria-roledescription="bar"]';

function spCleanDrawing(svg) {
  svg.querySelectorAll("script, foreignObject").forEach(function (node) {
    node.remove();
  });
  [svg].concat(Array.prototype.slice.call(svg.querySelectorAll("*"))).forEach(function (node) {
    Array.prototype.slice.call(node.attributes).forEach(function (attribute) {
      if (/^on/i.test(attribute.name) || /^\s*javascript:/i.test(attribute.value)) node.removeAttribute(attribute.name);
    });
  });
  return svg;
}

function spDrawingText(image) {
  var source = spDrawingShown(image);
  if (!source || !window.fetch || !window.DOMParser) return Promise.resolve(null);
  var address = new URL(source, location.href);
  if (address.origin !== location.origin || !/\.svg$/i.test(address.pathname)) return Promise.resolve(null);
  return fetch(address.href)
    .then(function (response) {
      return response.ok ? response.text() : null;
    })
    .catch(function () {
      return null;
    });
}

function spTip(figure) {
  var tip = figure.querySelector(".sp-chart-tip");
  if (!tip) {
    tip = document.createElement("div");
    tip.className = "sp-chart-tip";
    tip.setAttribute("role", "tooltip");
    tip.hidden = true;
    figure.appendChild(tip);
  }
  return tip;
}

function spShowTip(figure, bar) {
  var title = bar.querySelector("title");
  var tip = spTip(figure);
  if (!title) return;
  tip.textContent = title.textContent;
  tip.hidden = false;
  var box = figure.getBoundingClientRect();
  var mark = bar.getBoundingClientRect();
  var left = Math.max(0, Math.min(mark.left - box.left, box.width - tip.offsetWidth));
  tip.style.left = left + "px";
  tip.style.top = mark.bottom - box.top + 4 + "px";
}

function spBarKeys(figure, bars, event) {
  var index = bars.indexOf(event.target);
  if (index < 0) return;
  if (event.key === "Escape") {
    spTip(figure).hidden = true;
    return;
  }
  var step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[event.key];
  var next = event.key === "Home" ? 0 : event.key === "End" ? bars.length - 1 : step ? index + step : -1;
  if (next < 0 || next >= bars.length) return;
  event.preventDefault();
  bars[index].setAttribute("tabindex", "-1");
  bars[next].setAttribute("tabindex", "0");
  bars[next].focus();
}

function spInline(figure, image, text, focus) {
  var parsed = text && new DOMParser().parseFromString(text, "image/svg+xml");
  var root = parsed && parsed.documentElement;
  if (!root || root.nodeName !== "svg" || parsed.querySelector("parsererror") || !image.isConnected) return;
  var svg = spCleanDrawing(document.importNode(root, true));
  var bars = Array.prototype.slice.call(svg.querySelectorAll(SP_BAR));
  if (!bars.length) return; // nothing to hover or focus: the image stays
  var shown = image.closest("picture") || image;
  svg.classList.add("sp-chart-inline");
  svg.setAttribute("data-sp-source", spDrawingShown(image));
  svg.setAttribute("role", "group");
  svg.setAttribute("aria-label", image.alt);
  var description = image.getAttribute("aria-describedby");
  if (description) svg.setAttribute("aria-describedby", description);
  if (image.hasAttribute("data-sp-reading-width")) {
    svg.setAttribute("data-sp-reading-width", "");
    svg.style.setProperty("--sp-reading-width", image.style.getPropertyValue("--sp-reading-width"));
  }
  bars.forEach(function (bar, index) {
    bar.setAttribute("tabindex", index ? "-1" : "0");
  });
  svg.addEventListener("focusin", function (event) {
    if (bars.indexOf(event.target) >= 0) spShowTip(figure, event.target);
  });
  svg.addEventListener("focusout", function () {
    spTip(figure).hidden = true;
  });
  svg.addEventListener("keydown", function (event) {
    spBarKeys(figure, bars, event);
  });
  shown.hidden = true;
  shown.insertAdjacentElement("afterend", svg);
  if (focus) bars[0].focus();
}

// The drawing the image shows at this window's width (its <picture> source whose media matches, else its own src):
// read from the media at once, where currentSrc follows a resize only later and is empty before a lazy image loads.
function spDrawingShown(image) {
  var sources = image.parentElement.tagName === "PICTURE" ? image.parentElement.querySelectorAll("source[media]") : [];
  for (var index = 0; index < sources.length; index++) {
    if (window.matchMedia(sources[index].media).matches) return sources[index].getAttribute("srcset");
  }
  return image.getAttribute("src");
}

// Back to the image when it would show another drawing than the one in the page (large text switched, or the window
// now wider or narrower than the wide drawing's media; `all`: whenever): the next visit puts that one in the page.
function spUninlineCharts(all) {
  document.querySelectorAll("figure.sp-chart svg.sp-chart-inline").forEach(function (svg) {
    var shown = svg.previousElementSibling;
    var image = shown && (shown.tagName === "IMG" ? shown : shown.querySelector("img"));
    if (!all && image && spDrawingShown(image) === svg.getAttribute("data-sp-source")) return;
    if (shown) shown.hidden = false;
    svg.closest("figure").spInlined = false;
    svg.remove();
  });
}

function spChartTips() {
  document.querySelectorAll("figure.sp-chart").forEach(function (figure) {
    var image = figure.querySelector("img");
    if (!image || image.hasAttribute("tabindex")) return;
    image.setAttribute("tabindex", "0");
    var visit = function (event) {
      if (figure.spInlined || (event.type === "focusin" && event.target !== image)) return;
      figure.spInlined = true;
      var focus = event.type === "focusin";
      spDrawingText(image).then(function (text) {
        spInline(figure, image, text, focus);
      });
    };
    figure.addEventListener("pointerover", visit);
    figure.addEventListener("focusin", visit);
  });
}

function spReadingTools() {
  var article = document.querySelector("article.md-content__inner");
  // The template reserves the toolbar's place (overrides/main.html), so filling it moves nothing.
  var toolbar = article && article.querySelector(".sp-tools");
  if (!toolbar || toolbar.childElementCount) return;
  toolbar.setAttribute("aria-label", TEXT.tools);
  var root = document.documentElement;

  var reading = spButton(TEXT.reading, root.classList.contains("sp-reading"));
  reading.classList.add("sp-tools__reading");
  reading.addEventListener("click", function () {
    var on = !root.classList.contains("sp-reading");
    root.classList.toggle("sp-reading", on);
    reading.setAttribute("aria-pressed", on ? "true" : "false");
    spStore("sp-reading", on ? "1" : "0");
    spReadingCharts(on);
    spUninlineCharts(true);
    if (on) spHelp(toolbar, "reading", TEXT.readingHelp);
  });
  toolbar.appendChild(reading);

  // Read aloud with the browser's own speech synthesis, in the page's language; no button where there is none.
  if ("speechSynthesis" in window && "SpeechSynthesisUtterance" in window) {
    var aloud = spButton(TEXT.readAloud, false);
    aloud.classList.add("sp-tools__aloud");
    var stop = function () {
      window.speechSynthesis.cancel();
      aloud.setAttribute("aria-pressed", "false");
      aloud.textContent = TEXT.readAloud;
    };
    aloud.addEventListener("click", function () {
      if (aloud.getAttribute("aria-pressed") === "true") {
        stop();
        return;
      }
      var lang = root.getAttribute("lang") || navigator.language || "";
      var voices = window.speechSynthesis.getVoices() || [];
      var voice = voices.filter(function (candidate) {
        return candidate.lang && candidate.lang.toLowerCase().indexOf(lang.split("-")[0].toLowerCase()) === 0;
      })[0];
      var parts = spMainText(article);
      window.speechSynthesis.cancel();
      parts.forEach(function (text, index) {
        var utterance = new window.SpeechSynthesisUtterance(text);
        utterance.lang = lang;
        if (voice) utterance.voice = voice;
        if (index === parts.length - 1) utterance.onend = stop;
        window.speechSynthesis.speak(utterance);
      });
      aloud.setAttribute("aria-pressed", "true");
      aloud.textContent = TEXT.stopReading;
      spHelp(toolbar, "aloud", TEXT.readAloudHelp);
    });
    window.addEventListener("pagehide", stop);
    toolbar.appendChild(aloud);
  }

  var help = document.createElement("p");
  help.className = "sp-tools__help";
  help.setAttribute("role", "status");
  toolbar.appendChild(help);
  toolbar.hidden = false;
}

// Material wraps each wide Markdown table in a scrolling box. Give every such box a keyboard stop and a name, so a
// table that does not fit a phone can be scrolled without a mouse (WCAG 2.1.1; axe: scrollable-region-focusable),
// and say under a box that it scrolls when it does.
function spLabelBoxes() {
  document.querySelectorAll(".md-typeset__scrollwrap").forEach(function (box) {
    if (box.hasAttribute("tabindex")) return;
    var caption = box.querySelector("caption");
    box.setAttribute("tabindex", "0");
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", caption ? caption.textContent : document.body.getAttribute("data-sp-table-label") || "");
  });
  return Array.prototype.slice.call(document.querySelectorAll(".md-typeset__scrollwrap, .sp-table-scroll"));
}

// Whether a box's table is laid out: a box further down the page is not until the reader comes near it (site.css:
// content-visibility), and until then its width says nothing.
function spLaidOut(box) {
  var table = box.firstElementChild;
  return !table || !table.checkVisibility || table.checkVisibility({ contentVisibilityAuto: true });
}

// Measures the boxes first, then adds or removes hints: a width read after a change would lay the page out again,
// once per table.
function spHint(boxes) {
  boxes = boxes.filter(spLaidOut);
  var widths = boxes.map(function (box) {
    return box.scrollWidth > box.clientWidth + 1;
  });
  boxes.forEach(function (box, index) {
    var next = box.nextElementSibling;
    var hinted = next && next.classList.contains("sp-scroll-hint");
    var wide = widths[index];
    if (wide && !hinted) {
      var hint = document.createElement("p");
      hint.className = "sp-scroll-hint";
      hint.textContent = TEXT.scrollHint;
      box.insertAdjacentElement("afterend", hint);
    } else if (!wide && hinted) {
      next.remove();
    }
  });
}

function spScrollBoxes() {
  spHint(spLabelBoxes());
}

// At load, each box is measured when its table is laid out: the browser says so as the reader comes near it, so the
// page is not laid out whole on a phone before the reader sees it, and the hint is added before the box is on screen.
function spWatchBoxes() {
  var boxes = spLabelBoxes();
  if ("ContentVisibilityAutoStateChangeEvent" in window) {
    boxes.forEach(function (box) {
      box.addEventListener("contentvisibilityautostatechange", function (event) {
        if (!event.skipped) spHint([box]);
      });
    });
  } else if ("IntersectionObserver" in window) {
    var observer = new IntersectionObserver(function (entries) {
      spHint(
        entries
          .filter(function (entry) {
            return entry.isIntersecting;
          })
          .map(function (entry) {
            return entry.target;
          })
      );
    });
    boxes.forEach(function (box) {
      observer.observe(box);
    });
  } else {
    spHint(boxes);
  }
}

document$.subscribe(function () {
  spReadingTools();
  if (document.documentElement.classList.contains("sp-reading")) spReadingCharts(true);
  spWatchBoxes();
  spChartTips();
  document.querySelectorAll("details.sp-chart-data").forEach(function (details) {
    details.addEventListener("toggle", spScrollBoxes);
  });
});
window.addEventListener("resize", function () {
  spScrollBoxes();
  spUninlineCharts(false);
});

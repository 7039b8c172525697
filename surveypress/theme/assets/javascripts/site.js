// Reading aids for older readers (适老化) and small mends, added by script so that the page is complete without it.
// Every text this file shows is in TEXT: the engine's catalogue puts it on <body data-sp-text> in the page's
// language (surveypress/website/plugin.py); the English below is only the fallback.
var TEXT = Object.assign(
  {
    tools: "Reading aids",
    reading: "Large text",
    readAloud: "Read this page aloud",
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
  if (pressed !== null) button.setAttribute("aria-pressed", pressed ? "true" : "false");
  return button;
}

// Read aloud: the page as it is shown, in reading order. Never text that is hidden (visually hidden notes, closed
// details, anything not rendered), nor controls, tables and code; a chart is read as its text alternative (the long
// description its image points to, else its alt text), not as its drawing, data table or source line.
var SP_UNSPOKEN = ".sp-tools, .sp-visually-hidden, .headerlink, .sp-check, table, pre, script, style, [hidden], [aria-hidden='true']";
// Elements that end a stretch of speech: each one is spoken as its own utterance, so the voice pauses between them.
var SP_BLOCK = /^(H[1-6]|P|LI|DT|DD|FIGCAPTION|SUMMARY|BLOCKQUOTE|DIV|SECTION|ASIDE|UL|OL|DL|DETAILS|FIGURE|BR|HR)$/;
var SP_HAN = /[\p{Script=Han}\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+/gu;
var SP_HAN_SCRIPTS = ["Hani", "Hans", "Hant", "Jpan", "Kore"];

function spShown(element) {
  if (element.matches(SP_UNSPOKEN) || element.closest("details:not([open]) > :not(summary)")) return false;
  if (element.checkVisibility) return element.checkVisibility({ checkVisibilityCSS: true, visibilityProperty: true });
  return element.getClientRects().length > 0;
}

// Whether a language is written with Han characters (the browser's own data says, not a list of languages).
function spWritesHan(lang) {
  try {
    return SP_HAN_SCRIPTS.indexOf(new Intl.Locale(lang).maximize().script) >= 0;
  } catch (error) {
    return true; // no way to tell: leave the text as it is
  }
}

// A run of text in one language; Han characters in a language not written with them (an original term that no
// element marks as such) are left out, never handed to that language's voice.
function spRun(text, lang) {
  if (!spWritesHan(lang)) text = text.replace(SP_HAN, " ");
  text = text.replace(/\s+/g, " ").trim();
  return /[\p{L}\p{N}]/u.test(text) ? { text: text, lang: lang } : null;
}

// What a chart says without its drawing: the long description its image points to, else the image's alt text.
function spChartText(figure) {
  var image = figure.querySelector("img");
  if (!image) return "";
  var described = image.getAttribute("aria-describedby");
  var description = described && document.getElementById(described);
  return description ? description.textContent : image.getAttribute("alt") || "";
}

// The utterances of the page: each heading, paragraph, list item and chart on its own, and within one, each
// stretch in another language (an element's lang) apart, so that it reaches that language's voice.
function spUtterances(article) {
  var base = (article.closest("[lang]") || document.documentElement).getAttribute("lang") || navigator.language || "";
  var utterances = [];
  var runs = [];
  var add = function (text, lang) {
    var last = runs[runs.length - 1];
    if (last && last.lang === lang) last.text += text;
    else runs.push({ text: text, lang: lang });
  };
  var flush = function () {
    runs.forEach(function (run) {
      var utterance = spRun(run.text, run.lang);
      if (utterance) utterances.push(utterance);
    });
    runs = [];
  };
  var visit = function (node, lang) {
    if (node.nodeType === Node.TEXT_NODE) return add(node.nodeValue, lang);
    if (node.nodeType !== Node.ELEMENT_NODE || !spShown(node)) return;
    var own = node.getAttribute("lang") || lang;
    var block = SP_BLOCK.test(node.tagName);
    if (block) flush();
    if (node.matches("figure.sp-chart")) {
      add(spChartText(node), own);
    } else {
      node.childNodes.forEach(function (child) {
        visit(child, own);
      });
    }
    if (block) flush();
  };
  visit(article, base);
  flush();
  return utterances;
}

// A voice for a language, by its primary subtag; null when the browser has none, undefined when it lists none yet.
function spVoice(lang) {
  var voices = window.speechSynthesis.getVoices() || [];
  if (!voices.length) return undefined;
  var primary = lang.split("-")[0].toLowerCase();
  var matching = voices.filter(function (voice) {
    return voice.lang && voice.lang.toLowerCase().split(/[-_]/)[0] === primary;
  });
  return matching[0] || null;
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

// The read-aloud button. Its name says what it will do, so it has no aria-pressed (a toggle keeps its name).
function spAloudButton(article, toolbar) {
  var aloud = spButton(TEXT.readAloud, null);
  aloud.classList.add("sp-tools__aloud");
  var reading = false;
  var session = 0; // a cancelled reading's last utterance may end after the next one began: it stops only its own
  var stop = function () {
    session += 1;
    reading = false;
    window.speechSynthesis.cancel();
    aloud.textContent = TEXT.readAloud;
  };
  aloud.addEventListener("click", function () {
    if (reading) return stop();
    var parts = spUtterances(article).filter(function (part) {
      return spVoice(part.lang) !== null; // a language the browser has no voice for is skipped, not misread
    });
    window.speechSynthesis.cancel();
    var current = (session += 1);
    parts.forEach(function (part, index) {
      var utterance = new window.SpeechSynthesisUtterance(part.text);
      var voice = spVoice(part.lang);
      utterance.lang = voice ? voice.lang : part.lang;
      if (voice) utterance.voice = voice;
      if (index === parts.length - 1) {
        utterance.onend = function () {
          if (session === current) stop();
        };
      }
      window.speechSynthesis.speak(utterance);
    });
    reading = parts.length > 0;
    aloud.textContent = reading ? TEXT.stopReading : TEXT.readAloud;
    spHelp(toolbar, "aloud", TEXT.readAloudHelp);
  });
  window.addEventListener("pagehide", stop);
  return aloud;
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

  // Read aloud with the browser's own speech synthesis; no button where there is none. The button says what it will
  // do next ("Read this page aloud", "Stop reading").
  if ("speechSynthesis" in window && "SpeechSynthesisUtterance" in window) {
    toolbar.appendChild(spAloudButton(article, toolbar));
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

// Lighthouse configuration for `scripts/lighthouse.py --large-text` (issue 26): Lighthouse's defaults, plus one audit
// that reads the audited page itself once Lighthouse has finished loading and tracing it: whether large-text mode was
// on (html.sp-reading, which surveypress/theme/main.html sets before the page is drawn when localStorage holds
// sp-reading=1), what localStorage held, and the article's computed font size. The audit has weight 0 in the
// performance category, so it changes no score; lighthouse.py fails the run when it says the mode was off.
import { Audit, Gatherer } from "lighthouse";

/* global document, window, getComputedStyle */
function readingMode() {
  var article = document.querySelector(".md-typeset");
  var stored = null;
  try {
    stored = window.localStorage.getItem("sp-reading");
  } catch (error) {
    stored = "unreadable: " + error;
  }
  return {
    on: document.documentElement.classList.contains("sp-reading"),
    stored: stored,
    fontSize: article ? getComputedStyle(article).fontSize : null,
    url: window.location.href,
  };
}

class SpReadingMode extends Gatherer {
  meta = { supportedModes: ["navigation"] };

  async getArtifact(context) {
    return context.driver.executionContext.evaluate(readingMode, { args: [], useIsolation: true });
  }
}

class SpReadingModeAudit extends Audit {
  static get meta() {
    return {
      id: "sp-reading-mode",
      title: "Large-text mode (html.sp-reading) was on",
      failureTitle: "Large-text mode (html.sp-reading) was off",
      description: "The reader's saved large-text choice, read from the audited page after it loaded.",
      scoreDisplayMode: Audit.SCORING_MODES.BINARY,
      requiredArtifacts: ["SpReadingMode"],
    };
  }

  static audit(artifacts) {
    const mode = artifacts.SpReadingMode;
    return {
      score: mode.on ? 1 : 0,
      displayValue: `sp-reading ${mode.on ? "on" : "off"}, article text ${mode.fontSize}`,
      details: { type: "debugdata", ...mode },
    };
  }
}

export default {
  extends: "lighthouse:default",
  artifacts: [{ id: "SpReadingMode", gatherer: { implementation: SpReadingMode } }],
  audits: [{ implementation: SpReadingModeAudit }],
  categories: { performance: { auditRefs: [{ id: "sp-reading-mode", weight: 0 }] } },
};

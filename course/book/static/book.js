// pydata-sphinx-theme loads Sphinx's searchtools.js on every page, and Sphinx
// highlights the searched words only on pages without it; so the page a
// search result opens highlights them here (the search page itself does not).
document.addEventListener("DOMContentLoaded", () => {
  if (typeof SphinxHighlight !== "undefined" && !document.getElementById("search-results")) {
    SphinxHighlight.highlightSearchWords();
  }
});

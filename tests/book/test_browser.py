"""The real book in a real browser.

`course book --fast` builds the site from the fast runs the notebook tests
made (tests/conftest.py orders this module after them, so nothing is
executed twice; run alone, it executes what is missing). A server on
127.0.0.1 serves the site and headless Chromium opens every page: no
console error, no request to another host, every image loaded, the math
typeset by MathJax, the previous / next links in syllabus order, the
notebook offered for download; the search finds the pages with "Hopfield"
(and with "Bahdanau") and leads to them. A full-page screenshot of each page goes to
runs/pytest/screenshots/ for a person to look at.
"""

import base64
import functools
import html
import http.server
import json
import pathlib
import re
import subprocess
import sys
import threading
import urllib.parse
import urllib.request

import nbformat
import pytest

from course.book.site import Course
from tests.book.helpers import ROOT

COURSE = pathlib.Path(sys.executable).parent / "course"
SITE = ROOT / "runs" / "pytest" / "book"
SCREENSHOTS = ROOT / "runs" / "pytest" / "screenshots"
REPOSITORY = Course.from_repository(ROOT)
LECTURE = [source.stem for source in REPOSITORY.notebooks]
ASSIGNMENTS = [f"assignments/{a.notebook.stem}" for a in REPOSITORY.assignments]
# Every page, in the order of the previous / next links.
PAGES = ["index", *LECTURE, *ASSIGNMENTS]
SOURCES = dict(
    zip(
        LECTURE + ASSIGNMENTS,
        REPOSITORY.notebooks + [a.notebook for a in REPOSITORY.assignments],
        strict=True,
    )
)
# Run alone, the build may execute all the notebooks (about a minute each).
BUILD_TIMEOUT_S = 3600
# As root, Chromium needs --no-sandbox; the rest keeps it from reaching out
# (updates, sync, QUIC), and every host name but 127.0.0.1 fails to resolve.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--window-size=1280,1000",
)
LOCAL_SCHEMES = ("data", "blob", "about")
# Words of notebook 13: the lecture's name and one from its references.
SEARCHED_WORDS = ("Hopfield", "Bahdanau")

WAIT_FOR_MATHJAX = """
const done = arguments[arguments.length - 1];
if (!window.MathJax || !MathJax.startup) { done("no MathJax"); return; }
MathJax.startup.promise.then(() => done("typeset"), (e) => done("failed: " + e));
"""
# What a reader sees on the page, measured in the page.
PAGE_STATE = """
const article = document.querySelector("article") || document.body;
const prose = article.cloneNode(true);
prose.querySelectorAll("pre, code, script, style, mjx-container").forEach(
    (e) => e.remove());
const maths = [...article.querySelectorAll(".math")];
const link = (selector) => {
    const a = document.querySelector(selector);
    return a ? a.href : null;
};
return {
    images: [...document.images].map((i) => ({
        src: i.currentSrc || i.src, loaded: i.complete && i.naturalWidth > 0})),
    math: maths.length,
    untypeset: maths.filter((m) => !m.querySelector("mjx-container"))
        .map((m) => m.textContent.slice(0, 80)),
    tex_errors: [...article.querySelectorAll("mjx-merror")]
        .map((e) => e.textContent.slice(0, 80)),
    // TeX commands MathJax printed instead of obeying (a backslash).
    literal_tex: [...article.querySelectorAll("mjx-assistive-mml")]
        .map((m) => m.textContent)
        .filter((t) => t.includes(String.fromCharCode(92))),
    prose: prose.textContent,
    previous: link("a.left-prev"),
    next: link("a.right-next"),
    downloads: [...article.querySelectorAll("a.download")].map((a) => a.href),
};
"""
# TeX the reader should never see: $$, \\( \\) \\[ \\], \\begin{, $...$.
RAW_TEX = re.compile(r"\$\$|\\[()[\]]|\\begin\{|\$[^\s$][^$]*\$")


@pytest.fixture(scope="module")
def site(book_extra, fast_runs):
    """The fast book of the repository, built from the notebook tests' runs."""
    result = subprocess.run(
        [str(COURSE), "book", "--fast", "--runs", str(fast_runs), "--out", str(SITE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"`course book --fast` failed:\n{log[-8000:]}"
    assert "Sphinx warning" not in log, log[-8000:]
    print(log)  # which runs were reused and which executed
    return SITE


@pytest.fixture(scope="module")
def server(site):
    """The site served on 127.0.0.1 (a free port); yields the base URL."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(site))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    """Headless Chromium through chromedriver, with a new empty profile,
    logging the console and every network request."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium["chromium"]
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    options.set_capability(
        "goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"}
    )
    driver = webdriver.Chrome(
        options=options, service=Service(chromium["chromedriver"])
    )
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def open_page(driver, url):
    """Loads `url` and waits for MathJax; returns the console entries and
    the URLs requested while loading."""
    for log in ("browser", "performance"):  # reading a log empties it
        driver.get_log(log)
    driver.get(url)
    driver.execute_async_script(WAIT_FOR_MATHJAX)
    requested = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
    return driver.get_log("browser"), requested


def screenshot(driver, name):
    """Saves the whole page as SCREENSHOTS/NAME.png: the window is made as
    tall as the page for the shot (the theme's sticky sidebars would be
    wrong in a capture beyond the window), then set back."""
    width = driver.execute_script("return window.innerWidth")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    metrics = {
        "width": width,
        "height": height,
        "deviceScaleFactor": 1,
        "mobile": False,
    }
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    path = SCREENSHOTS / f"{name.replace('/', '__')}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def foreign(urls, base):
    """The requested URLs that are not on the test's own server."""
    return [
        url
        for url in urls
        if urllib.parse.urlsplit(url).scheme not in LOCAL_SCHEMES
        and not url.startswith(base + "/")
    ]


def url_of(base, page):
    return f"{base}/{page}.html" if page else None


def writes_math(source):
    return any(
        "$" in cell.source
        for cell in nbformat.read(source, as_version=4).cells
        if cell.cell_type == "markdown"
    )


@pytest.mark.parametrize("page", PAGES)
def test_page_in_the_browser(page, browser, server):
    console, requested = open_page(browser, url_of(server, page))
    state = browser.execute_script(PAGE_STATE)
    screenshot(browser, page)

    errors = [entry["message"] for entry in console if entry["level"] == "SEVERE"]
    assert not errors, f"console errors: {errors}"
    assert not foreign(requested, server), "requests to other hosts"
    assert state["images"] or page == "index" or page in ASSIGNMENTS
    broken = [image["src"] for image in state["images"] if not image["loaded"]]
    assert not broken, f"images that did not load: {broken}"

    if page in SOURCES and writes_math(SOURCES[page]):
        assert state["math"] > 0, "the notebook writes math, the page shows none"
    assert not state["untypeset"], f"math MathJax did not typeset: {state['untypeset']}"
    assert not state["tex_errors"], f"TeX errors: {state['tex_errors']}"
    assert not state["literal_tex"], f"TeX printed literally: {state['literal_tex']}"
    raw = [match.group() for match in RAW_TEX.finditer(state["prose"])]
    assert not raw, f"raw TeX left in the text: {raw[:10]}"

    position = PAGES.index(page)
    expected_previous = PAGES[position - 1] if position else None
    expected_next = PAGES[position + 1] if position + 1 < len(PAGES) else None
    assert state["previous"] == url_of(server, expected_previous)
    assert state["next"] == url_of(server, expected_next)

    if page in SOURCES:
        source = SOURCES[page]
        (download,) = [d for d in state["downloads"] if d.endswith(f"/{source.name}")]
        with urllib.request.urlopen(download, timeout=30) as response:
            assert response.read() == source.read_bytes()


def article_text(site, page):
    """The text of a page's article, from its HTML file."""
    page_html = (site / f"{page}.html").read_text()
    article = page_html[page_html.index("<article") : page_html.index("</article>")]
    return html.unescape(re.sub(r"<[^>]+>", " ", article))


@pytest.mark.parametrize("searched", SEARCHED_WORDS)
def test_search_finds_the_pages_with_a_word_and_links_to_them(
    searched, browser, server, site
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    word = re.compile(rf"\b{searched}\b", re.I)
    having = {page for page in PAGES if word.search(article_text(site, page))}
    assert "13_memory_and_attention" in having

    console, requested = open_page(browser, f"{server}/search.html?q={searched}")
    WebDriverWait(browser, 60).until(
        lambda driver: (
            "Search finished"
            in driver.execute_script(
                "const s = document.querySelector('#search-results .search-summary');"
                "return s ? s.textContent + (document.querySelector('#search-results "
                "ul.search li') ? ' Search finished' : '') : '';"
            )
        )
    )
    links = browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search li > a")
    found = {
        urllib.parse.urlsplit(link.get_attribute("href")).path[1:].removesuffix(".html")
        for link in links
    }
    screenshot(browser, f"search_{searched}")
    assert found == having
    assert not foreign(requested, server)
    assert not [entry for entry in console if entry["level"] == "SEVERE"]

    (result,) = [
        link
        for link in links
        if "13_memory_and_attention.html" in link.get_attribute("href")
    ]
    result.click()
    WebDriverWait(browser, 30).until(
        lambda driver: "13_memory_and_attention" in driver.current_url
    )
    highlighted = browser.find_elements(By.CSS_SELECTOR, "article span.highlighted")
    # textContent, not .text: a match inside a collapsed answers block is
    # highlighted too, and .text is only what is visible
    assert highlighted and all(
        word.search(h.get_attribute("textContent")) for h in highlighted
    )


def test_the_site_holds_no_solution(site):
    for path in site.rglob("*"):
        assert "solutions" not in path.relative_to(site).parts, path
        if (
            path.suffix in (".html", ".ipynb", ".txt", ".js")
            and "_static" not in path.parts
        ):
            assert "### BEGIN SOLUTION" not in path.read_text(errors="replace"), path

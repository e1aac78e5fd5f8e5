"""The service as deployed: ``bantin serve`` in a subprocess on a free loopback port, driven
over HTTP and by headless Chromium (Debian's ``chromium`` + ``chromium-driver``, through selenium).

The server tests need nothing but the project.  The browser tests skip when
Chromium or its driver is missing, except under ``CI=true`` (``.ci/run``
installs them), where they fail instead.  Every wait is on an event (the server
answering, an element appearing); nothing is timed.  Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from searcher import build_index, update_index

PROJECT = Path(__file__).resolve().parents[1]
SCREENSHOTS = PROJECT / "benchmarks" / "results" / "serve"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

XSS_BULLETIN = """Bản tin thử nghiệm <script>window.__pwned=1</script> an toàn
12/03/2024
Hội nghị kiểm thử bảo mật đã thảo luận đoạn mã <script>alert(1)</script> trong nội dung bản tin.
Một biến thể khác là <img src=x onerror="window.__pwned=2;document.title='pwned'"> cũng phải hiện ra như chữ.
Theo Ban Tổ chức Trung ương
"""


# --- a real server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``bantin serve`` in a subprocess; ``url`` is its loopback address."""

    def __init__(self, index: Path, log: Path, workers: int = 1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("BANTIN_")}
        cmd = [sys.executable, "-m", "searcher", "serve", "--index", str(index), "--port", str(self.port)]
        cmd += ["--workers", str(workers), "--no-access-log"]
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=PROJECT)
        self._wait_until_it_answers()

    def _wait_until_it_answers(self) -> None:
        for _ in range(1200):  # a bound, not a timing: each round waits for a refused connection
            if self.proc.poll() is not None:
                pytest.fail(f"bantin serve exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                httpx2.get(self.url + "/v1/health", timeout=10)
                return
            except httpx2.TransportError:
                time.sleep(0.05)
        pytest.fail(f"bantin serve never answered:\n{self.log.read_text()}")

    def get(self, path: str, **params: Any) -> httpx2.Response:
        """A request on a new connection, so that any worker process may take it."""
        return httpx2.get(self.url + path, params=params, timeout=30)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def bulletin(title: str, body: str) -> str:
    return f"{title}\n09/01/2024\n{body}\n"


def test_navigation_parameters_through_the_real_server(tmp_path, corpus_dir, seed_ids):
    build_index(corpus_dir, tmp_path / "index")
    server = Server(tmp_path / "index", tmp_path / "serve.log")
    try:
        r = httpx2.get(server.url + "/v1/search?year=2022&facets=year,cites&source=dangcongsan.vn&source=x.vn", timeout=30)
        data = r.json()
        assert [h["id"] for h in data["hits"]] == [seed_ids["000"]] and data["facets"]["year"] == [[2022, 1]]
        bad = server.get("/v1/search", q="đảng", since="2022-13-01")
        assert bad.status_code == 400 and bad.json()["error"]["message"].startswith("bad date '2022-13-01'")
    finally:
        assert server.stop() == 0, server.log.read_text()
    assert "Traceback" not in server.log.read_text()


def test_server_starts_without_an_index_and_answers_503_until_one_is_built(tmp_path, corpus_dir):
    ix = tmp_path / "index"
    server = Server(ix, tmp_path / "serve.log", workers=2)
    try:
        r = server.get("/v1/health")
        assert r.status_code == 503 and r.json()["error"]["code"] == "index_missing"
        assert server.get("/v1/search", q="đảng").status_code == 503
        build_index(corpus_dir, ix)
        for _ in range(6):
            assert server.get("/v1/search", q="ket luan 21").json()["total"] == 2
    finally:
        assert server.stop() == 0, server.log.read_text()
    assert "Traceback" not in server.log.read_text()
    assert "answering 503 until" in server.log.read_text()


def test_every_worker_follows_an_index_update_without_restart(tmp_path, corpus_dir):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    ix = tmp_path / "index"
    build_index(corpus, ix)
    server = Server(ix, tmp_path / "serve.log", workers=2)  # both workers open generation 1 at startup
    try:
        gen = server.get("/v1/health").json()["generation"]
        assert server.get("/v1/search", q="zorvakin").json()["total"] == 0  # a made-up word
        (corpus / "new.txt").write_text(
            bulletin("Hội thi khinh khí cầu zorvakin", "Ban Tổ chức phát động hội thi khinh khí cầu zorvakin."),
            encoding="utf-8",
        )
        update_index(corpus, ix)  # another process commits while the server runs
        for _ in range(20):  # new connections: the kernel hands them to either worker
            data = server.get("/v1/search", q="khinh khi cau zorvakin").json()
            assert [h["id"] for h in data["hits"]] == ["new"]
            assert server.get("/v1/health").json()["generation"] != gen
        # A query of 2,000 characters with diacritics (an ~18 KB URL) passes uvicorn; a longer URL is a 414.
        long_query = ("Kết luận số 21 của Ban Chấp hành Trung ương " * 60)[:2000]
        assert server.get("/v1/search", q=long_query).status_code == 200
        r = server.get("/v1/search", q="a" * 30_000)
        assert r.status_code == 414 and r.json()["error"]["code"] == "uri_too_long"
    finally:
        assert server.stop() == 0, server.log.read_text()
    assert "Traceback" not in server.log.read_text()


# --- the browser -----------------------------------------------------------------------------


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip)")
    if not missing:
        return
    reason = f"browser test needs {', '.join(missing)}: apt-get install chromium chromium-driver"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI installs them: see .ci/run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory, corpus_dir) -> Iterator[Server]:
    """The seed corpus plus one bulletin holding markup, served by a real server."""
    base = tmp_path_factory.mktemp("site")
    corpus = base / "corpus"
    shutil.copytree(corpus_dir, corpus)
    (corpus / "xss_test.txt").write_text(XSS_BULLETIN, encoding="utf-8")
    build_index(corpus, base / "index")
    server = Server(base / "index", base / "serve.log")
    yield server
    assert server.stop() == 0, server.log.read_text()
    assert "Traceback" not in server.log.read_text()


def _chromium(profile: Path, javascript: bool = True):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = str(CHROMIUM)
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
        "--lang=vi",
    ):
        opts.add_argument(arg)
    if not javascript:
        opts.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=opts)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _require_browser()
    driver = _chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def browser_without_js(tmp_path_factory):
    _require_browser()
    driver = _chromium(tmp_path_factory.mktemp("chromium-profile-nojs"), javascript=False)
    yield driver
    driver.quit()


def wait(driver, condition, what: str):
    """Wait for ``condition``; an element found on the page being left (a form sent
    without JavaScript loads a new page) is stale, and is looked for again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 60, ignored_exceptions=(StaleElementReferenceException,)).until(
        condition, message=f"waiting for {what}"
    )


def results_for(driver, query: str):
    """Wait until the results section shows ``query``; return its hits."""
    from selenium.webdriver.common.by import By

    def ready(d):
        section = d.find_element(By.ID, "results")
        if section.get_attribute("data-query") != query:
            return False
        return d.find_elements(By.CSS_SELECTOR, "#results li.hit") or False

    return wait(driver, ready, f"results for {query!r}")


def type_query(driver, server: Server, query: str):
    from selenium.webdriver.common.by import By

    driver.get(server.url + "/")
    driver.execute_script("window.__samePage = true")
    driver.find_element(By.ID, "q").send_keys(query)
    hits = results_for(driver, query)
    assert driver.execute_script("return window.__samePage") is True  # rendered in place, no navigation
    return hits


def assert_inert(driver) -> None:
    """No script from a bulletin ran: no alert, no global set, the title untouched."""
    from selenium.common.exceptions import NoAlertPresentException

    try:
        alert = driver.switch_to.alert
        text = alert.text
        alert.dismiss()
        pytest.fail(f"a bulletin's script ran: alert({text})")
    except NoAlertPresentException:
        pass
    assert driver.execute_script("return window.__pwned === undefined") is True
    assert "pwned" != driver.title


def test_as_you_type_without_diacritics_highlights_and_opens_a_bulletin(browser, site, seed_ids):
    from selenium.webdriver.common.by import By

    hits = type_query(browser, site, "ket luan 21")
    assert [h.get_attribute("data-id") for h in hits] == [seed_ids["003"], seed_ids["000"]]
    marks = hits[0].find_elements(By.TAG_NAME, "mark")
    assert marks and marks[0].text == "Kết luận số 21"
    assert hits[0].find_element(By.CSS_SELECTOR, "time").text == "05/04/2022"
    assert "Tìm thấy 2 bản tin" in browser.find_element(By.CSS_SELECTOR, "#results .status").text
    assert browser.current_url.endswith("/?q=ket+luan+21")  # the address follows the query
    facet = browser.find_element(By.CSS_SELECTOR, '#results section.facet[data-facet="year"] a')
    assert facet.text == "2022" and facet.get_attribute("href").endswith("/?q=ket+luan+21&year=2022")

    title = hits[0].find_element(By.CSS_SELECTOR, "a.hit-title")
    expected = title.text
    title.click()
    heading = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "article#bulletin h1"), "the bulletin")
    assert heading[0].text == expected
    assert browser.find_element(By.CSS_SELECTOR, "a.back").get_attribute("href").endswith("/?q=ket+luan+21")


def test_the_form_works_without_javascript(browser_without_js, site, seed_ids):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser_without_js
    driver.get(site.url + "/")
    driver.find_element(By.ID, "q").send_keys("ket luan 21", Keys.ENTER)
    hits = results_for(driver, "ket luan 21")
    assert "?q=ket+luan+21" in driver.current_url
    assert hits[0].get_attribute("data-id") == seed_ids["003"]
    assert hits[0].find_element(By.TAG_NAME, "mark").text == "Kết luận số 21"


def test_markup_in_a_bulletin_never_runs(browser, site):
    from selenium.webdriver.common.by import By

    # As you type (rendered by the page's script) and as a plain GET (rendered by the server):
    for hits in (type_query(browser, site, "alert"), None):
        if hits is None:
            browser.get(site.url + "/?q=alert")
            hits = results_for(browser, "alert")
        hit = next(h for h in hits if h.get_attribute("data-id") == "xss_test")
        assert_inert(browser)
        assert hit.find_element(By.CSS_SELECTOR, "a.hit-title").text == (
            "Bản tin thử nghiệm <script>window.__pwned=1</script> an toàn"
        )
        assert "<script>alert(1)</script>" in hit.find_element(By.CSS_SELECTOR, ".snippet").text
        assert hit.find_element(By.CSS_SELECTOR, ".snippet mark").text == "alert"
        assert not hit.find_elements(By.CSS_SELECTOR, "script, img")

    browser.get(site.url + "/b/xss_test")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "article#bulletin"), "the bulletin")
    assert_inert(browser)
    assert browser.title == "Bản tin thử nghiệm <script>window.__pwned=1</script> an toàn · bantin"
    body = browser.find_element(By.CSS_SELECTOR, "article .body").text
    assert "<script>alert(1)</script>" in body
    assert "<img src=x onerror=\"window.__pwned=2;document.title='pwned'\">" in body
    assert not browser.find_elements(By.CSS_SELECTOR, "article script, article img")


# --- filters, facets, sort ------------------------------------------------------------------------

SNAPSHOT = """
const r = document.getElementById("results");
const norm = (t) => (t || "").replace(/\\s+/g, " ").trim();
return {
  state: r.dataset.state,
  query: r.dataset.query,
  notes: [...r.querySelectorAll(".status, .note")].map((e) => norm(e.textContent)),
  hits: [...r.querySelectorAll("li.hit")].map((li) => [li.dataset.id, norm(li.textContent), li.querySelector("a").href]),
  links: [...r.querySelectorAll("a")].map((a) => [
    a.className, a.getAttribute("aria-label"), a.getAttribute("aria-current"), norm(a.textContent), a.href]),
  facets: [...r.querySelectorAll("section.facet")].map((f) => [
    f.dataset.facet, norm(f.querySelector("h2").textContent),
    [...f.querySelectorAll("li")].map((li) => [...li.children].map((c) => norm(c.textContent)))]),
  sorts: [...r.querySelectorAll("nav.sort a")].map((a) => a.dataset.sort),
};
"""


def snapshot(driver) -> dict:
    """What the results section shows and links to, with every URL decoded (the page's script and
    the server may percent-encode a character differently, e.g. "~")."""
    from urllib.parse import parse_qsl, urlsplit

    def url(u: str):
        parts = urlsplit(u)
        return parts.path, parse_qsl(parts.query)

    snap = driver.execute_script(SNAPSHOT)
    snap["state"] = parse_qsl(snap["state"])
    snap["hits"] = [[i, text, url(h)] for i, text, h in snap["hits"]]
    snap["links"] = [[*rest, url(h)] for *rest, h in snap["links"]]
    return snap


def hit_ids(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [h.get_attribute("data-id") for h in driver.find_elements(By.CSS_SELECTOR, "#results li.hit")]


def wait_for_state(driver, state: str):
    """Wait until the results section is the one for this query string (server- or script-rendered)."""
    from selenium.webdriver.common.by import By

    return wait(
        driver, lambda d: d.find_element(By.ID, "results").get_attribute("data-state") == state, f"results for ?{state}"
    )


def test_a_year_facet_link_filters_the_hits(browser, site, seed_ids):
    from selenium.webdriver.common.by import By

    hits = type_query(browser, site, "đảng")
    assert len(hits) == 5
    facet = browser.find_element(By.CSS_SELECTOR, '#results section.facet[data-facet="year"] a')
    assert facet.text == "2022"
    assert facet.find_element(By.XPATH, "following-sibling::span").text in ("3", "(3)")
    facet.click()
    wait_for_state(browser, "q=%C4%91%E1%BA%A3ng&year=2022")
    assert browser.current_url.endswith("/?q=%C4%91%E1%BA%A3ng&year=2022")
    expected = site.get("/v1/search", q="đảng", year=2022).json()
    assert hit_ids(browser) == [h["id"] for h in expected["hits"]]
    assert set(hit_ids(browser)) == {seed_ids["000"], seed_ids["003"], seed_ids["004"]}
    chip = browser.find_element(By.CSS_SELECTOR, "#results .filters a.chip")
    assert chip.text.replace("×", "").strip() == "Năm 2022" and chip.get_attribute("aria-label") == "Bỏ lọc: Năm 2022"
    assert "Tìm thấy 3 bản tin" in browser.find_element(By.CSS_SELECTOR, "#results .status").text
    active = browser.find_element(By.CSS_SELECTOR, '#results section.facet[data-facet="year"] a.active')
    assert active.get_attribute("aria-current") == "true"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOTS / "search_page.png"))
    browser.set_window_size(412, 915)  # a phone
    try:
        assert browser.save_screenshot(str(SCREENSHOTS / "search_page_phone.png"))
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= browser.execute_script("return window.innerWidth")  # no sideways scrolling
    finally:
        browser.set_window_size(1280, 900)

    # Sort by date, then take the filter off again: plain links, each a new page.
    browser.find_element(By.CSS_SELECTOR, '#results nav.sort a[data-sort="oldest"]').click()
    wait_for_state(browser, "q=%C4%91%E1%BA%A3ng&year=2022&sort=oldest")
    assert hit_ids(browser) == [seed_ids["003"], seed_ids["000"], seed_ids["004"]]
    browser.find_element(By.CSS_SELECTOR, "#results .filters a.chip").click()
    wait_for_state(browser, "q=%C4%91%E1%BA%A3ng&sort=oldest")
    assert len(hit_ids(browser)) == 5 and not browser.find_elements(By.CSS_SELECTOR, "#results .filters")


def test_typing_keeps_the_filters_and_renders_what_the_server_renders(browser, site, seed_ids):
    from selenium.webdriver.common.by import By

    browser.get(site.url + "/?year=2022&sort=oldest")
    wait_for_state(browser, "year=2022&sort=oldest")
    assert hit_ids(browser) == [seed_ids["003"], seed_ids["000"], seed_ids["004"]]  # listed without words
    browser.execute_script("window.__samePage = true")
    browser.find_element(By.ID, "q").send_keys("đảng")
    results_for(browser, "đảng")
    assert browser.execute_script("return window.__samePage") is True
    assert browser.current_url.endswith("/?q=%C4%91%E1%BA%A3ng&year=2022&sort=oldest")  # the filters stay
    typed = snapshot(browser)
    assert [h[0] for h in typed["hits"]] == [seed_ids["003"], seed_ids["000"], seed_ids["004"]]
    assert typed["sorts"] == ["relevance", "newest", "oldest"]  # words: relevance is an order again

    browser.get(browser.current_url)  # the same address, rendered by the server
    wait_for_state(browser, "q=%C4%91%E1%BA%A3ng&year=2022&sort=oldest")
    served = snapshot(browser)
    for part in ("state", "query", "notes", "hits", "facets", "sorts", "links"):
        assert typed[part] == served[part], part

    # Without words and with the filters, typing nothing lists again; without filters it clears.
    browser.get(site.url + "/?q=ket+luan+21&source=dangcongsan.vn")
    wait_for_state(browser, "q=ket+luan+21&source=dangcongsan.vn")
    assert hit_ids(browser) == [seed_ids["000"]]
    box = browser.find_element(By.ID, "q")
    box.clear()
    box.send_keys(" ")
    wait(browser, lambda d: d.find_element(By.ID, "results").get_attribute("data-state") == "source=dangcongsan.vn",
         "the listing by source")
    assert "Có 1 bản tin" in browser.find_element(By.CSS_SELECTOR, "#results .status").text


def test_filters_work_without_javascript(browser_without_js, site, seed_ids):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser_without_js
    driver.get(site.url + "/?q=%C4%91%E1%BA%A3ng")
    wait_for_state(driver, "q=%C4%91%E1%BA%A3ng")
    driver.find_element(By.CSS_SELECTOR, '#results section.facet[data-facet="year"] a').click()
    wait_for_state(driver, "q=%C4%91%E1%BA%A3ng&year=2022")
    assert set(hit_ids(driver)) == {seed_ids["000"], seed_ids["003"], seed_ids["004"]}
    # A new query from the form keeps the filter (hidden fields).
    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys("ket luan 21", Keys.ENTER)
    wait_for_state(driver, "q=ket+luan+21&year=2022")
    assert hit_ids(driver) == [seed_ids["003"], seed_ids["000"]]
    driver.find_element(By.CSS_SELECTOR, '#results section.facet[data-facet="cites"] a').click()
    wait(driver, lambda d: "cites=" in d.find_element(By.ID, "results").get_attribute("data-state"), "a cites filter")
    assert driver.find_element(By.CSS_SELECTOR, "#results .filters a.chip + a.chip")  # year and the cited document


def test_two_workers_share_the_connections(tmp_path, corpus_dir):
    """Each worker accepts its own connections (SO_REUSEPORT): twenty clients
    connecting at once do not all land on one worker."""
    build_index(corpus_dir, tmp_path / "index")
    server = Server(tmp_path / "index", tmp_path / "serve.log", workers=2)
    try:

        async def connect_all() -> list[int]:  # twenty connections at once, as a load of clients opens them
            clients = [httpx2.AsyncClient(timeout=30) for _ in range(20)]
            try:
                answers = await asyncio.gather(*(c.get(server.url + "/v1/health") for c in clients))
                return [a.json()["worker"] for a in answers]
            finally:
                await asyncio.gather(*(c.aclose() for c in clients))

        workers = asyncio.run(connect_all())
        assert len(set(workers)) == 2
        assert min(workers.count(w) for w in set(workers)) >= 2  # spread, not piled on one
    finally:
        assert server.stop() == 0, server.log.read_text()
    assert "Traceback" not in server.log.read_text()

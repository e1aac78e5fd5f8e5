"""The web service through FastAPI's TestClient: every endpoint, every error, the limits, CORS,
the HTML pages, and an index update seen with no restart.

Indexes are real, built in temporary folders from ``.txt`` bulletins (the seed
corpus plus a few written here); nothing is mocked.  The real server (uvicorn
worker processes) and a real browser are in ``test_serve_browser.py``.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote_plus

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from searcher import Searcher, build_index, update_index
from searcher.cli import main
from searcher.normalise import fold
from searcher.schema import ANALYSIS_VERSION
from searcher.serve import snippet_html
from searcher.serve.app import MAX_URL_BYTES, create_app

XSS_ID = "xss_test"
NESTED_ID = "2024/03/thong-bao"

XSS_BULLETIN = """Bản tin thử nghiệm <script>window.__pwned=1</script> an toàn
12/03/2024
Hội nghị kiểm thử bảo mật đã thảo luận đoạn mã <script>alert(1)</script> trong nội dung bản tin.
Một biến thể khác là <img src=x onerror="window.__pwned=2;document.title='pwned'"> cũng phải hiện ra như chữ.
Theo Ban Tổ chức Trung ương
"""

NESTED_BULLETIN = """Thông báo lịch tiếp công dân tháng ba
05/03/2024
Ban Tổ chức Tỉnh ủy thông báo lịch tiếp công dân định kỳ của đồng chí Trưởng ban trong tháng ba.
"""


def bulletin(title: str, day: int, body: str) -> str:
    return f"{title}\n{day:02d}/01/2024\n{body}\n"


def make_corpus(folder: Path, seed: Path) -> Path:
    """The seed bulletins, one holding markup, one in a sub-folder (an id with "/")."""
    shutil.copytree(seed, folder)
    (folder / f"{XSS_ID}.txt").write_text(XSS_BULLETIN, encoding="utf-8")
    nested = folder / f"{NESTED_ID}.txt"
    nested.parent.mkdir(parents=True)
    nested.write_text(NESTED_BULLETIN, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def index(tmp_path_factory, corpus_dir: Path) -> Path:
    base = tmp_path_factory.mktemp("serve")
    ix = base / "index"
    build_index(make_corpus(base / "corpus", corpus_dir), ix)
    return ix


@pytest.fixture(scope="module")
def client(index: Path) -> Iterator[TestClient]:
    with TestClient(create_app(index)) as c:
        yield c


@pytest.fixture(scope="module")
def searcher(index: Path) -> Iterator[Searcher]:
    with Searcher(index) as s:
        yield s


@pytest.fixture(scope="module")
def seed(seed_index: Path) -> Iterator[TestClient]:
    """The service over the five seed bulletins alone (the navigation tests count them)."""
    with TestClient(create_app(seed_index)) as c:
        yield c


def results(page: str) -> str:
    """The results part of a search page (the inline script holds the same labels)."""
    return page.split('<section id="results"', 1)[1].split('<template id="hit-template">', 1)[0]


def error(r, status: int, code: str) -> str:
    """Assert the JSON error shape; return its message."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    message = body["error"]["message"]
    assert message and "\n" not in message and "Traceback" not in r.text
    return message


# --- /v1/search ---------------------------------------------------------------------------


def test_search_is_the_library_result_plus_html(client, searcher, seed_ids):
    r = client.get("/v1/search", params={"q": "Kết luận 21"})
    assert r.status_code == 200
    data = r.json()
    expected = searcher.search("Kết luận 21").to_dict()
    assert [h["id"] for h in data["hits"]] == [seed_ids["003"], seed_ids["000"]]
    for hit in data["hits"]:
        assert hit.pop("snippet_html")
        assert hit["source"] == searcher.get(hit["id"]).source  # Hit.source, no look-up per hit
    assert data == json.loads(json.dumps(expected))
    assert data["facets"] == {} and data["corrected"] is None
    assert (data["offset"], data["limit"], data["sort"]) == (0, 10, "relevance")
    assert data["filters"] == {"since": None, "until": None, "sources": [], "authors": [], "cites": []}
    cited = data["hits"][0]["refs"][0]
    assert set(cited) == {"key", "label", "type", "number", "symbol", "count", "spans", "in_title"}


def test_search_without_diacritics_marks_the_reference(client, seed_ids):
    data = client.get("/v1/search", params={"q": "ket luan 21"}).json()
    assert data["total"] == 2 and data["hits"][0]["id"] == seed_ids["003"]
    assert "<mark>Kết luận số 21</mark>" in data["hits"][0]["snippet_html"]
    for hit in data["hits"]:
        assert hit["snippet_html"] == snippet_html(hit["snippet"], hit["highlights"])
        marked = [m.split("</mark>")[0] for m in hit["snippet_html"].split("<mark>")[1:]]
        assert marked and all(fold(m).startswith("ket luan so 21") for m in marked)  # "Kết Luận số 21- KL/TW" too


def test_limit_and_cites(client, seed_ids):
    assert len(client.get("/v1/search", params={"q": "đảng", "limit": 1}).json()["hits"]) == 1
    assert client.get("/v1/search", params={"q": "đảng", "limit": 100}).status_code == 200
    cited = client.get("/v1/search", params={"q": "hội nghị", "cites": "Kết luận 21"}).json()
    assert {h["id"] for h in cited["hits"]} == {seed_ids["003"], seed_ids["000"]}


# --- /v1/search: navigation (filters, sort, paging, facets) ------------------------------------


def api(client, **params) -> dict:
    r = client.get("/v1/search", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def ids(data: dict) -> list[str]:
    return [h["id"] for h in data["hits"]]


def test_year_alone_lists_that_year_newest_first(seed, seed_ids):
    data = api(seed, year=2022)
    assert ids(data) == [seed_ids["004"], seed_ids["000"], seed_ids["003"]]
    assert (data["total"], data["mode"], data["sort"], data["query"]) == (3, "browse", "newest", "")
    assert data["filters"]["since"] == "2022-01-01" and data["filters"]["until"] == "2022-12-31"
    assert [h["date"] for h in data["hits"]] == ["2022-12-29", "2022-06-30", "2022-04-05"]
    assert all(h["score"] == 0 and h["snippet_html"] for h in data["hits"])


def test_since_and_sort(seed, seed_ids):
    assert ids(api(seed, since="2022-06-01", sort="newest")) == [seed_ids["004"], seed_ids["000"]]
    assert ids(api(seed, since="2022-06-01", sort="oldest")) == [seed_ids["000"], seed_ids["004"]]
    assert ids(api(seed, since="2022-06", until="2022-06")) == [seed_ids["000"]]  # whole months
    assert ids(api(seed, until="2022-06-29")) == [seed_ids["003"]]
    # With words the default order is relevance; the date orders put the undated bulletins last.
    newest = api(seed, q="đảng", sort="newest")
    assert newest["sort"] == "newest" and ids(newest)[:3] == [seed_ids["004"], seed_ids["000"], seed_ids["003"]]
    assert [h["date"] for h in newest["hits"][3:]] == [None, None]


def test_words_and_year(seed, seed_ids):
    data = api(seed, q="Kết luận 21", year=2022)
    assert ids(data) == [seed_ids["003"], seed_ids["000"]] and data["sort"] == "relevance"
    assert api(seed, q="Kết luận 21", year=2023)["total"] == 0
    assert ids(api(seed, q="đảng date:2022-06")) == [seed_ids["000"]]  # the query syntax still works


@pytest.mark.parametrize(
    "params, kwargs",
    [
        ({"year": 2022}, {"filter": {"year": "2022"}}),
        ({"q": "đảng", "since": "2022-05", "until": "2022-12-30"}, {"since": "2022-05", "until": "2022-12-30"}),
        ({"q": "đảng", "sort": "oldest", "offset": 1, "limit": 2}, {"sort": "oldest", "offset": 1, "limit": 2}),
        ({"q": "đảng", "source": ["dangcongsan.vn", "x.vn"]}, {"sources": ["dangcongsan.vn", "x.vn"]}),
        ({"q": "đảng", "sources": "dangcongsan.vn"}, {"sources": ["dangcongsan.vn"]}),
        ({"q": "đảng", "author": "Linh Lan"}, {"authors": ["Linh Lan"]}),
        ({"q": "đảng", "authors": ["Linh Lan", "Duy Khánh"]}, {"authors": ["Linh Lan", "Duy Khánh"]}),
        ({"q": "đảng", "cites": ["Kết luận 21", "Nghị quyết 39"]}, {"cites": ["Kết luận 21", "Nghị quyết 39"]}),
        ({"cites": "21-KL/TW", "sort": "oldest"}, {"cites": ["21-KL/TW"], "sort": "oldest"}),
        ({"q": "đảng", "facets": "year,month,source,author,cites", "facet_limit": 3},
         {"facets": ["year", "month", "source", "author", "cites"], "facet_limit": 3}),
    ],
)
def test_parameters_map_to_the_library(client, searcher, params, kwargs):
    data = api(client, **params)
    for hit in data["hits"]:
        assert hit.pop("snippet_html") is not None
    expected = searcher.search(params.get("q", ""), **kwargs).to_dict()
    assert data == json.loads(json.dumps(expected))


def test_repeated_filters_combine_with_or_and_filters_with_and(seed, seed_ids):
    assert ids(api(seed, q="đảng", source=["dangcongsan.vn", "x.vn"])) == [seed_ids["000"]]
    both = api(seed, q="đảng", author=["Linh Lan"], authors=["Duy Khánh"])  # singular and plural together
    assert both["filters"]["authors"] == ["Linh Lan", "Duy Khánh"] and both["total"] == 2
    cited = api(seed, q="đảng", cites=["Kết luận 21", "Nghị quyết 39"])
    assert set(ids(cited)) == {seed_ids["000"], seed_ids["001"], seed_ids["003"]}
    assert api(seed, q="đảng", cites="Kết luận 21", source="dangcongsan.vn")["total"] == 1


def test_facets_count_every_match(seed, seed_searcher):
    data = api(seed, q="Kết luận 21", facets="year,cites")
    assert set(data["facets"]) == {"year", "cites"}
    assert data["facets"]["year"] == [[2022, 2]]
    cites = {key: (label, n) for key, label, n in data["facets"]["cites"]}
    assert cites["kl:21"] == ("Kết luận 21", 2) and all(n >= 1 for _, n in cites.values())
    assert data["facets"] == json.loads(json.dumps(seed_searcher.search("Kết luận 21", facets=["year", "cites"]).facets))
    # Repeated names mean the same as a comma list; facet_limit caps each facet.
    assert api(seed, q="Kết luận 21", facets=["year", "cites"])["facets"] == data["facets"]
    capped = api(seed, q="Kết luận 21", facets="cites", facet_limit=1, limit=1)
    assert capped["facets"] == {"cites": data["facets"]["cites"][:1]} and len(capped["hits"]) == 1
    # Counts cover every match, not only the page of hits returned.
    browse = api(seed, year=2022, facets="year,month,source", limit=1)
    assert browse["facets"]["year"] == [[2022, 3]] and sum(n for _, n in browse["facets"]["month"]) == 3
    assert browse["facets"]["source"] == [["dangcongsan.vn", 1]]


@pytest.mark.parametrize("params", [{"q": "đảng"}, {"q": "đảng", "sort": "newest"}, {"year": 2022, "sort": "oldest"}])
def test_offset_pages_are_stable(seed, params):
    whole = ids(api(seed, limit=10, **params))
    total = len(whole)
    pages = [api(seed, limit=2, offset=o, **params) for o in range(0, total + 2, 2)]
    assert [p["offset"] for p in pages] == list(range(0, total + 2, 2)) and all(p["limit"] == 2 for p in pages)
    assert [i for p in pages for i in ids(p)] == whole  # no overlap, nothing skipped
    assert all(p["total"] == total for p in pages) and pages[-1]["hits"] == []
    assert ids(api(seed, limit=2, offset=2, **params)) == ids(pages[1])  # the same page twice


@pytest.mark.parametrize(
    "params, kwargs",
    [
        ({"since": "2022-13-01"}, {"since": "2022-13-01"}),
        ({"q": "đảng", "until": "yesterday"}, {"until": "yesterday"}),
        ({"q": "đảng", "sort": "x"}, {"sort": "x"}),
        ({"q": "đảng", "facets": "x"}, {"facets": ["x"]}),
        ({"q": "đảng", "facets": "year,authors"}, {"facets": ["year", "authors"]}),
        ({"q": "đảng", "since": "2023", "until": "2022"}, {"since": "2023", "until": "2022"}),  # reversed range
        ({"q": "đảng", "year": 2023, "until": "2022-06"}, {"filter": {"year": "2023"}, "until": "2022-06"}),
        ({"q": "đảng", "year": 1800}, {"filter": {"year": "1800"}}),
        ({"cites": "hello"}, {"cites": ["hello"]}),
        ({"q": "", "sort": "newest"}, {"sort": "newest"}),  # no words and no filter: nothing to list
    ],
)
def test_bad_navigation_values_are_400_with_the_library_message(client, searcher, params, kwargs):
    from searcher import QueryError

    with pytest.raises(QueryError) as raised:
        searcher.search(params.get("q", ""), **kwargs)
    assert error(client.get("/v1/search", params=params), 400, "bad_query") == str(raised.value)


@pytest.mark.parametrize(
    "params, where",
    [
        ({"q": "đảng", "offset": -1}, "offset"),
        ({"q": "đảng", "offset": "two"}, "offset"),
        ({"q": "đảng", "year": "2022-06"}, "year"),
        ({"q": "đảng", "facet_limit": 0}, "facet_limit"),
        ({"q": "đảng", "source": "x" * 201}, "source"),
        ({"q": "đảng", "cites": ["Kết luận 21"] * 21}, "cites"),
        ({"q": "đảng", "since": "2" * 41}, "since"),
    ],
)
def test_bad_navigation_parameters_are_400(client, params, where):
    assert error(client.get("/v1/search", params=params), 400, "bad_parameter").startswith(f"{where}: ")


@pytest.mark.parametrize(
    "params, code",
    [
        ({}, "bad_query"),  # no words and no filter
        ({"q": ""}, "bad_query"),
        ({"q": "!!! ??"}, "bad_query"),
        ({"q": "đảng", "limit": 0}, "bad_parameter"),
        ({"q": "đảng", "limit": 101}, "bad_parameter"),
        ({"q": "đảng", "limit": "ten"}, "bad_parameter"),
        ({"q": "đảng", "limt": 5}, "bad_parameter"),  # unknown parameters are refused, not ignored
        ({"q": "đảng", "cites": "hello"}, "bad_query"),  # not a document reference
        ({"q": "đảng " * 401}, "bad_parameter"),  # 2,005 characters
    ],
)
def test_bad_queries_and_parameters_are_400(client, params, code):
    message = error(client.get("/v1/search", params=params), 400, code)
    if "limt" in params:
        assert message == "unknown parameter 'limt'"


def test_a_query_of_2000_characters_is_accepted(client):
    q = ("hội nghị " * 250)[:2000]
    assert len(q) == 2000
    assert client.get("/v1/search", params={"q": q}).status_code == 200


def test_markup_in_a_bulletin_comes_out_escaped(client):
    data = client.get("/v1/search", params={"q": "mã alert"}).json()
    hit = next(h for h in data["hits"] if h["id"] == XSS_ID)
    assert "<script>alert(1)</script>" in hit["snippet"]  # JSON carries the text as written
    assert "<script" not in hit["snippet_html"] and "<img" not in hit["snippet_html"]
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in hit["snippet_html"]
    assert "&lt;img src=x onerror=&quot;window.__pwned=2;" in hit["snippet_html"]
    # Unescaping the HTML gives the snippet back: nothing lost, nothing added but <mark>.
    plain = hit["snippet_html"].replace("<mark>", "").replace("</mark>", "")
    assert html.unescape(plain) == hit["snippet"]


def test_snippet_html_merges_and_clips_spans():
    assert snippet_html("a<b>c", []) == "a&lt;b&gt;c"
    assert snippet_html("abcdef", [(3, 5), (0, 2), (1, 4), (5, 99)]) == "<mark>abcde</mark><mark>f</mark>"
    assert snippet_html("x & y", [(4, 4), (-3, 1)]) == "<mark>x</mark> &amp; y"


# --- /v1/bulletins, /v1/refs, /v1/health, OpenAPI ---------------------------------------


def test_bulletin_is_the_library_document(client, searcher, seed_ids):
    r = client.get(f"/v1/bulletins/{seed_ids['003']}")
    assert r.status_code == 200
    assert r.json() == json.loads(json.dumps(searcher.get(seed_ids["003"]).to_dict()))


def test_bulletin_ids_may_hold_slashes(client):
    r = client.get(f"/v1/bulletins/{NESTED_ID}")
    assert r.status_code == 200 and r.json()["id"] == NESTED_ID
    assert r.json()["title"] == "Thông báo lịch tiếp công dân tháng ba"


def test_unknown_bulletin_is_404(client):
    assert "no bulletin with id" in error(client.get("/v1/bulletins/000_nope"), 404, "not_found")


def test_refs_are_the_library_refs(client, searcher):
    r = client.get("/v1/refs", params={"q": "Kết luận"})
    assert r.status_code == 200
    assert r.json() == [x.to_dict() for x in searcher.refs("Kết luận")[:50]]
    assert any(x["label"] == "Kết luận 21" for x in r.json())
    assert len(client.get("/v1/refs", params={"limit": 2}).json()) == 2
    error(client.get("/v1/refs", params={"limit": 0}), 400, "bad_parameter")


def test_health(client, searcher):
    r = client.get("/v1/health")
    assert r.status_code == 200
    assert r.json() == {
        "status": "ok",
        "generation": searcher.generation,
        "documents": searcher.doc_count(),
        "analysis_version": ANALYSIS_VERSION,
        "analysis_current": True,
        "version": r.json()["version"],
        "worker": os.getpid(),  # the test client runs the app in this process
        "cache": r.json()["cache"],
    }
    assert r.json()["documents"] == 7
    cache = r.json()["cache"]
    assert cache["size"] == 1024 and 0 <= cache["entries"] <= cache["misses"]  # the default size


def test_openapi_documents_typed_responses(client):
    spec = client.get("/v1/openapi.json").json()
    assert {"/v1/search", "/v1/bulletins/{doc_id}", "/v1/refs", "/v1/health"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert {"snippet_html", "highlights", "source"} <= set(schemas["HitOut"]["properties"])
    assert set(schemas["SearchOut"]["properties"]) == {
        "query", "total", "offset", "limit", "sort", "mode", "notice", "corrected", "suggestion", "filters", "facets",
        "hits",
    }
    assert set(schemas["FacetsOut"]["properties"]) == {"year", "month", "source", "author", "cites"}
    assert set(schemas["FiltersOut"]["properties"]) == {"since", "until", "sources", "authors", "cites"}
    assert "in_title" in schemas["CitationOut"]["properties"]
    assert "date_source" in schemas["DocumentOut"]["properties"]
    assert "ErrorOut" in schemas
    search = spec["paths"]["/v1/search"]["get"]
    params = {p["name"]: p for p in search["parameters"]}
    assert set(params) == {
        "q", "limit", "offset", "sort", "since", "until", "year", "source", "sources", "author", "authors",
        "cites", "facets", "facet_limit",
    }
    assert not any(p["required"] for p in params.values())  # q may be empty when a filter is given
    assert params["sort"]["schema"]["enum"] == ["relevance", "newest", "oldest"]
    for name in ("source", "sources", "author", "authors", "cites", "facets"):  # repeatable
        assert params[name]["schema"]["type"] == "array", name
    assert params["offset"]["schema"]["minimum"] == 0 and params["year"]["schema"]["anyOf"][0]["type"] == "integer"
    assert {"200", "400", "503"} <= set(search["responses"])
    assert client.get("/docs").status_code == 404  # no CDN-loaded docs page


# --- routes, methods, limits ---------------------------------------------------------------


def test_unknown_routes_and_methods(client):
    error(client.get("/v1/nothing"), 404, "not_found")
    error(client.get("/nothing"), 404, "not_found")
    r = client.post("/v1/search", params={"q": "đảng"})
    error(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "GET"


def test_request_size_limits(client):
    error(client.get("/v1/search", params={"q": "a" * (MAX_URL_BYTES + 1)}), 414, "uri_too_long")
    error(client.post("/v1/search", content=b"x" * 20_000), 413, "body_too_large")
    error(client.post("/v1/search", content=iter([b"x" * 100])), 411, "length_required")  # chunked


def test_safety_headers(client):
    r = client.get("/v1/health")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in r.headers["content-security-policy"]


# --- CORS ----------------------------------------------------------------------------------


def test_cors_is_off_by_default(client):
    r = client.get("/v1/health", headers={"Origin": "https://example.org"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    pre = client.options(
        "/v1/search", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in pre.headers


def test_cors_origin_allows_that_site_only(index):
    with TestClient(create_app(index, cors_origin="https://example.org")) as c:
        r = c.get("/v1/search", params={"q": "đảng"}, headers={"Origin": "https://example.org"})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://example.org"
        other = c.get("/v1/search", params={"q": "đảng"}, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        pre = c.options(
            "/v1/search", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"}
        )
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "https://example.org"
        assert "GET" in pre.headers["access-control-allow-methods"]


# --- index missing, corrupt, updated ------------------------------------------------------------


def test_no_index_is_503_until_one_is_built(tmp_path, corpus_dir):
    ix = tmp_path / "index"
    with TestClient(create_app(ix)) as c:
        assert "no index" in error(c.get("/v1/search", params={"q": "đảng"}), 503, "index_missing")
        error(c.get("/v1/health"), 503, "index_missing")
        page = c.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 503 and "Chỉ mục chưa sẵn sàng" in page.text
        build_index(corpus_dir, ix)  # no restart
        assert c.get("/v1/search", params={"q": "Kết luận 21"}).json()["total"] == 2
        assert c.get("/v1/health").json()["documents"] == 5


def test_corrupt_index_is_503(tmp_path, corpus_dir):
    ix = tmp_path / "index"
    build_index(corpus_dir, ix)
    with TestClient(create_app(ix)) as c:
        assert c.get("/v1/health").status_code == 200
        (ix / "CURRENT").write_text("gen-999999\n", encoding="utf-8")  # points nowhere
        error(c.get("/v1/search", params={"q": "đảng"}), 503, "index_corrupt")
        error(c.get("/v1/health"), 503, "index_corrupt")


def changeable_index(tmp_path: Path, corpus_dir: Path) -> tuple[Path, Path]:
    """A copy of the seed corpus that a test may change, and its index."""
    corpus, ix = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(corpus_dir, corpus)
    build_index(corpus, ix)
    return corpus, ix


def test_the_service_follows_index_updates(tmp_path, corpus_dir):
    corpus, ix = changeable_index(tmp_path, corpus_dir)
    with TestClient(create_app(ix)) as c:
        before = c.get("/v1/health").json()
        assert c.get("/v1/search", params={"q": "zorvakin"}).json()["total"] == 0
        (corpus / "new.txt").write_text(
            bulletin("Hội thi khinh khí cầu zorvakin", 9, "Ban Tổ chức phát động hội thi khinh khí cầu zorvakin."),
            encoding="utf-8",
        )
        update_index(corpus, ix)
        data = c.get("/v1/search", params={"q": "khinh khi cau zorvakin"}).json()
        assert [h["id"] for h in data["hits"]] == ["new"]
        after = c.get("/v1/health").json()
        assert after["generation"] != before["generation"] and after["documents"] == before["documents"] + 1
        assert c.get("/v1/bulletins/new").status_code == 200


# --- the search cache ------------------------------------------------------------------------------


def cache_stats(c: TestClient) -> dict:
    return c.get("/v1/health").json()["cache"]


def test_a_repeated_search_is_answered_from_the_cache(index, searcher):
    with TestClient(create_app(index, cache_size=2)) as c:
        params = {"q": "Kết luận 21", "facets": "year,cites"}
        first = c.get("/v1/search", params=params)
        assert first.status_code == 200 and first.headers["x-bantin-cache"] == "miss"
        again = c.get("/v1/search", params=params)
        assert again.headers["x-bantin-cache"] == "hit"
        assert again.content == first.content and again.headers["content-type"] == first.headers["content-type"]
        assert cache_stats(c) == {"size": 2, "entries": 1, "hits": 1, "misses": 1}
        data = again.json()
        for hit in data["hits"]:
            assert hit.pop("snippet_html")
        assert data == json.loads(json.dumps(searcher.search("Kết luận 21", facets=["year", "cites"]).to_dict()))

        # The key is the library call: the same call spelled otherwise is a hit, any other change a miss.
        assert c.get("/v1/search", params={**params, "facets": ["year", "cites"]}).headers["x-bantin-cache"] == "hit"
        assert c.get("/v1/search", params={**params, "limit": 10}).headers["x-bantin-cache"] == "hit"  # the default
        others = ({**params, "limit": 1}, {"q": "kết luận 21", "facets": "year,cites"}, {"q": "Kết luận 21"})
        for other in others:
            r = c.get("/v1/search", params=other)
            assert r.headers["x-bantin-cache"] == "miss" and r.content != first.content, other

        # Two answers kept (the last two), the least recently used one goes first.
        assert cache_stats(c)["entries"] == 2
        cache_header = lambda p: c.get("/v1/search", params=p).headers["x-bantin-cache"]  # noqa: E731
        assert cache_header(others[1]) == "hit"  # now used more recently than others[2]
        assert cache_header(params) == "miss"  # pushed out by the others; takes the place of others[2]
        assert [cache_header(others[1]), cache_header(others[2])] == ["hit", "miss"]

        # Errors are not kept: each bad query is read again, and answered the same.
        bad = [c.get("/v1/search", params={"q": "đảng", "sort": "x"}) for _ in range(2)]
        assert [r.status_code for r in bad] == [400, 400] and "x-bantin-cache" not in bad[1].headers
        assert bad[0].json() == bad[1].json()


def test_the_cache_never_answers_from_an_old_generation(tmp_path, corpus_dir):
    corpus, ix = changeable_index(tmp_path, corpus_dir)
    with TestClient(create_app(ix)) as c:
        params = {"q": "hội nghị giao ban", "facets": "year"}
        before = c.get("/v1/search", params=params)
        assert c.get("/v1/search", params=params).headers["x-bantin-cache"] == "hit"
        none = {"q": "zorvakin"}
        assert c.get("/v1/search", params=none).json()["total"] == 0
        assert c.get("/v1/search", params=none).headers["x-bantin-cache"] == "hit"
        generation = c.get("/v1/health").json()["generation"]

        (corpus / "new.txt").write_text(
            bulletin("Hội nghị giao ban zorvakin", 9, "Hội nghị giao ban bàn về khinh khí cầu zorvakin của tỉnh."),
            encoding="utf-8",
        )
        update_index(corpus, ix)  # commits a new generation; the app is not told
        after = c.get("/v1/search", params=params)
        assert after.headers["x-bantin-cache"] == "miss"
        assert after.json()["total"] == before.json()["total"] + 1 and "new" in ids(after.json())
        assert after.json()["facets"]["year"] != before.json()["facets"]["year"]
        found = c.get("/v1/search", params=none)
        assert found.headers["x-bantin-cache"] == "miss" and ids(found.json()) == ["new"]
        health = c.get("/v1/health").json()
        assert health["generation"] != generation
        assert health["cache"]["entries"] == 2  # the new generation's two answers; the old ones are gone
        again = c.get("/v1/search", params=params)
        assert again.headers["x-bantin-cache"] == "hit" and again.content == after.content


def test_cache_size_0_turns_the_cache_off(index):
    with TestClient(create_app(index, cache_size=0)) as c:
        rs = [c.get("/v1/search", params={"q": "đảng viên"}) for _ in range(3)]
        assert all(r.status_code == 200 and "x-bantin-cache" not in r.headers for r in rs)
        assert rs[0].content == rs[1].content == rs[2].content
        assert cache_stats(c) == {"size": 0, "entries": 0, "hits": 0, "misses": 0}


def test_bantin_serve_sets_the_cache_size_of_its_workers(index, monkeypatch):
    from searcher.serve.app import ENV_CACHE_SIZE, ENV_INDEX, app_from_env

    monkeypatch.setenv(ENV_INDEX, str(index))
    for given, size in (("0", 0), ("3", 3), ("", 1024)):
        monkeypatch.setenv(ENV_CACHE_SIZE, given)
        with TestClient(app_from_env()) as c:
            assert cache_stats(c)["size"] == size
            r = c.get("/v1/search", params={"q": "đảng"})
            assert ("x-bantin-cache" in r.headers) == (size > 0)
    r = CliRunner().invoke(main, ["serve", "--index", str(index), "--cache-size", "-1"])
    assert r.exit_code == 2 and "--cache-size" in r.output
    assert "--cache-size" in CliRunner().invoke(main, ["serve", "--help"]).output


def test_search_answers_are_what_the_response_model_documents(client):
    """The answers are written once by the standard library's encoder; they still parse as
    SearchOut and come out of it unchanged (the keys the library gives, nothing else)."""
    from searcher.serve.schemas import SearchOut

    for params in (
        {"q": "Kết luận 21", "facets": "year,month,source,author,cites"},
        {"year": 2022, "sort": "oldest"},  # listed by date: score 0.0
        {"q": "zorvakin"},
        {"q": "mã alert"},
    ):
        r = client.get("/v1/search", params=params)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        data = r.json()
        assert SearchOut.model_validate(data).model_dump(mode="json", exclude_unset=True) == data
        assert all(isinstance(h["score"], float) for h in data["hits"])
        assert r.content == json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()  # compact UTF-8
    schema = client.get("/v1/openapi.json").json()["paths"]["/v1/search"]["get"]["responses"]["200"]
    assert schema["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SearchOut"}
    assert schema["headers"]["X-Bantin-Cache"]["schema"]["enum"] == ["hit", "miss"]


# --- unexpected errors ---------------------------------------------------------------------------


def test_an_unexpected_error_is_a_logged_500_without_traceback(index, caplog):
    app = create_app(index)

    def broken() -> None:  # stands for any bug below the API: one real exception, raised for real
        raise RuntimeError("something broke")

    app.add_api_route("/v1/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as c, caplog.at_level(logging.ERROR, "bantin.serve"):
        r = c.get("/v1/broken")
    message = error(r, 500, "internal")
    assert "something broke" not in message  # details stay in the log
    assert any("RuntimeError: something broke" in rec.getMessage() for rec in caplog.records)


# --- pages ------------------------------------------------------------------------------------


def test_search_page_without_javascript(client, seed_ids):
    r = client.get("/", params={"q": "ket luan 21"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<meta name="viewport"' in page and 'lang="vi"' in page
    assert "Tìm kiếm" in page and "Tìm thấy 2 bản tin" in page
    assert "<mark>Kết luận số 21</mark>" in page
    assert f'href="/b/{seed_ids["003"]}?q=ket+luan+21"' in page
    assert "05/04/2022" in page  # Vietnamese date order
    assert 'data-query="ket luan 21"' in page
    # Self-contained: one inline script and style (with this response's nonce), nothing fetched elsewhere.
    assert page.count("<script") == 1 and page.count("<style") == 1
    assert "src=" not in page and "@import" not in page and "stylesheet" not in page
    nonce = r.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in page


def test_search_page_states(client):
    empty = results(client.get("/").text)
    assert "Tìm trong 7 bản tin" in empty and "bản tin nào" not in empty
    none = client.get("/", params={"q": "zorvakin"})
    assert none.status_code == 200 and "Không tìm thấy bản tin nào" in results(none.text)
    ref = client.get("/", params={"q": "Kết luận 99"})
    assert "Không có bản tin nào trích dẫn văn bản này" in results(ref.text)
    refs = client.get("/", params={"q": "Kết luận số 21 doanh nghiệp"})  # cited, but not with "doanh nghiệp"
    assert "đây là những bản tin trích dẫn nó" in refs.text
    assert client.get("/v1/search", params={"q": "Kết luận số 21 doanh nghiệp"}).json()["mode"] == "refs"
    bad = client.get("/", params={"q": "!!!"})
    assert bad.status_code == 400 and "Truy vấn không hợp lệ" in results(bad.text)
    negative = client.get("/", params={"offset": -1, "q": "đảng"})
    assert negative.status_code == 400 and "text/html" in negative.headers["content-type"]
    listed = client.get("/", params={"year": 2022})  # no words, a filter: listed newest first
    assert listed.status_code == 200 and "Có 3 bản tin" in results(listed.text)
    empty = client.get("/", params={"year": 2021})
    assert "Không có bản tin nào khớp bộ lọc" in results(empty.text) and "Bỏ lọc" in results(empty.text)


def test_markup_is_inert_on_the_pages(client):
    found, shown = client.get("/", params={"q": "alert"}), client.get(f"/b/{XSS_ID}")
    for r, scripts in ((found, 1), (shown, 0)):  # the search page's own script, nonce-guarded
        assert r.status_code == 200
        assert r.text.count("<script") == scripts
        assert "<img" not in r.text
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in results(found.text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in shown.text
    assert "&lt;img src=x onerror=&#34;window.__pwned=2;" in shown.text


def test_bulletin_page(client, seed_ids):
    r = client.get(f"/b/{seed_ids['003']}", params={"q": "ket luan 21"})
    assert r.status_code == 200
    assert "<h1>Làm tốt việc quán triệt, triển khai các văn bản mới về công tác tổ chức xây dựng Đảng</h1>" in r.text
    assert "Quay lại kết quả" in r.text and 'href="/?q=ket+luan+21"' in r.text
    assert "Văn bản được trích dẫn" in r.text and ">Kết luận 21</a>" in r.text
    assert client.get(f"/b/{NESTED_ID}").status_code == 200
    missing = client.get("/b/000_nope")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert "Không tìm thấy" in missing.text


def hit_ids(section: str) -> list[str]:
    return re.findall(r'<li class="hit" data-id="([^"]+)"', section)


def links(section: str, cls: str) -> dict[str, str]:
    """Text → href (decoded, for reading) of the links inside the element with this class."""
    out = {}
    for block in re.findall(rf'class="{cls}"[^>]*>(.*?)</(?:p|nav|ul)>', section, re.DOTALL):
        for href, text in re.findall(r'<a [^>]*?href="([^"]+)"[^>]*>(.*?)</a>', block, re.DOTALL):
            out[re.sub(r"<[^>]+>|×", "", text).strip()] = unquote_plus(html.unescape(href))
    return out


def test_paging(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(25):
        (corpus / f"b{i:02d}.txt").write_text(
            bulletin(f"Hội nghị cán bộ số {i}", 1 + i, f"Hội nghị cán bộ lần thứ {i} bàn về công tác phí."),
            encoding="utf-8",
        )
    build_index(corpus, tmp_path / "index")
    with TestClient(create_app(tmp_path / "index")) as c:
        p1 = results(c.get("/", params={"q": "công tác phí"}).text)
        assert "Tìm thấy 25 bản tin" in p1 and len(hit_ids(p1)) == 10
        assert "Trang sau" in p1 and 'href="/?q=c%C3%B4ng+t%C3%A1c+ph%C3%AD&amp;offset=10"' in p1
        assert "Trang trước" not in p1
        p2 = results(c.get("/", params={"q": "công tác phí", "offset": 10}).text)
        assert len(hit_ids(p2)) == 10 and '<ol class="hits" start="11">' in p2 and "trang 2" in p2
        assert "Trang trước" in p2 and "Trang sau" in p2 and 'href="/?q=c%C3%B4ng+t%C3%A1c+ph%C3%AD"' in p2
        p3 = results(c.get("/", params={"q": "công tác phí", "offset": 20}).text)
        assert len(hit_ids(p3)) == 5 and "Trang sau" not in p3
        ids = [h["id"] for h in c.get("/v1/search", params={"q": "công tác phí", "limit": 30}).json()["hits"]]
        assert hit_ids(p1 + p2 + p3) == ids  # the pages are the API's ranking, cut in tens
        # Deep pages are asked of the library (offset), not cut from a long list: no cap at page 10.
        far = c.get("/", params={"q": "công tác phí", "offset": 500})
        assert far.status_code == 200 and "Không còn kết quả ở trang này" in results(far.text)
        assert 'rel="prev" href="/?q=c%C3%B4ng+t%C3%A1c+ph%C3%AD&amp;offset=490"' in results(far.text)
        # Paging keeps the filters and the order.
        newest = results(c.get("/", params={"q": "công tác phí", "sort": "newest", "year": 2024, "offset": 10}).text)
        assert hit_ids(newest) == [f"b{i:02d}" for i in range(14, 4, -1)]
        assert 'href="/?q=c%C3%B4ng+t%C3%A1c+ph%C3%AD&amp;year=2024&amp;sort=newest&amp;offset=20"' in newest


def test_search_page_facets_are_links_that_add_filters(seed, seed_ids):
    page = results(seed.get("/", params={"q": "đảng"}).text)
    assert hit_ids(page) == [h["id"] for h in seed.get("/v1/search", params={"q": "đảng"}).json()["hits"]]
    assert '<section class="facet" data-facet="year">' in page and "<h2>Năm</h2>" in page
    assert "<h2>Nguồn</h2>" in page and "<h2>Văn bản được trích dẫn</h2>" in page
    year = links(page, 'facet" data-facet="year')
    assert year == {"2022": "/?q=đảng&year=2022"}
    assert '2022</a><span class="count">3</span>' in page
    assert links(page, 'facet" data-facet="source') == {"dangcongsan.vn": "/?q=đảng&source=dangcongsan.vn"}
    assert links(page, 'facet" data-facet="cites')["Kết luận 21"] == "/?q=đảng&cites=Kết luận 21"
    assert "Đang lọc" not in page and "Bỏ lọc" not in page

    # Follow the year link: three bulletins, the filter shown with a link that removes it.
    r = seed.get(year["2022"])
    assert r.status_code == 200
    filtered = results(r.text)
    assert set(hit_ids(filtered)) == {seed_ids["000"], seed_ids["003"], seed_ids["004"]}
    assert "Tìm thấy 3 bản tin" in filtered
    assert links(filtered, "filters") == {"Năm 2022": "/?q=đảng", "Bỏ lọc tất cả": "/?q=đảng"}
    assert 'aria-label="Bỏ lọc: Năm 2022"' in filtered
    assert links(filtered, 'facet" data-facet="year') == {"2022": "/?q=đảng"}  # active: the link removes it
    assert 'class="active" aria-current="true">2022' in filtered
    # The search form keeps the filter for the next query.
    assert '<input type="hidden" name="year" value="2022">' in r.text

    # Add a source, then a cited document: filters add up, each removable alone.
    both = results(seed.get("/", params={"q": "đảng", "year": 2022, "source": "dangcongsan.vn"}).text)
    assert hit_ids(both) == [seed_ids["000"]]
    assert links(both, "filters") == {
        "Năm 2022": "/?q=đảng&source=dangcongsan.vn",
        "Nguồn: dangcongsan.vn": "/?q=đảng&year=2022",
        "Bỏ lọc tất cả": "/?q=đảng",
    }
    cited = results(seed.get("/", params={"q": "đảng", "cites": ["Kết luận 21", "Nghị quyết 39"]}).text)
    assert set(hit_ids(cited)) == {seed_ids["000"], seed_ids["001"], seed_ids["003"]}
    assert links(cited, "filters")["Văn bản được trích dẫn: Nghị quyết 39"] == "/?q=đảng&cites=Kết luận 21"
    cites = links(cited, 'facet" data-facet="cites')
    assert cites["Kết luận 21"] == "/?q=đảng&cites=Nghị quyết 39"  # active: removes it
    assert cites["Kế hoạch 3"] == "/?q=đảng&cites=Kết luận 21&cites=Nghị quyết 39&cites=Kế hoạch 3"  # adds (OR)


def test_search_page_lists_by_filter_and_sorts(seed, seed_ids):
    page = results(seed.get("/", params={"year": 2022}).text)
    assert hit_ids(page) == [seed_ids["004"], seed_ids["000"], seed_ids["003"]]
    assert "Có 3 bản tin" in page and 'data-query=""' in page and 'data-state="year=2022"' in page
    sort = links(page, "sort")
    assert sort == {"Mới nhất": "/?year=2022", "Cũ nhất": "/?year=2022&sort=oldest"}  # no relevance without words
    assert 'data-sort="newest" class="current" aria-current="true"' in page
    oldest = results(seed.get(sort["Cũ nhất"]).text)
    assert hit_ids(oldest) == [seed_ids["003"], seed_ids["000"], seed_ids["004"]]
    assert 'data-sort="oldest" class="current"' in oldest
    assert links(oldest, "filters") == {"Năm 2022": "/?sort=oldest", "Bỏ lọc tất cả": "/?sort=oldest"}

    words = results(seed.get("/", params={"q": "đảng"}).text)
    assert links(words, "sort") == {
        "Liên quan nhất": "/?q=đảng", "Mới nhất": "/?q=đảng&sort=newest", "Cũ nhất": "/?q=đảng&sort=oldest",
    }
    assert 'data-sort="relevance" class="current"' in words
    newest = results(seed.get("/", params={"q": "đảng", "sort": "newest"}).text)
    assert hit_ids(newest)[:3] == [seed_ids["004"], seed_ids["000"], seed_ids["003"]]

    dated = results(seed.get("/", params={"since": "2022-06-01", "until": "2022-12"}).text)
    assert hit_ids(dated) == [seed_ids["004"], seed_ids["000"]]
    assert links(dated, "filters") == {
        "Từ 01/06/2022": "/?until=2022-12", "Đến 12/2022": "/?since=2022-06-01", "Bỏ lọc tất cả": "/",
    }
    by = results(seed.get("/", params={"author": "Linh Lan"}).text)
    assert hit_ids(by) == [seed_ids["004"]] and "Tác giả: Linh Lan" in by


def test_search_page_bad_filters_keep_the_way_out(seed):
    r = seed.get("/", params={"q": "đảng", "since": "2022-13-01"})
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]
    page = results(r.text)
    assert "Truy vấn không hợp lệ: bad date &#39;2022-13-01&#39;" in page
    assert links(page, "filters") == {"Từ 2022-13-01": "/?q=đảng", "Bỏ lọc tất cả": "/?q=đảng"}
    sort = seed.get("/", params={"q": "đảng", "sort": "x"})
    assert sort.status_code == 400 and "sort must be one of relevance, newest, oldest" in results(sort.text)
    assert seed.get("/", params={"q": "đảng", "year": "abc"}).status_code == 400


def test_search_page_says_how_the_query_was_read(seed, seed_searcher):
    typed = "keets luaanj 21"  # raw Telex
    corrected = seed_searcher.search(typed).corrected
    if corrected is None:
        pytest.skip("this library does not correct queries")
    page = results(seed.get("/", params={"q": typed, "year": 2022}).text)
    assert '<p class="note corrected">Hiển thị kết quả cho:' in page
    assert links(page, "note corrected") == {corrected: f"/?q={corrected}&year=2022"}  # the filters stay


def test_bulletin_page_leads_back_to_the_same_results(seed, seed_ids):
    page = results(seed.get("/", params={"q": "đảng", "year": 2022, "sort": "oldest"}).text)
    href = html.unescape(re.search(r'class="hit-title" href="([^"]+)"', page).group(1))
    assert href == f"/b/{seed_ids['003']}?q=%C4%91%E1%BA%A3ng&year=2022&sort=oldest"
    shown = seed.get(href).text
    assert 'class="back" href="/?q=%C4%91%E1%BA%A3ng&amp;year=2022&amp;sort=oldest">← Quay lại kết quả' in shown
    # Each cited document lists the bulletins citing it.
    assert '<a href="/?cites=K%E1%BA%BFt+lu%E1%BA%ADn+21">Kết luận 21</a>' in shown


# --- the command's own checks (they fail before any server starts) -------------------------------


def test_serve_refuses_a_bad_cors_origin(tmp_path):
    r = CliRunner().invoke(main, ["serve", "--index", str(tmp_path), "--cors-origin", "example.org/path"])
    assert r.exit_code == 2 and "is not an origin" in r.output


def test_serve_refuses_a_busy_port(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = CliRunner().invoke(main, ["serve", "--index", str(tmp_path), "--port", str(port)])
    assert r.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr and "Traceback" not in r.output

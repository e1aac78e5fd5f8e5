"""Navigating the archive: date/source/author/cites filters, sort, paging, facets,
browsing without words, through the library and the CLI, on real indexes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from searcher import Searcher, build_index
from searcher.cli import main
from searcher.cli.common import Exit
from searcher.errors import QueryError


def ids(res) -> list[str]:
    return [h.id[:3] for h in res.hits]


def run(*args: str):
    return CliRunner().invoke(main, list(args))


# --- the seeds (the "done when") ---------------------------------------------------------


def test_year_2022_gives_exactly_000_003_004(seed_searcher):
    res = seed_searcher.search("", filter={"year": "2022"})
    assert sorted(ids(res)) == ["000", "003", "004"]
    assert res.mode == "browse" and res.sort == "newest"
    assert ids(res) == ["004", "000", "003"]  # newest first


def test_since_june_newest_first(seed_searcher):
    assert ids(seed_searcher.search("", since="2022-06-01", sort="newest")) == ["004", "000"]
    assert ids(seed_searcher.search("", since="2022-06-01", sort="oldest")) == ["000", "004"]


def test_reference_and_year(seed_searcher):
    res = seed_searcher.search("Kết luận 21", since="2022", until="2022")
    assert sorted(ids(res)) == ["000", "003"]


def test_002_is_undated_so_a_2024_filter_finds_nothing(seed_searcher):
    """002 says "Ngày 14/6" with no year: it stays undated (a wrong date is worse than none)."""
    assert seed_searcher.get("002_dc85f83dfda5612a").date is None
    assert seed_searcher.search("hội nghị", filter={"date": "2024"}).total == 0


def test_undated_bulletins_sort_last_both_ways(seed_searcher):
    newest = ids(seed_searcher.search("hội nghị", sort="newest"))
    oldest = ids(seed_searcher.search("hội nghị", sort="oldest"))
    assert newest[:3] == ["004", "000", "003"] and oldest[:3] == ["003", "000", "004"]
    assert sorted(newest[3:]) == sorted(oldest[3:]) == ["001", "002"]


# --- filters ------------------------------------------------------------------------------------


def test_partial_dates_are_whole_periods(seed_searcher):
    assert ids(seed_searcher.search("", since="2022-06", until="2022-06")) == ["000"]
    assert sorted(ids(seed_searcher.search("", until="2022"))) == ["000", "003", "004"]
    assert ids(seed_searcher.search("", since=dt.date(2022, 12, 29))) == ["004"]


def test_source_author_and_cites_filters(seed_searcher):
    assert ids(seed_searcher.search("hội nghị", sources="dangcongsan.vn")) == ["000"]
    assert ids(seed_searcher.search("", sources=["www.DangCongSan.vn"])) == ["000"]
    assert ids(seed_searcher.search("", authors="linh lan")) == ["004"]
    assert sorted(ids(seed_searcher.search("", authors=["Linh Lan", "Duy Khánh"]))) == ["001", "004"]
    assert sorted(ids(seed_searcher.search("", cites="Kết luận 21"))) == ["000", "003"]
    both = seed_searcher.search("", cites=["Kết luận 21", "Nghị quyết Đại hội XIII"])
    assert sorted(ids(both)) == ["000", "003", "004"]  # several values of one filter: OR


def test_filters_combine_with_and(seed_searcher):
    res = seed_searcher.search("", cites="Kết luận 21", since="2022-06-01")
    assert ids(res) == ["000"]
    assert seed_searcher.search("", cites="Kết luận 21", authors="Linh Lan").total == 0


def test_query_syntax_filters(seed_searcher):
    assert ids(seed_searcher.search("hội nghị date:2022 source:dangcongsan.vn")) == ["000"]
    assert ids(seed_searcher.search('cites:"Kết luận 21" date:>2022-06-01')) == ["000"]
    assert ids(seed_searcher.search("date:2022-01..2022-06")) == ["000", "003"]
    assert ids(seed_searcher.search('author:"Linh Lan"')) == ["004"]
    plain = seed_searcher.search("hội nghị")
    assert seed_searcher.search("hội nghị date:2000..2030").total <= plain.total


def test_filter_dict_for_apps(seed_searcher):
    res = seed_searcher.search("", filter={"date": "2022-01..2022-06", "cites": ["Kết luận 21"]})
    assert ids(res) == ["000", "003"]
    assert res.filters["since"] == "2022-01-01" and res.filters["until"] == "2022-06-30"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"since": "2022-13-01"}, "bad date '2022-13-01'"),
        ({"filter": {"date": "abc"}}, "bad date 'abc'"),
        ({"since": "2022-06", "until": "2022-01"}, "the date range is empty"),
        ({"sort": "random"}, "sort must be one of"),
        ({"facets": ["colour"]}, "unknown facet"),
        ({"offset": -1}, "offset must be"),
        ({"filter": {"where": 1}}, "unknown filter"),
        ({"filter": "date:2022"}, "filter must be a dict"),
        ({"sources": 5}, "sources must be text"),
        ({"cites": "hello"}, "is not a document reference"),
    ],
)
def test_bad_values_are_query_errors(seed_searcher, kwargs, message):
    with pytest.raises(QueryError, match=message):
        seed_searcher.search("hội nghị", **kwargs)


def test_bad_query_syntax_value(seed_searcher):
    with pytest.raises(QueryError, match="bad date 'abc'"):
        seed_searcher.search("hội nghị date:abc")


def test_no_words_and_no_filter_is_still_an_error(seed_searcher):
    with pytest.raises(QueryError, match="empty query"):
        seed_searcher.search("")


# --- paging and facets ------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_paging_is_stable(seed_searcher, sort):
    everything = seed_searcher.search("hội nghị", limit=50, sort=sort)
    pages = [seed_searcher.search("hội nghị", limit=2, offset=o, sort=sort) for o in range(0, 6, 2)]
    seen = [h.id for p in pages for h in p.hits]
    assert seen == [h.id for h in everything.hits]
    assert len(set(seen)) == everything.total == 5
    assert all(p.total == 5 and p.limit == 2 for p in pages) and [p.offset for p in pages] == [0, 2, 4]
    assert seed_searcher.search("hội nghị", limit=2, offset=10).hits == []


def test_facets_count_every_match_not_only_the_page(seed_searcher):
    res = seed_searcher.search("hội nghị", limit=1, facets=["year", "month", "source", "author", "cites"])
    assert len(res.hits) == 1 and res.total == 5
    assert res.facets["year"] == [[2022, 3]]
    assert res.facets["month"] == [["2022-12", 1], ["2022-06", 1], ["2022-04", 1]]
    assert res.facets["source"] == [["dangcongsan.vn", 1]]
    assert ["Linh Lan", 1] in res.facets["author"]
    cites = {key: (label, n) for key, label, n in res.facets["cites"]}
    assert cites["kl:21"] == ("Kết luận 21", 2)
    json.dumps(res.to_dict(), ensure_ascii=False)


def test_facet_limit_and_filtered_facets(seed_searcher):
    res = seed_searcher.search("hội nghị", facets="cites", facet_limit=3)
    assert len(res.facets["cites"]) == 3
    counts = [n for _, _, n in res.facets["cites"]]
    assert counts == sorted(counts, reverse=True)
    only = seed_searcher.search("hội nghị", since="2022-12-01", facets=["cites"])
    assert only.facets["cites"] == [["nq:dh-xiii", "Nghị quyết Đại hội XIII", 1]]


def test_many_segments_and_deletions(tmp_path):
    """Columns, masks and facets per segment: an index updated three times."""
    from searcher import update_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    index = tmp_path / "index"
    for n in range(3):
        (corpus / f"b{n}.jsonl").write_text(
            "".join(
                json.dumps({"id": f"{n}-{i}", "title": f"Hội nghị {n} {i}", "body": "Hội nghị tổng kết công tác.",
                            "date": f"{2020 + n}-0{i + 1}-15", "source": f"s{i % 2}.vn"}, ensure_ascii=False) + "\n"
                for i in range(4)
            ),
            encoding="utf-8",
        )
        update_index(corpus, index, procs=1)
    (corpus / "b0.jsonl").unlink()
    update_index(corpus, index, procs=1)
    with Searcher(index) as s:
        res = s.search("hội nghị", facets=["year", "source"], sort="newest", limit=3)
        assert res.total == 8
        assert res.facets["year"] == [[2022, 4], [2021, 4]]
        assert res.facets["source"] == [["s0.vn", 4], ["s1.vn", 4]]
        assert [h.id for h in res.hits] == ["2-3", "2-2", "2-1"]
        assert [h.id for h in s.search("", until="2021-02", sort="oldest").hits] == ["1-0", "1-1"]


# --- the CLI -------------------------------------------------------------------------------------------


def test_cli_year_and_sort(seed_index):
    r = run("search", "--index", str(seed_index), "--year", "2022", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert [h["id"][:3] for h in d["hits"]] == ["004", "000", "003"]
    assert d["offset"] == 0 and d["limit"] == 10 and d["sort"] == "newest"
    r = run("search", "--index", str(seed_index), "--since", "2022-06-01", "--sort", "newest", "--json")
    assert [h["id"][:3] for h in json.loads(r.stdout)["hits"]] == ["004", "000"]


def test_cli_cites_year_source_author_page(seed_index):
    base = ("search", "--index", str(seed_index), "--json")
    d = json.loads(run(*base, "Kết luận 21", "--year", "2022").stdout)
    assert sorted(h["id"][:3] for h in d["hits"]) == ["000", "003"]
    d = json.loads(run(*base, "--source", "dangcongsan.vn").stdout)
    assert [h["id"][:3] for h in d["hits"]] == ["000"]
    d = json.loads(run(*base, "--author", "Linh Lan", "--author", "PV").stdout)
    assert sorted(h["id"][:3] for h in d["hits"]) == ["003", "004"]
    d = json.loads(run(*base, "hội nghị", "--limit", "2", "--page", "2").stdout)
    assert d["offset"] == 2 and len(d["hits"]) == 2


def test_cli_facets_table(seed_index):
    r = run("search", "--index", str(seed_index), "hội nghị", "--facets", "year,cites", "--facet-limit", "2")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    year = next(line for line in lines if line.strip().startswith("year"))
    assert "2022 (3)" in year
    cites = next(line for line in lines if line.strip().startswith("cites"))
    assert cites.count("(") == 2


@pytest.mark.parametrize(
    "args", [["--since", "2022-13-01"], ["date:abc"], ["--since", "2022-06", "--until", "2022-01"], ["--facets", "x"]]
)
def test_cli_bad_values_exit_2_with_one_line(seed_index, args):
    r = run("search", "--index", str(seed_index), "hội nghị", *args)
    assert r.exit_code == Exit.USAGE
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_cli_browse_without_words(seed_index):
    r = run("search", "--index", str(seed_index), "--since", "2022-06-01")
    assert r.exit_code == 0
    assert "2 bulletins listed" in r.stdout and "newest first" in r.stdout


def test_record_dates_filter_but_text_dates_do_not(tmp_path):
    """Only header, byline and record dates are filtered on; a date from the running text is shown."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Hội nghị A\n\nChiều ngày 28/6/2022, tại Bắc Giang, hội nghị đã họp.\n", encoding="utf-8")
    (corpus / "b.jsonl").write_text(
        json.dumps({"id": "b", "title": "Hội nghị B", "body": "Hội nghị đã họp.", "date": "2022-06-28"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    index = tmp_path / "index"
    build_index(corpus, index)
    with Searcher(index) as s:
        assert s.get("a").date == dt.date(2022, 6, 28) and s.get("a").date_source == "text"
        assert [h.id for h in s.search("hội nghị", filter={"year": "2022"}).hits] == ["b"]
        assert [h.id for h in s.search("hội nghị", sort="newest").hits] == ["b", "a"]

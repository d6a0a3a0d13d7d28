"""Crawl the Sóc Trăng vnPortal fixture portals end to end, on SQLite and PostgreSQL: listings
paged by ASP.NET postbacks, one article under two hosts, U+FFFD slugs on the wire, edits."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.crawling import crawl, last_run, query, scalar
from tests.fixtures.server import FixtureServer
from tests.golden import cases, parse

SITE = Path(__file__).parents[1] / "fixtures" / "sites" / "vnportal"
DATA = json.loads((SITE / "articles.json").read_text(encoding="utf-8"))
MANIFEST = json.loads((SITE / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def portal() -> Iterator[FixtureServer]:
    with FixtureServer(SITE) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(portal: FixtureServer) -> None:
    portal.reset()


def stored_articles(spider: str) -> int:
    """Distinct articles the golden files expect the site to store."""
    return len({item["source_key"] for case in cases() if case.spider == spider
                for item in parse(case)["items"]})


def records(name: str) -> list[dict]:
    return [r for r in DATA["articles"] if r["name"] == name]


def posts(portal: FixtureServer, spider: str) -> int:
    keys = set(DATA["listings"][spider])
    return sum(1 for method, key in portal.requests if method == "POST" and key in keys)


def postback_pages(spider: str) -> int:
    """Listing pages of the site that only a postback reaches."""
    paginated = [MANIFEST["postbacks"][k] for k in DATA["listings"][spider] if k in MANIFEST["postbacks"]]
    return sum(len(spec["pages"]) - 1 for spec in paginated)


def check_run(result_log: str, db_url: str, spider: str) -> dict[str, object]:
    run = last_run(db_url, spider)
    assert run["status"] == "finished" and run["errors"] == 0, result_log[-3000:]
    return run


def test_province_postbacks_two_hosts_and_fffd_slugs(portal: FixtureServer, db_url: str) -> None:
    result = crawl("soctrang", portal.url, db_url)
    assert result.returncode == 0, result.log[-3000:]
    run = check_run(result.log, db_url, "soctrang")
    assert run["new_articles"] == run["new_versions"] == stored_articles("soctrang")
    assert run["fallbacks"] == 1  # the 2018 template, on page 3
    assert posts(portal, "soctrang") == postback_pages("soctrang") == 2  # pages 2 and 3, by form requests

    # The province lists its agencies' and districts' news (Sở NN&PTNT under two hosts, Sở TT&TT,
    # Châu Thành): each belongs to the sub-site whose sid it carries, so none is filed here.
    keys = {k for (k,) in query(db_url, "SELECT source_key FROM article")}
    assert keys and all(key.startswith("4/") for key in keys), keys
    others = {r["key"] for r in DATA["articles"] if r["spider"] == "soctrang" and r["sid"] != 4}
    assert others and not others & {key for _, key in portal.requests}  # not even fetched

    # Slugs with U+FFFD went out byte for byte: the server saw exactly the manifest keys, which
    # it matched before any unquoting, and the archive records the portal's own spelling.
    mojibake = {r["key"] for r in DATA["articles"]
                if r["spider"] == "soctrang" and r["sid"] == 4 and "%EF%BF%BD" in r["key"]}
    assert mojibake and mojibake <= {key for _, key in portal.requests}
    recorded = {u for (u,) in query(db_url, "SELECT url FROM article_url")}
    assert {f"https://{k}" for k in mojibake} <= recorded


def test_district_crawl_recrawl_edit(portal: FixtureServer, db_url: str) -> None:
    for spider in ("soctrang", "soctrang_chauthanh"):
        result = crawl(spider, portal.url, db_url)
        assert result.returncode == 0, result.log[-3000:]
        run = check_run(result.log, db_url, spider)
        assert run["new_articles"] == stored_articles(spider)
    assert posts(portal, "soctrang_chauthanh") == 1

    # The seed, listed by the province (query form) and by Châu Thành (friendly form, U+FFFD
    # slugs): Châu Thành's article (sid 1308), filed once, under Châu Thành only.
    assert query(db_url, "SELECT s.name FROM article a JOIN site s ON s.id = a.site_id "
                         "WHERE a.source_key = '1308/273340'") == [("soctrang_chauthanh",)]

    # Scheduled recrawl: page 1 holds nothing new, so no postback is made for page 2.
    portal.reset()
    result = crawl("soctrang_chauthanh", portal.url, db_url)
    run = check_run(result.log, db_url, "soctrang_chauthanh")
    assert (run["new_articles"], run["new_versions"], posts(portal, "soctrang_chauthanh")) == (0, 0, 0)

    # Full recrawl: every counter and every __VIEWSTATE was served anew, the archive did not move.
    portal.reset()
    result = crawl("soctrang_chauthanh", portal.url, db_url, "-a", "depth=full")
    run = check_run(result.log, db_url, "soctrang_chauthanh")
    assert (run["new_articles"], run["new_versions"]) == (0, 0), result.log[-3000:]
    assert posts(portal, "soctrang_chauthanh") == 1  # page 2 was posted for again

    # An edit after publication, on the page that only a postback reaches: one new version.
    seed = next(r["key"] for r in records("seed") if r["spider"] == "soctrang_chauthanh")
    page = (SITE / MANIFEST["routes"][seed]["file"]).read_bytes()
    edited = page.replace(b"Covid -19./.", b"Covid-19./.")
    assert edited != page
    portal.override(seed, edited)
    try:
        result = crawl("soctrang_chauthanh", portal.url, db_url, "-a", "depth=full")
    finally:
        portal.restore(seed)
    run = check_run(result.log, db_url, "soctrang_chauthanh")
    assert (run["new_articles"], run["new_versions"]) == (0, 1), result.log[-3000:]
    history = query(db_url, "SELECT version FROM version_history WHERE site = 'soctrang_chauthanh' "
                            "AND source_key = '1308/273340' ORDER BY version")
    assert history == [(1,), (2,)]
    assert query(db_url, "SELECT title_changed, body_changed FROM article_changes "
                         "WHERE site = 'soctrang_chauthanh'") == [(0, 1)]


def test_nfc_storage_attachments_and_empty_bodies(portal: FixtureServer, db_url: str) -> None:
    for spider in ("soctrang_danvan", "soctrang_myxuyen"):
        result = crawl(spider, portal.url, db_url)
        assert result.returncode == 0, result.log[-3000:]
        run = check_run(result.log, db_url, spider)
        assert run["new_articles"] == stored_articles(spider)
    # Mỹ Xuyên's sid is in no evidence: the spider read it off its home page before crawling,
    # the site row keeps it and where it came from, and the next crawl uses it without asking again.
    assert "soctrang_myxuyen: learned sname=huyenmyxuyen, sid=1306 from https://myxuyen.soctrang.gov.vn/" in result.log
    (learned,) = [json.loads(v) if isinstance(v, str) else v for (v,) in
                  query(db_url, "SELECT identity_learned FROM site WHERE name = 'soctrang_myxuyen'")]
    assert (learned["sname"], learned["sid"], learned["source"]) == ("huyenmyxuyen", 1306,
                                                                     "https://myxuyen.soctrang.gov.vn/")
    assert "No article body" in result.log  # the empty Mỹ Xuyên notice: logged, never stored
    assert posts(portal, "soctrang_danvan") == 1

    titles = [t for (t,) in query(db_url, "SELECT title FROM content")]
    nfd = records("dv-nfd")[0]["title"]
    assert nfd in titles and all(unicodedata.is_normalized("NFC", t) for t in titles)
    assert scalar(db_url, "SELECT count(*) FROM content WHERE body_text = ''") == 0

    (doc,) = records("dv-storage-attachment")[0]["attachments"]
    stored = query(db_url, "SELECT data FROM attachment WHERE first_url = :u", u=f"https://{doc['key']}")
    assert stored and bytes(stored[0][0]) == (SITE / MANIFEST["routes"][doc["key"]]["file"]).read_bytes()
    assert scalar(db_url, "SELECT count(*) FROM snapshot") == scalar(db_url, "SELECT count(*) FROM version")

    # the next crawl uses what was learned
    portal.reset()
    again = crawl("soctrang_myxuyen", portal.url, db_url)
    assert "soctrang_myxuyen: using sname=huyenmyxuyen, sid=1306, learned from https://myxuyen.soctrang.gov.vn/" \
        in again.log, again.log[-3000:]
    assert "myxuyen.soctrang.gov.vn/" not in {key for _, key in portal.requests}  # no home page fetched
    check_run(again.log, db_url, "soctrang_myxuyen")


def test_a_portal_contradicting_the_registry_stops_the_crawl(portal: FixtureServer, db_url: str,
                                                               tmp_path: Path) -> None:
    """The registry claims, as evidence, a sid Mỹ Xuyên's pages do not carry: the crawl stops on its
    home page, stores nothing, and the site's health says why."""
    from crawler.registry import registry_path

    text = registry_path().read_text(encoding="utf-8")
    guess = 'sname = ["huyenmyxuyen", "[I] RE §2: huyện snames are huyen<name>"]\n'
    assert guess in text
    wrong = tmp_path / "portals.toml"
    # Active here: a retired portal's health is judged by its web-archive backfills only (archive/health.py).
    wrong.write_text(text.replace(guess, guess + 'sid = [1309, "[E] a source that is wrong"]\n'
                                  'status = ["active", "[I] this test"]\n'), encoding="utf-8")
    result = crawl("soctrang_myxuyen", portal.url, db_url, "-s", f"ARCHIVE_REGISTRY={wrong}")
    line = "identity contradicted: sid 1306 on the portal, 1309 in the registry [E]"
    assert f"soctrang_myxuyen: {line} (https://myxuyen.soctrang.gov.vn/;" in result.log, result.log[-3000:]
    assert "Traceback" not in result.log
    run = last_run(db_url, "soctrang_myxuyen")
    assert (run["status"], run["finish_reason"], run["new_articles"]) == ("failed", line, 0)
    assert scalar(db_url, "SELECT count(*) FROM article") == 0
    assert [key for _, key in portal.requests] == ["myxuyen.soctrang.gov.vn/robots.txt", "myxuyen.soctrang.gov.vn/"]
    from archive import health
    from archive.db import make_engine, session_factory

    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            (status,) = [s for s in health.site_statuses(session, ["soctrang_myxuyen"])]
    finally:
        engine.dispose()
    assert status.health.state == "failing" and line in str(status.health), status.health

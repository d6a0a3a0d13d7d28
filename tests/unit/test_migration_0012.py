"""Migration 0012 on an archive the previous release made (schema 0011, its keys): duplicates
merged, misfiled articles re-homed with their versions, URLs and events; nothing lost, nothing
marked gone. On SQLite and PostgreSQL (the ``engine`` fixture)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from archive.db import downgrade, upgrade
from archive.store import store_capture
from tests.unit.test_store import T0, capture

SITES = {  # what the previous release's spiders wrote in the site table
    "quangngai": "liferay+qni2025",
    "soctrang": "vnportal",
    "soctrang_myxuyen": "vnportal",
    "soctrang_chauthanh": "vnportal",
}
QNI = "web/portal-qni/xem-chi-tiet/-/asset_publisher/Content/tong-hop?12150284"


def old_archive(engine, sessions) -> None:  # type: ignore[no-untyped-def]
    """Schema 0011 and the keys the previous release gave."""
    downgrade(engine, "0011")
    with engine.begin() as conn:
        for name, family in SITES.items():
            conn.execute(text(
                "INSERT INTO site (name, display_name, province, level, family, home_url, status, created_at, "
                "updated_at) VALUES (:n, :n, 'P', 'district', :f, 'https://x/', 'active', :t, :t)"),
                {"n": name, "f": family, "t": T0.replace(tzinfo=None)})
        ids = dict(conn.execute(text("SELECT name, id FROM site")).all())

    def put(site: str, key: str, url: str, body: str, days: int) -> None:
        cap = capture(body, key=key, url=url, at=T0 + timedelta(days=days), site_name=site)
        with sessions.begin() as session:
            store_capture(session, cap, site_id=ids[site])

    # one Quảng Ngãi article under www. and without: two articles, three versions between them
    put("quangngai", "www.quangngai.gov.vn/portal-qni/12150284", f"https://www.quangngai.gov.vn/{QNI}", "Bản đầu.", 0)
    put("quangngai", "quangngai.gov.vn/portal-qni/12150284", f"https://quangngai.gov.vn/{QNI}", "Bản đầu.", 2)
    put("quangngai", "quangngai.gov.vn/portal-qni/12150284", f"https://quangngai.gov.vn/{QNI}", "Bản sửa.", 5)
    put("quangngai", "www.quangngai.gov.vn/portal-qni/777", f"https://www.quangngai.gov.vn/{QNI[:-8]}777", "Khác.", 1)
    # the province filed Châu Thành's article (sid 1308) that Châu Thành also filed; Mỹ Xuyên (sid
    # "1310") filed Cù Lao Dung's; the province's own (sid 4) stays
    seed = "https://www.soctrang.gov.vn/Default.aspx?sname=huyenchauthanh&sid=1308&id=273340"
    put("soctrang", "1308/273340", seed, "Sơ kết dân vận.", 0)
    put("soctrang_chauthanh", "1308/273340", seed.replace("www.", "chauthanh."), "Sơ kết dân vận.", 1)
    put("soctrang_myxuyen", "1310/300489", "https://soctrang.gov.vn/huyenculaodung/1310/1/2/300489/a/b.aspx",
        "Cù Lao Dung.", 0)
    put("soctrang", "4/375630", "https://soctrang.gov.vn/ubnd-stg/4/469/54333/375630/a/b.aspx", "Tỉnh.", 0)
    put("soctrang", "9999/1", "https://soctrang.gov.vn/x/9999/1/2/1/a/b.aspx", "Không rõ.", 0)  # no owner known
    with engine.begin() as conn:  # an event and a gone mark, to see them carried
        www = conn.execute(text("SELECT id FROM article WHERE source_key LIKE 'www.%12150284'")).scalar_one()
        conn.execute(text("INSERT INTO article_event (article_id, at, kind, reason) VALUES (:a, :t, 'gone', 'x')"),
                     {"a": www, "t": T0.replace(tzinfo=None)})
        conn.execute(text("UPDATE article SET status = 'gone' WHERE id = :a"), {"a": www})


def rows(engine, sql: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_0009_merges_and_rehomes_without_losing_anything(engine, sessions) -> None:  # type: ignore[no-untyped-def]
    old_archive(engine, sessions)
    versions_before = rows(engine, "SELECT count(*) FROM version")[0][0]
    urls_before = rows(engine, "SELECT count(DISTINCT url) FROM article_url")[0][0]
    upgrade(engine)

    assert rows(engine, "SELECT count(*) FROM version")[0][0] == versions_before  # zero lost versions
    assert rows(engine, "SELECT count(DISTINCT url) FROM article_url")[0][0] == urls_before
    assert rows(engine, "SELECT count(*) FROM article WHERE status = 'gone'") == [(0,)]  # zero false removals
    assert rows(engine, "SELECT count(*) FROM article_event") == [(1,)]

    articles = rows(engine, "SELECT s.name, a.source_key, (SELECT count(*) FROM version v WHERE v.article_id = a.id), "
                            "(SELECT count(*) FROM article_url u WHERE u.article_id = a.id) "
                            "FROM article a JOIN site s ON s.id = a.site_id ORDER BY s.name, a.source_key")
    assert articles == [
        ("quangngai", "quangngai.gov.vn/portal-qni/12150284", 3, 2),  # www. and bare: one article, all versions
        ("quangngai", "quangngai.gov.vn/portal-qni/777", 1, 1),
        ("soctrang", "4/375630", 1, 1),
        ("soctrang", "9999/1", 1, 1),  # no registered site has sid 9999: left where it was
        ("soctrang_chauthanh", "1308/273340", 2, 2),  # the province's copy merged into Châu Thành's
        ("soctrang_culaodung", "1310/300489", 1, 1),  # re-homed from Mỹ Xuyên, the site row created
    ]
    numbers = rows(engine, "SELECT v.number FROM version v JOIN article a ON a.id = v.article_id "
                           "WHERE a.source_key = 'quangngai.gov.vn/portal-qni/12150284' ORDER BY v.first_seen_at")
    assert numbers == [(1,), (2,), (3,)]
    # the SQL question of the issue: Sóc Trăng's district portals, articles each, last news
    answer = rows(engine, "SELECT s.name, count(a.id) FROM site s LEFT JOIN article a ON a.site_id = s.id "
                          "WHERE s.name LIKE 'soctrang_%' AND s.level = 'district' GROUP BY s.name ORDER BY s.name")
    assert answer == [("soctrang_chauthanh", 1), ("soctrang_culaodung", 1), ("soctrang_myxuyen", 0)]

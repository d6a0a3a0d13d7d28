"""The site row carries the registry and what a crawl learned; articles filed under keys the
registry (issue 15) changed are merged or re-homed.

Schema: ``site.domain``, ``site.hosts`` (JSON list), ``site.identity`` (the registry's identity
facts with their marks, ``{"sid": [4, "[E] …"]}``), ``site.identity_learned`` (what a crawl read
off the portal: ``{"sid": 1306, "sname": "…", "source": <page or CDX query>, "learned_at": …}``),
``site.schedule``.

Data, for archives made by the code before this revision (docs/registry.md):

* Liferay and 2025-platform keys spelled with ``www.`` (``www.quangngai.gov.vn/portal-qni/123``)
  become the bare host's (``quangngai.gov.vn/portal-qni/123``); where the bare key already
  exists in the site, the two articles are merged.
* vnPortal articles filed under a site whose sid they do not carry (the province filed its
  agencies' and districts' news; ``soctrang_myxuyen`` filed Cù Lao Dung's, sid 1310) move to the
  registered site of that sid (its row is created if no crawl made it yet), merged with an article
  of the same key there. An article whose sid no registered site has stays where it is.

A merge keeps everything: every version (renumbered in time order), every URL, every event; the
merged article is live if either was (no article is marked gone because its key changed), first
seen at the earlier and last seen at the later time. The registry facts the re-homing needs are
copied here (a migration never reads a file that later commits change).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

#: vnPortal sids of Sóc Trăng with [E] evidence in the registry at this revision:
#: sid → (site, display name, level, home URL)
VNPORTAL_SITES = {
    "4": ("soctrang", "Cổng thông tin điện tử tỉnh Sóc Trăng", "province", "https://www.soctrang.gov.vn/"),
    "1295": ("soctrang_danvan", "Trang thông tin điện tử Ban Dân vận Tỉnh ủy Sóc Trăng", "agency",
             "https://danvan.soctrang.gov.vn/"),
    "1282": ("soctrang_snnptnt", "Sở Nông nghiệp và Phát triển nông thôn tỉnh Sóc Trăng", "agency",
             "https://www.soctrang.gov.vn/Default.aspx?sname=snnptnt&sid=1282"),
    "1229": ("soctrang_sotttt", "Sở Thông tin và Truyền thông tỉnh Sóc Trăng", "agency",
             "https://www.soctrang.gov.vn/Default.aspx?sname=sotttt&sid=1229"),
    "1292": ("soctrang_vpubnd", "Văn phòng Ủy ban nhân dân tỉnh Sóc Trăng", "agency", "https://vpub.soctrang.gov.vn/"),
    "1328": ("soctrang_pbgdpl", "Hội đồng phối hợp phổ biến, giáo dục pháp luật tỉnh Sóc Trăng", "agency",
             "https://pbgdpl.soctrang.gov.vn/"),
    "1279": ("soctrang_tp", "Cổng thông tin điện tử thành phố Sóc Trăng", "district", "https://ubndtp.soctrang.gov.vn/"),
    "1303": ("soctrang_vinhchau", "Cổng thông tin điện tử thị xã Vĩnh Châu", "district",
             "https://vinhchau.soctrang.gov.vn/"),
    "1311": ("soctrang_nganam", "Cổng thông tin điện tử thị xã Ngã Năm", "district", "https://nganam.soctrang.gov.vn/"),
    "1308": ("soctrang_chauthanh", "Cổng thông tin điện tử huyện Châu Thành", "district",
             "https://www.soctrang.gov.vn/Default.aspx?sname=huyenchauthanh&sid=1308"),
    "1310": ("soctrang_culaodung", "Cổng thông tin điện tử huyện Cù Lao Dung", "district",
             "https://culaodung.soctrang.gov.vn/"),
}
VNPORTAL_FAMILY = "vnportal"
HOSTED_FAMILIES = ("liferay", "liferay+qni2025", "qni2025")


def upgrade() -> None:
    with op.batch_alter_table("site") as batch:
        batch.add_column(sa.Column("domain", sa.String(100), nullable=True))
        batch.add_column(sa.Column("hosts", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("identity", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("identity_learned", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("schedule", sa.String(64), nullable=True))
    merge_keys(op.get_bind())


def downgrade() -> None:
    # The merged and re-homed articles stay merged: splitting them again would invent a duplicate.
    with op.batch_alter_table("site") as batch:
        for column in ("schedule", "identity_learned", "identity", "hosts", "domain"):
            batch.drop_column(column)


# -- data --------------------------------------------------------------------------------------------


def merge_keys(conn: sa.Connection) -> None:
    sites = {row.id: row for row in conn.execute(sa.text("SELECT id, name, family FROM site"))}
    moves = 0
    for site in sites.values():
        if site.family in HOSTED_FAMILIES:
            for article in _articles(conn, site.id, "www.%"):
                moves += _move(conn, article, site.id, article.source_key.removeprefix("www."))
        elif site.family == VNPORTAL_FAMILY:
            own = next((sid for sid, facts in VNPORTAL_SITES.items() if facts[0] == site.name), None)
            for article in _articles(conn, site.id, "%/%"):
                sid = article.source_key.split("/", 1)[0]
                if sid == own or sid not in VNPORTAL_SITES:
                    continue
                moves += _move(conn, article, _site_id(conn, sid), article.source_key)
    if moves:
        logger.info("0012: %d articles re-keyed, merged or re-homed", moves)


def _articles(conn: sa.Connection, site_id: int, like: str) -> list[sa.Row]:
    return list(conn.execute(sa.text("SELECT * FROM article WHERE site_id = :s AND source_key LIKE :k ORDER BY id"),
                             {"s": site_id, "k": like}))


def _site_id(conn: sa.Connection, sid: str) -> int:
    name, display, level, home = VNPORTAL_SITES[sid]
    found = conn.execute(sa.text("SELECT id FROM site WHERE name = :n"), {"n": name}).scalar()
    if found is not None:
        return int(found)
    now = datetime.now(UTC).replace(tzinfo=None) if conn.dialect.name == "sqlite" else datetime.now(UTC)
    conn.execute(sa.text(
        "INSERT INTO site (name, display_name, province, province_after_2025, level, family, home_url, status, "
        "successor_url, created_at, updated_at) VALUES (:n, :d, 'Sóc Trăng', 'Cần Thơ', :l, 'vnportal', :h, "
        "'retired', 'https://cantho.gov.vn/', :now, :now)"), {"n": name, "d": display, "l": level, "h": home, "now": now})
    return int(conn.execute(sa.text("SELECT id FROM site WHERE name = :n"), {"n": name}).scalar_one())


def _move(conn: sa.Connection, article: sa.Row, site_id: int, key: str) -> int:
    """Give ``article`` the key ``key`` in site ``site_id``, merging it into the article already there."""
    target = conn.execute(sa.text("SELECT * FROM article WHERE site_id = :s AND source_key = :k AND id <> :a"),
                          {"s": site_id, "k": key, "a": article.id}).first()
    if target is None:
        conn.execute(sa.text("UPDATE article SET site_id = :s, source_key = :k WHERE id = :a"),
                     {"s": site_id, "k": key, "a": article.id})
        return 1
    _merge(conn, keep=target, gone=article)
    return 1


def _merge(conn: sa.Connection, *, keep: sa.Row, gone: sa.Row) -> None:
    params = {"keep": keep.id, "gone": gone.id}
    # URLs: every URL either article was seen under, once.
    conn.execute(sa.text("DELETE FROM article_url WHERE article_id = :gone AND url IN "
                         "(SELECT url FROM article_url WHERE article_id = :keep)"), params)
    conn.execute(sa.text("UPDATE article_url SET article_id = :keep WHERE article_id = :gone"), params)
    conn.execute(sa.text("UPDATE article_event SET article_id = :keep WHERE article_id = :gone"), params)
    # Versions: all of them, renumbered in time order (numbers shifted out of the way first:
    # (article_id, number) is unique).
    rows = list(conn.execute(sa.text("SELECT id, first_seen_at FROM version WHERE article_id IN (:keep, :gone) "
                                     "ORDER BY first_seen_at, id"), params))
    conn.execute(sa.text("UPDATE version SET number = number + 1000000 WHERE article_id IN (:keep, :gone)"), params)
    for number, row in enumerate(rows, start=1):
        conn.execute(sa.text("UPDATE version SET article_id = :keep, number = :n WHERE id = :v"),
                     {"keep": keep.id, "n": number, "v": row.id})
    live = "live" in (keep.status, gone.status)
    conn.execute(sa.text(
        "UPDATE article SET first_seen_at = :first, last_seen_at = :last, status = :status, "
        "missing_since = :missing, missing_checks = :checks, next_check_at = :next WHERE id = :keep"), {
        "keep": keep.id,
        "first": min(keep.first_seen_at, gone.first_seen_at),
        "last": max(keep.last_seen_at, gone.last_seen_at),
        "status": "live" if live else "gone",
        "missing": None if live else min(x for x in (keep.missing_since, gone.missing_since) if x is not None)
        if (keep.missing_since or gone.missing_since) else None,
        "checks": 0 if live else max(keep.missing_checks, gone.missing_checks),
        "next": min((x for x in (keep.next_check_at, gone.next_check_at) if x is not None), default=None),
    })
    conn.execute(sa.text("DELETE FROM article WHERE id = :gone"), params)

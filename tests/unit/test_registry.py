"""The registry (crawler/registry/portals.toml): every entry loads and is marked, the issue's
portals are all there, and a bad entry stops `scrapy list` with one line naming it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from crawler.registry import (
    FAMILY_FACTS,
    SETTINGS,
    RegistryError,
    identities,
    load_registry,
    registry_path,
    spider_class,
    spider_classes,
)

ROOT = Path(__file__).parents[2]
REGISTRY = load_registry()
DISTRICTS = {
    "soctrang": "tp vinhchau nganam chauthanh culaodung kesach longphu mytu myxuyen thanhtri trande",
    "dongthap": "tpcaolanh sadec tphongngu tanhong hongngu tamnong thanhbinh thapmuoi caolanh lapvo laivung chauthanh",
    "quangngai": "tp ducpho binhson sontinh tunghia nghiahanh moduc bato minhlong sonha sontay trabong lyson",
}


def test_every_portal_of_the_issue_is_registered() -> None:
    districts = {f"{province}_{unit}" for province, units in DISTRICTS.items() for unit in units.split()}
    assert len(districts) == 36
    assert districts <= set(REGISTRY)
    assert {REGISTRY[name].facts["level"] for name in districts} == {"district"}
    assert {"soctrang", "dongthap", "quangngai", "baodongthap", "cantho", "tiengiang", "kontum"} <= set(REGISTRY)
    agencies = {name for name, e in REGISTRY.items() if e.facts["level"] == "agency"}
    assert {"soctrang_danvan", "soctrang_snnptnt", "soctrang_sotttt", "soctrang_vpubnd", "soctrang_pbgdpl"} <= agencies
    for name in ("soctrang", "dongthap", "quangngai"):
        assert REGISTRY[name].facts["level"] == "province"


def test_every_entry_builds_a_spider_of_its_family() -> None:
    classes = spider_classes()
    assert set(classes) == set(REGISTRY)
    for name, cls in classes.items():
        info = cls.site_info()
        assert (cls.name, info.family) == (name, REGISTRY[name].family)
        # #16 lists retired portals from these class attributes
        assert cls.status in ("active", "retired", "redirected") and isinstance(cls.schedule, str)
        assert cls.successor_name is None or cls.successor_name in REGISTRY


def test_every_fact_is_marked() -> None:
    raw = tomllib.loads(registry_path().read_text(encoding="utf-8"))
    for table in (*raw["group"].values(), *raw["site"].values()):
        for key, value in table.items():
            if key in SETTINGS:
                continue
            assert isinstance(value, list) and len(value) == 2, key
            mark = value[1]
            assert mark[:4] in ("[E] ", "[I] ") and len(mark) >= 8, (key, mark)
    for entry in REGISTRY.values():
        assert set(entry.marks) == set(entry.facts)


def test_hosts_belong_to_the_family_domain_and_identities_are_unique() -> None:
    seen: dict[str, str] = {}
    for entry in REGISTRY.values():
        if domain := entry.facts.get("domain"):
            assert all(h == domain or h.endswith("." + domain) for h in entry.facts["hosts"]), entry.name
        for claim in identities(entry):
            assert claim not in seen, f"{entry.name} and {seen[claim]} both claim {claim}"
            seen[claim] = entry.name


def test_an_identity_never_rests_on_a_guess_alone() -> None:
    """A vnPortal sid or Liferay site that is [I] is learned at crawl time (crawler/identity.py)."""
    for name, cls in spider_classes().items():
        unproven = [p for p in getattr(cls, "identity_params", ()) if not REGISTRY[name].is_evidence(p)]
        if unproven:
            spider = cls.__new__(cls)
            assert spider.unproven_identity(), name


# -- bad entries --------------------------------------------------------------------------------------

GOOD = """
[site.x_one]
family = ["vnportal", "[E] src"]
display_name = ["X", "[E] src"]
province = ["P", "[E] src"]
level = ["district", "[E] src"]
status = ["retired", "[E] src"]
hosts = [["a.example.vn"], "[E] src"]
home_url = ["https://a.example.vn/", "[E] src"]
domain = ["example.vn", "[E] src"]
sname = ["huyenx", "[E] src"]
sid = [7, "[E] src"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "portals.toml"
    path.write_text(text, encoding="utf-8")
    load_registry.cache_clear()
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace('hosts = [["a.example.vn"], "[E] src"]\n', ""), "registry: site x_one: missing 'hosts'"),
        (GOOD.replace('"vnportal"', '"drupal"'), "registry: site x_one: unknown family 'drupal'"),
        (GOOD + GOOD.replace("x_one", "x_two").replace("huyenx", "huyeny"),
         "registry: site x_two claims the identity of site x_one (vnPortal example.vn sid 7)"),
        (GOOD.replace('sid = [7, "[E] src"]', "sid = 7"), "registry: site x_one: fact 'sid' must be [value"),
        (GOOD.replace('sid = [7, "[E] src"]', 'sid = [7, "[R] guess"]'), "registry: site x_one: fact 'sid' is marked"),
        (GOOD.replace('"a.example.vn"]', '"a.example.com"]'), "outside the family's domain example.vn"),
        (GOOD + 'schedule = "sometimes"\n', "registry: site x_one: schedule 'sometimes'"),
        (GOOD + GOOD, "registry "),  # the same table twice: TOML itself refuses it
    ],
    ids=["missing-field", "unknown-family", "duplicate-identity", "unmarked", "bad-mark", "off-domain",
         "bad-schedule", "duplicate-name"],
)
def test_bad_entries_name_themselves(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    try:
        with pytest.raises(RegistryError) as raised:
            load_registry(path)
    finally:
        load_registry.cache_clear()
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_good_entry_builds(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    try:
        cls = spider_class("x_one", path)
    finally:
        load_registry.cache_clear()
    assert (cls.sname, cls.sid, cls.host, cls.family) == ("huyenx", 7, "a.example.vn", "vnportal")
    assert set(FAMILY_FACTS) >= {"vnportal", "liferay", "newspaper", "generic"}


def scrapy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_scrapy_list_shows_every_site() -> None:
    listed = scrapy("list")
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert set(listed.stdout.split()) == set(REGISTRY) | {"generic"}


def test_scrapy_list_stops_on_a_bad_entry_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "portals.toml"
    path.write_text(GOOD.replace('"vnportal"', '"drupal"'), encoding="utf-8")
    listed = scrapy("list", "-s", f"ARCHIVE_REGISTRY={path}")
    assert listed.returncode == 2 and listed.stdout == ""
    assert listed.stderr.strip().splitlines() == ["registry: site x_one: unknown family 'drupal' (known: "
                                                   + ", ".join(FAMILY_FACTS) + ")"]


def test_per_site_schedule_politeness_and_time_limit(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + 'schedule = "every 12h"\ndownload_delay = 2.5\nconcurrency = 1\ntime_limit = 7200\n')
    try:
        cls = spider_class("x_one", path)
    finally:
        load_registry.cache_clear()
    assert cls.schedule == "every 12h"
    assert cls.custom_settings == {"DOWNLOAD_DELAY": 2.5, "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
                                   "CLOSESPIDER_TIMEOUT": 7200}
    assert spider_class("soctrang").custom_settings in (None, {})  # the defaults: nothing set

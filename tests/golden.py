"""Golden files: every fixture article page through its spider's ``parse_article``, and every
fixture listing page through its ``parse_listing`` (the article requests it makes, each with its
identity, and the next listing pages it asks for).

    python -m tests.golden            # check (what the test does)
    python -m tests.golden --write    # regenerate tests/fixtures/sites/*/expected/*.json

Regenerate after a deliberate change to a parser, then read the diff of the
expected JSON before committing it: that diff *is* the review.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from scrapy.http import HtmlResponse, Request
from scrapy.spiderloader import SpiderLoaderProtocol, get_spider_loader
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler.families.base import META_KIND, META_SOURCE_KEY

SITES = Path(__file__).parent / "fixtures" / "sites"
#: the fixture server's volatile tokens, pinned so pages are deterministic here
TOKENS = {b"__VISITS__": b"2 063", b"__TOTAL__": b"16620562", b"__ONLINE__": b"9", b"__VIEWS__": b"86"}


#: the kinds of fixture page with golden files, and the spider callback that reads each
KINDS = ("article", "listing")


@dataclass(frozen=True)
class Case:
    family: str
    key: str
    spider: str
    file: Path
    content_type: str
    kind: str = "article"

    @property
    def expected_path(self) -> Path:
        tail = re.sub(r"[^A-Za-z0-9]+", "-", self.key.rstrip("/").rsplit("/", 1)[-1]).strip("-")[:80]
        digest = hashlib.sha1(self.key.encode()).hexdigest()[:6]
        kind = "" if self.kind == "article" else f"{self.kind}__"
        return SITES / self.family / "expected" / f"{self.spider}__{kind}{tail}__{digest}.json"

    @property
    def id(self) -> str:
        return f"{self.spider}:{self.kind}:{self.key[-60:]}"


def cases(kinds: tuple[str, ...] = ("article",)) -> Iterator[Case]:
    """The fixture pages of ``kinds`` (article pages unless asked), every site's, in a stable order."""
    for manifest in sorted(SITES.glob("*/manifest.json")):
        routes = json.loads(manifest.read_text(encoding="utf-8"))["routes"]
        for key, route in sorted(routes.items()):
            if route.get("kind") in kinds and route.get("spider"):
                yield Case(manifest.parent.name, key, route["spider"], manifest.parent / route["file"],
                           route.get("type", "text/html; charset=utf-8"), route["kind"])


_loader: SpiderLoaderProtocol | None = None


def spider_for(name: str) -> Any:
    global _loader
    _loader = _loader or get_spider_loader(get_project_settings())
    spidercls = _loader.load(name)
    return spidercls.from_crawler(get_crawler(spidercls))


def learn_from_home(spider: Any, case: Case) -> None:
    """A spider whose identity the registry does not prove learns it, as in a crawl, from its home
    page (``https://<host>/``) in the same fixture directory (crawler/identity.py)."""
    if not getattr(spider, "unproven_identity", lambda: [])():
        return
    site_dir = next(p for p in case.file.parents if (p / "manifest.json").exists())
    routes = json.loads((site_dir / "manifest.json").read_text(encoding="utf-8"))["routes"]
    home = next((k for k, r in routes.items() if r.get("spider") == spider.name and k.endswith("/")
                 and k.count("/") == 1), None)
    if home is None:
        return
    url = f"https://{home}"
    response = HtmlResponse(url, body=(site_dir / routes[home]["file"]).read_bytes(), encoding="utf-8",
                            request=Request(url))
    list(spider.learn_identity(response))


def parse(case: Case) -> dict[str, Any]:
    spider = spider_for(case.spider)
    learn_from_home(spider, case)
    body = case.file.read_bytes()
    for token, value in TOKENS.items():
        body = body.replace(token, value)
    url = f"{getattr(spider, 'scheme', 'https')}://{case.key}"
    response = HtmlResponse(url, body=body, headers={"Content-Type": case.content_type}, request=Request(url))
    if case.kind == "listing":
        return listing_outputs(spider.parse_listing(response) or ())
    items = [item.public_fields() for item in spider.parse_article(response) or ()]
    return {"items": items}


def listing_outputs(outputs: Iterable[Any]) -> dict[str, Any]:
    """What a listing page yields, in order: article requests with the identity the incremental
    crawl reads (``archive_source_key``), listing requests (the next pages), anything else."""
    requests, items = [], []
    for output in outputs:
        if isinstance(output, Request):
            requests.append(_request_fields(output))
        else:
            items.append(output.public_fields() if hasattr(output, "public_fields") else repr(output))
    return {"requests": requests, "items": items}


def _request_fields(request: Request) -> dict[str, Any]:
    fields: dict[str, Any] = {"kind": request.meta.get(META_KIND), "method": request.method, "url": request.url}
    if META_SOURCE_KEY in request.meta:
        fields["source_key"] = request.meta[META_SOURCE_KEY]
    if request.method != "GET":  # an ASP.NET postback: its fields say which page it asks for
        fields["form"] = sorted([k, v[:80]] for k, v in parse_qsl(request.body.decode(), keep_blank_values=True))
    if request.meta.get("playwright"):
        fields["browser"] = True
    return {key: value for key, value in fields.items() if value is not None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the expected files")
    args = parser.parse_args()
    stale = 0
    for case in cases(KINDS):
        got = parse(case)
        path = case.expected_path
        if args.write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        elif not path.exists() or json.loads(path.read_text(encoding="utf-8")) != got:
            print(f"differs: {case.id} ({path})")
            stale += 1
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

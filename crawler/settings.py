"""Scrapy settings for the portal archive. One settings module for every
environment: what differs (database, mirror, browser path) comes from the
environment through archive.db or from ``-s``/``-a`` on the command line."""

BOT_NAME = "portal-archive"

SPIDER_MODULES = ["spiders"]
# Every registered portal (crawler/registry/portals.toml) besides the spiders of SPIDER_MODULES.
SPIDER_LOADER_CLASS = "crawler.registry.RegistrySpiderLoader"
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "crawler.commands"

# Government portals are slow, shared servers: be a polite archivist.
USER_AGENT = "portal-archive/0.1 (+https://github.com/; archiving Vietnamese government news)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 60
RETRY_TIMES = 3
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
COOKIES_ENABLED = True
# No remote control of a running crawl: the telnet console and Scrapy 2.13+'s HTTP server that runs any
# Python code sent with its token (scrapy.extensions.remote_control; the token sits in a file under $HOME).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    # Web-archive backfill (crawler/wayback.py): linked files asked of the archive, answers back under the
    # original URL after redirects; the archive's 429/5xx wait (Retry-After, backoff) before RetryMiddleware.
    "crawler.wayback.WaybackDownloaderMiddleware": 45,
    "crawler.wayback.ArchiveBackoffMiddleware": 555,
    # Validators for known articles; a 304 never reaches the spider.
    "crawler.incremental.ConditionalRequestMiddleware": 560,
    # Failed checks of known articles, portals redirected away (sees 3xx before RedirectMiddleware).
    "crawler.removal.RemovalMiddleware": 700,
    # A UTF-8 page declared as windows-1252 is read as UTF-8 (crawler/guards.py); both this and the
    # removal checks must see the decompressed body, so decompression moves before them (from 590).
    "crawler.guards.CharsetRepairMiddleware": 710,
    # DNS and TLS failures counted for site health (archive/health.py), every attempt before retries.
    "crawler.guards.NetworkFailureMiddleware": 730,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 720,
    # Last before the network: portal URLs everywhere else, mirror URLs on the wire.
    "crawler.middlewares.MirrorMiddleware": 950,
}

SPIDER_MIDDLEWARES = {
    # -a source=wayback: the archive's CDX listing instead of the site's listings (crawler/wayback.py).
    "crawler.wayback.WaybackMiddleware": 960,
    # Error, soft-404 and challenge pages never become versions.
    "crawler.guards.PageGuardMiddleware": 100,
    # Skip articles not due for a re-check, stop listings that hold nothing new.
    "crawler.incremental.IncrementalMiddleware": 950,
}

ITEM_PIPELINES = {
    "crawler.pipelines.attachments.AttachmentPipeline": 200,
    "crawler.pipelines.archive.ArchivePipeline": 500,
}

# ARCHIVE_* settings (see crawler/config.py for their meaning and defaults). The database is
# not one of them: it comes from DATABASE_URL (archive/db.py), so its password never reaches a log.
ARCHIVE_ATTACHMENT_MAXSIZE = 50 * 1024 * 1024
ARCHIVE_DOWNLOAD_ATTACHMENTS = True
ARCHIVE_DOWNLOAD_IMAGES = False
ARCHIVE_INCREMENTAL = True
ARCHIVE_RECHECK_MAX = 1000
# Captures are stored by a writer process beside the crawl (crawler/writer.py); 0: on the crawl's own thread.
ARCHIVE_STORE_PROCESS = True
ARCHIVE_LEASE_TTL = 120  # seconds; a dead crawl's site is free this long after its last renewal
ARCHIVE_GONE_MIN_CHECKS = 3
ARCHIVE_GONE_MIN_HOURS = 7 * 24
# Backfill from a Wayback-compatible web archive (-a source=wayback; docs/web-archives.md). Defaults: the
# Internet Archive; a pywb collection is http://host:port/<collection>/cdx and http://host:port/<collection>/.
ARCHIVE_WAYBACK_CDX = "https://web.archive.org/cdx/search/cdx"
ARCHIVE_WAYBACK_REPLAY = "https://web.archive.org/web/"
# One shared public service: one request at a time, 1.5 s apart (about ±50%); 429/5xx/network errors
# wait Retry-After, else 10 s doubling per attempt up to 10 min, 6 retries.
ARCHIVE_WAYBACK_DELAY = 1.5
ARCHIVE_WAYBACK_CONCURRENCY = 1
ARCHIVE_WAYBACK_RETRIES = 6
ARCHIVE_WAYBACK_BACKOFF = 10.0
ARCHIVE_WAYBACK_BACKOFF_MAX = 600.0
# Captures per CDX page (the Internet Archive pages with a resume key beyond it).
ARCHIVE_WAYBACK_CDX_LIMIT = 5000
# Log file of this crawl, linked from its crawl_run row (set by the crawl service; else LOG_FILE).
ARCHIVE_LOG_PATH = None

# Pages built by script (docs/browser.md). Only a spider that asks for a browser
# (PortalSpider.browser_for) gets the browser download handler and its missing-browser check
# (crawler/chromium.py install(), from PortalSpider.update_settings); every other crawl downloads
# with Scrapy's own handlers. Even there only requests with meta "playwright" go through
# Chromium, and Playwright and the browser start on the first of them.
# executable_path ($ARCHIVE_CHROMIUM, else /usr/bin/chromium) and --no-sandbox as root: crawler/chromium.py.
# Without the background-networking flags Chromium keeps calling Google's services.
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "headless": True,
    "args": [
        "--headless",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ],
}
PLAYWRIGHT_ABORT_REQUEST = "crawler.chromium.is_heavy"  # no images, fonts, media
PLAYWRIGHT_MAX_CONTEXTS = 1  # every rendered page shares the default context
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2  # = CONCURRENT_REQUESTS_PER_DOMAIN
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000  # ms; a timeout counts archive/browser_timeout

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

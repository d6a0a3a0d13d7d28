"""The archive's database URL: parsed once, and never printed with a secret in it.

A password can sit in three places of a URL a user types: ``user:password@``,
a query parameter (``?password=…``, libpq's form), and, when the user forgot to
percent-encode an ``@`` in the password, *after* the first ``@``, where a URL
parser reads it as the host name. :func:`mask` works on the raw text, so it
hides all three even when the URL does not parse; :func:`scrub` removes the
same secrets from any other text (a driver's error message repeats the host).
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["BadDatabaseURL", "mask", "parse_url", "read_only", "scrub", "secrets"]

HIDDEN = "***"
_SCHEME = re.compile(r"^([A-Za-z][\w+.-]*)://")
#: query parameters whose value is a secret (password, sslpassword, passfile names a file: harmless but hidden)
_SECRET_PARAM = re.compile(r"pass|pwd|secret|token|key", re.IGNORECASE)
_QUERY_PAIR = re.compile(r"([?&;])([^=&;#]*)=([^&;#]*)")
#: a user name as it may be shown: no character that says the '@' was not the userinfo's end
_SHOWABLE_USER = re.compile(r"[\w.~%!$'()*+,-]*")
#: SQLite URI parameters that make a connection read-only (https://www.sqlite.org/uri.html)
_SQLITE_URI_PARAMS = ("mode", "immutable", "cache", "nolock", "vfs")


class BadDatabaseURL(ValueError):
    """DATABASE_URL cannot name an archive; the message is one line, already masked."""


def _split_userinfo(rest: str) -> tuple[str | None, str]:
    """``rest`` (after ``scheme://``) as (userinfo, everything after it).

    The userinfo ends at the *last* '@' (an unescaped '@' in a password is
    still the password's), unless that '@' can only be in the path or query."""
    at = rest.rfind("@")
    if at < 0:
        return None, rest
    userinfo = rest[:at]
    user = userinfo.split(":", 1)[0]
    if ":" not in userinfo and not _SHOWABLE_USER.fullmatch(user):
        return None, rest  # host/db?x=a@b: the '@' belongs to the query
    return userinfo, rest[at + 1:]


def _mask_query(text: str) -> str:
    def hide(match: re.Match[str]) -> str:
        sep, name, value = match.groups()
        return f"{sep}{name}={HIDDEN}" if _SECRET_PARAM.search(unquote(name)) and value else match.group(0)

    return _QUERY_PAIR.sub(hide, text)


def _raw(url: str | URL) -> str:
    if isinstance(url, str):
        return url
    # SQLAlchemy renders the ':' of a SQLite "file:" URI as %3A; show it as the user wrote it.
    return url.render_as_string(hide_password=False).replace(":///file%3A", ":///file:")


def mask(url: str | URL) -> str:
    """The URL as it may appear in logs and errors: no password, wherever it sits."""
    raw = _raw(url)
    scheme = _SCHEME.match(raw)
    if scheme is None:
        return "<not a URL>"
    # Query secrets first: a '@' in ``?password=se@cret`` must not be read as the userinfo's end.
    userinfo, after = _split_userinfo(_mask_query(raw[scheme.end():]))
    shown = ""
    if userinfo is not None:
        user, has_password, _ = userinfo.partition(":")
        if not _SHOWABLE_USER.fullmatch(user):
            shown = f"{HIDDEN}@"
        else:
            shown = f"{user}:{HIDDEN}@" if has_password else f"{user}@"
    return f"{scheme.group(0)}{shown}{after}"


def secrets(url: str | URL) -> list[str]:
    """Every secret the URL holds, as typed and decoded: what :func:`scrub` removes from text."""
    raw = _raw(url)
    found: list[str] = []
    scheme = _SCHEME.match(raw)
    rest = raw[scheme.end():] if scheme else raw
    userinfo, after = _split_userinfo(rest)
    if userinfo is not None and ":" in userinfo:
        found.append(userinfo.split(":", 1)[1])
    found += [value for _, name, value in _QUERY_PAIR.findall(rest) if _SECRET_PARAM.search(unquote(name))]
    found = [s for s in found if s]
    decoded = [unquote(s) for s in found] + [quote(unquote(s), safe="") for s in found]
    # Pieces of a password around an '@' or ':' appear on their own in a driver's message ("host 'ss@h'").
    pieces = [p for s in found + decoded for p in re.split(r"[@:/?]", s) if len(p) >= 3]
    return sorted(set(found + decoded + pieces), key=len, reverse=True)


def scrub(text: str, url: str | URL) -> str:
    """``text`` with every secret of ``url`` hidden (a driver's message, a traceback line)."""
    for secret in secrets(url):
        text = text.replace(secret, HIDDEN)
    return text


def parse_url(url: str) -> URL:
    """The parsed URL, or :class:`BadDatabaseURL` saying in one line what is wrong with it."""
    if url.count("@") > 1:
        raise BadDatabaseURL(
            f"DATABASE_URL {mask(url)} holds more than one '@': write an '@' in the password "
            "or a parameter as %40 (percent-encoded)"
        )
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BadDatabaseURL(
            f"DATABASE_URL {mask(url)} is not a database URL; "
            "use sqlite:///path/to/archive.sqlite3 or postgresql+psycopg://user:pass@host/db"
        ) from None
    except ValueError:  # URL.port is int(...) of what follows the host's ':'
        raise BadDatabaseURL(f"DATABASE_URL {mask(url)} has a port that is not a number") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BadDatabaseURL(
            f"DATABASE_URL {mask(url)} names an unsupported backend {backend!r}; use sqlite:/// or postgresql+psycopg://"
        )
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise BadDatabaseURL(f"DATABASE_URL {mask(url)} has port {parsed.port}, outside 1-65535")
    return _sqlite_uri(parsed) if backend == "sqlite" else parsed


def _sqlite_uri(url: URL) -> URL:
    """``sqlite:///archive.sqlite3?mode=ro`` means what it says: SQLite's URI parameters
    only reach SQLite with ``uri=true``, which a user should not have to know."""
    if any(name in url.query for name in _SQLITE_URI_PARAMS) and "uri" not in url.query:
        database = url.database or ""
        if not database.startswith("file:"):
            database = "file:" + quote(database)
        return url.set(database=database).update_query_dict({"uri": "true"})
    return url


def sqlite_path(url: URL) -> str | None:
    """The file a SQLite URL names (``file:`` URIs included), None for an in-memory database."""
    database = url.database or ""
    if database.startswith("file:"):
        database = unquote(database[len("file:"):].split("?", 1)[0])
        database = database[len("//"):] if database.startswith("///") else database
    return database if database and database != ":memory:" and "mode=memory" not in str(url) else None


def read_only(url: URL) -> bool:
    """A SQLite URL that SQLite itself will open read-only (``mode=ro``, ``immutable=1``)."""
    if url.get_backend_name() != "sqlite":
        return False
    query = {**url.query, **_file_uri_query(url.database or "")}
    return query.get("mode") == "ro" or str(query.get("immutable", "0")).lower() in ("1", "true", "yes", "on")


def _file_uri_query(database: str) -> dict[str, str]:
    if not database.startswith("file:") or "?" not in database:
        return {}
    return dict(pair.partition("=")[::2] for pair in database.split("?", 1)[1].split("&") if pair)

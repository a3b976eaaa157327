"""The proxy-log formats shadow-AI discovery reads, each as one DuckDB query that turns a file
into the same columns:

``ts`` (seconds since 1970, UTC), ``identity`` (as logged: a user name or an e-mail; empty
when none), ``department`` (NULL when the log has none), ``host`` (lower case, no port),
``bytes_up`` (sent by the person; NULL when the format does not record it), ``bytes_down``,
``ok`` (the line is a request) and, for the other lines, ``bad`` (the line) and ``why``.

- ``squid``: Squid's native ``access.log`` (``%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru
  %[un %Sh/%<a %mt``): it records the reply's size only, so uploads are unknown.
- ``zscaler``: a Zscaler NSS web-log feed as CSV with a header line naming its fields:
  ``datetime`` (``Mon Nov 16 09:12:45 2026``, UTC), ``user``, ``hostname`` or ``url``,
  ``requestsize``, ``responsesize``; ``department`` when present.
- ``csv`` and ``jsonl``: the generic shape: ``time`` (ISO 8601 or seconds), ``user``,
  ``department``, ``host`` or ``url``, ``bytes_out`` (uploaded), ``bytes_in``.

Lines are read whole (``delim=chr(31)``, no quoting) where the format is not CSV, so a line
DuckDB cannot decode (invalid UTF-8, too long) is set aside in its rejects table and counted,
never aborts the import.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

FORMATS = ("squid", "zscaler", "csv", "jsonl")
NAME = re.compile(r"^[a-z0-9_][a-z0-9_ .-]{0,63}$")
COMMON = "auto_detect=false, ignore_errors=true, store_rejects=true, max_line_size=2097152"
LINES = (
    "read_csv(?, columns={'line': 'VARCHAR'}, delim=chr(31), quote='', escape='', "
    f"header=false, {COMMON})"
)


def _time(seconds: str) -> str:
    """SQL: seconds since 1970, NULL outside 2000-2100 (a garbled number is not a time)."""
    return f"(CASE WHEN {seconds} BETWEEN 946684800 AND 4102444800 THEN {seconds} END)"


def _host(url: str) -> str:
    """SQL: the host of a URL, of ``host:port`` (CONNECT) or of ``host/path``."""
    rest = f"CASE WHEN contains({url}, '://') THEN split_part({url}, '://', 2) ELSE {url} END"
    authority = f"split_part(split_part(split_part({rest}, '/', 1), '?', 1), '@', -1)"
    return f"lower(split_part({authority}, ':', 1))"


SQUID = f"""
WITH split AS (
    SELECT line, list_filter(string_split(line, ' '), x -> x <> '') AS f
    FROM {LINES}
), fields AS (
    SELECT line, len(f) AS n, {_time("TRY_CAST(f[1] AS DOUBLE)")} AS ts,
           CASE WHEN f[8] IS NULL OR f[8] = '-' THEN '' ELSE url_decode(f[8]) END AS identity,
           {_host("f[7]")} AS host, TRY_CAST(f[5] AS BIGINT) AS bytes_down
    FROM split
)
SELECT ts, identity, CAST(NULL AS VARCHAR) AS department, host,
       CAST(NULL AS BIGINT) AS bytes_up, bytes_down,
       n = 10 AND ts IS NOT NULL AND bytes_down IS NOT NULL AND host <> '' AS ok,
       CASE WHEN NOT ok THEN line END AS bad,
       CASE WHEN n <> 10 THEN 'expected 10 fields, found ' || n
            WHEN ts IS NULL THEN 'the time is not a number'
            WHEN bytes_down IS NULL THEN 'the size is not a number'
            WHEN host = '' THEN 'no host in the URL' END AS why
FROM fields
"""

JSONL = f"""
WITH split AS (
    SELECT line, json_valid(line) AND starts_with(ltrim(line), '{{') AS valid FROM {LINES}
), fields AS (
    SELECT line, valid, CASE WHEN valid THEN json_extract_string(
        line, ['time', 'user', 'department', 'host', 'url', 'bytes_out', 'bytes_in']) END AS v
    FROM split
), typed AS (
    SELECT line, valid,
           {_time("coalesce(TRY_CAST(v[1] AS DOUBLE), epoch(TRY_CAST(v[1] AS TIMESTAMPTZ)))")}
               AS ts,
           coalesce(v[2], '') AS identity, nullif(v[3], '') AS department,
           CASE WHEN coalesce(v[4], '') <> '' THEN lower(v[4])
                ELSE {_host("coalesce(v[5], '')")} END AS host,
           TRY_CAST(v[6] AS BIGINT) AS bytes_up, TRY_CAST(v[7] AS BIGINT) AS bytes_down,
           v[6] IS NOT NULL AND TRY_CAST(v[6] AS BIGINT) IS NULL
               OR v[7] IS NOT NULL AND TRY_CAST(v[7] AS BIGINT) IS NULL AS bad_size
    FROM fields
)
SELECT ts, identity, department, host, bytes_up, coalesce(bytes_down, 0) AS bytes_down,
       valid AND ts IS NOT NULL AND host <> '' AND NOT bad_size AS ok,
       CASE WHEN NOT ok THEN line END AS bad,
       CASE WHEN NOT valid THEN 'not a JSON object'
            WHEN ts IS NULL THEN 'no valid time'
            WHEN host = '' THEN 'no host or url'
            WHEN bad_size THEN 'a size is not a number' END AS why
FROM typed
"""


@dataclass(frozen=True, slots=True)
class CsvColumns:
    """The names a CSV format reads, by role."""

    time: str
    time_format: str | None  # strptime format; None: ISO 8601 or seconds
    user: str
    department: str
    host: str
    url: str
    bytes_up: str
    bytes_down: str


ZSCALER = CsvColumns(
    "datetime",
    "%a %b %d %H:%M:%S %Y",
    "user",
    "department",
    "hostname",
    "url",
    "requestsize",
    "responsesize",
)
GENERIC = CsvColumns("time", None, "user", "department", "host", "url", "bytes_out", "bytes_in")


def header_columns(header: str) -> list[str]:
    """The column names of a CSV header line, as DuckDB will be told them."""
    names = next(csv.reader([header]), [])
    return [name.strip().lower() for name in names]


def csv_query(kind: str, header: str) -> str:
    """The query for a CSV format, given the file's header line; ValueError when it lacks a
    column the format needs."""
    roles = ZSCALER if kind == "zscaler" else GENERIC
    names = header_columns(header)
    if len(set(names)) != len(names) or not all(NAME.match(n) for n in names):
        raise ValueError(
            "the first line must be the header: column names of letters, digits, spaces, "
            "dots, hyphens or underscores, each once"
        )
    missing = [n for n in (roles.time,) if n not in names]
    if roles.host not in names and roles.url not in names:
        missing.append(f"{roles.host} or {roles.url}")
    if missing:
        raise ValueError(f"the header line lacks {', '.join(missing)} (it has: {', '.join(names)})")

    def column(name: str) -> str:
        return f'"{name}"' if name in names else "CAST(NULL AS VARCHAR)"

    types = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
    source = (
        f"read_csv(?, columns={{{types}}}, header=true, delim=',', quote='\"', escape='\"', "
        f"{COMMON})"
    )
    time = column(roles.time)
    ts = _time(
        f"epoch(try_strptime({time}, '{roles.time_format}'))"
        if roles.time_format
        else f"coalesce(TRY_CAST({time} AS DOUBLE), epoch(TRY_CAST({time} AS TIMESTAMPTZ)))"
    )
    host = column(roles.host)
    url = column(roles.url)
    up, down = column(roles.bytes_up), column(roles.bytes_down)
    line = " || ',' || ".join(f"coalesce({column(n)}, '')" for n in names)
    return f"""
WITH typed AS (
    SELECT {line} AS line, {ts} AS ts,
           coalesce(nullif({column(roles.user)}, '-'), '') AS identity,
           nullif({column(roles.department)}, '') AS department,
           CASE WHEN coalesce({host}, '') <> '' THEN lower({host})
                ELSE {_host(f"coalesce({url}, '')")} END AS host,
           TRY_CAST({up} AS BIGINT) AS bytes_up, TRY_CAST({down} AS BIGINT) AS bytes_down,
           coalesce({up}, '') <> '' AND TRY_CAST({up} AS BIGINT) IS NULL
               OR coalesce({down}, '') <> '' AND TRY_CAST({down} AS BIGINT) IS NULL AS bad_size
    FROM {source}
)
SELECT ts, identity, department, host, bytes_up, coalesce(bytes_down, 0) AS bytes_down,
       ts IS NOT NULL AND host <> '' AND NOT bad_size AS ok,
       CASE WHEN NOT ok THEN line END AS bad,
       CASE WHEN ts IS NULL THEN 'no valid {roles.time}'
            WHEN host = '' THEN 'no host or url'
            WHEN bad_size THEN 'a size is not a number' END AS why
FROM typed
"""


def query(kind: str, header: str | None) -> str:
    """The query turning a file of format ``kind`` into the common columns."""
    if kind == "squid":
        return SQUID
    if kind == "jsonl":
        return JSONL
    if kind in ("zscaler", "csv"):
        if header is None:
            raise ValueError("a CSV log needs its header line")
        return csv_query(kind, header)
    raise ValueError(f"unknown log format {kind!r}: one of {', '.join(FORMATS)}")

"""Shadow-AI discovery's sample proxy logs and AI-service catalogue: the catalogue is clean (unique
ids and domains, APIs never under another entry's domain); every format is deterministic, has
the size or line count asked for, and its ground truth is what an independent reader of the
file finds, malformed lines included."""

from __future__ import annotations

import csv
import fnmatch
import functools
import io
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from gouvernail.observatory.shadow.catalogue import CATEGORIES
from gouvernail.observatory.shadow.samples import (
    CATALOGUE,
    CSV_HEADER,
    FORMATS,
    ZSCALER_HEADER,
    Expected,
    Format,
    Person,
    ServiceSample,
    generate,
    sample_people,
    service_samples,
)
from gouvernail.observatory.shadow.samples.hosts import universe

START = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # a Monday
DOMAIN = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PEOPLE = sample_people(120, seed=5)
SERVICES = service_samples()


# --- the catalogue ----------------------------------------------------------------------------


@functools.cache
def catalogue() -> list[dict[str, Any]]:
    document = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    assert isinstance(document["version"], str)
    services: list[dict[str, Any]] = document["services"]
    return services


def under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def test_the_catalogue_is_large_clean_and_well_formed() -> None:
    services = catalogue()
    assert len(services) >= 130
    ids = [s["id"] for s in services]
    assert len(set(ids)) == len(ids)
    domains = [d for s in services for d in s["domains"]]
    assert len(set(domains)) == len(domains), Counter(domains).most_common(3)
    for s in services:
        assert SLUG.match(s["id"]), s["id"]
        assert s["category"] in CATEGORIES, s
        assert s["name"], s
        assert s["vendor"], s
        assert isinstance(s["api"], bool)
        assert s["api"] == (s["category"] == "api"), s["id"]
        assert set(s) <= {"id", "name", "vendor", "category", "domains", "patterns", "api"}
        assert s["domains"] or s.get("patterns"), s["id"]
        for domain in s["domains"]:
            assert DOMAIN.match(domain), domain
        for pattern in s.get("patterns", []):
            assert "*" in pattern, pattern
            assert pattern == pattern.lower(), pattern


def test_no_domain_of_one_service_lies_under_another_services_domain() -> None:
    """Above all, an API's endpoint is never swallowed by a chat entry (api.openai.com under
    openai.com), nor the reverse."""
    owned = [(d, s["id"], s["api"]) for s in catalogue() for d in s["domains"]]
    for domain, owner, api in owned:
        for other, other_owner, other_api in owned:
            if owner != other_owner:
                assert not under(domain, other), (domain, owner, other, other_owner)
                if api != other_api:
                    assert not under(other, domain), (other, other_owner, domain, owner)


def test_the_catalogue_lists_the_model_providers_apis_and_no_broad_domains() -> None:
    services = {s["id"]: s for s in catalogue()}
    apis = [s for s in services.values() if s["api"]]
    assert len(apis) >= 20
    api_hosts = {d for s in apis for d in s["domains"]}
    for host in (
        "api.openai.com",
        "openai.azure.com",
        "api.anthropic.com",
        "api.mistral.ai",
        "generativelanguage.googleapis.com",
        "aiplatform.googleapis.com",
        "api.cohere.com",
        "api.groq.com",
        "api.together.xyz",
        "api.fireworks.ai",
        "api.deepseek.com",
        "api.perplexity.ai",
        "api.x.ai",
        "api-inference.huggingface.co",
        "api.replicate.com",
        "openrouter.ai",
        "api.ai21.com",
        "api.voyageai.com",
        "api.elevenlabs.io",
        "api.stability.ai",
    ):
        assert host in api_hosts, host
    assert "*-aiplatform.googleapis.com" in services["google-vertex-ai"]["patterns"]
    assert "bedrock-runtime.*.amazonaws.com" in services["aws-bedrock"]["patterns"]
    broad = {
        "google.com",
        "microsoft.com",
        "bing.com",
        "github.com",
        "githubusercontent.com",
        "notion.so",
        "adobe.com",
        "amazonaws.com",
        "googleapis.com",
        "azure.com",
        "openai.com",
        "anthropic.com",
        "huggingface.co",
    }
    assert not broad & {d for s in services.values() for d in s["domains"]}


def test_service_samples_take_a_domain_or_a_host_matching_the_first_pattern() -> None:
    hosts = {s.id: s.host for s in SERVICES}
    assert len(SERVICES) == len(catalogue())
    assert hosts["openai-chatgpt"] == "chatgpt.com"
    assert hosts["aws-bedrock"] == "bedrock-runtime.eu-west-1.amazonaws.com"
    assert fnmatch.fnmatchcase(hosts["amazon-q-developer"], "codewhisperer.*.amazonaws.com")
    for sample in SERVICES:  # each sample host is recognised as its own service, only
        assert matches(sample.host) == [sample.id], sample


def test_no_ordinary_host_is_an_ai_service() -> None:
    """Every host the generator may use for ordinary traffic, lookalikes included."""
    hosts = [h.name for h in universe(SERVICES, random.Random(0))]
    assert len(hosts) > 3000
    assert {"openai.com", "notchatgpt.com", "chatgpt.com.evil.example"} <= set(hosts)
    assert [h for h in hosts if matches(h)] == []


# --- an independent reader of the four formats ------------------------------------------------


@functools.cache
def matches(host: str) -> list[str]:
    found = []
    for s in catalogue():
        if any(under(host, d) for d in s["domains"]) or any(
            fnmatch.fnmatchcase(host, p) for p in s.get("patterns", [])
        ):
            found.append(s["id"])
    return found


@dataclass
class Reading:
    lines: int = 0
    malformed: int = 0
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    up: Counter[tuple[str, str]] = field(default_factory=Counter)
    down: Counter[tuple[str, str]] = field(default_factory=Counter)
    first: dict[str, datetime] = field(default_factory=dict)
    last: dict[str, datetime] = field(default_factory=dict)
    times: list[datetime] = field(default_factory=list)
    hosts: Counter[str] = field(default_factory=Counter)
    users: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Request:
    time: datetime
    user: str
    host: str
    up: int
    down: int


def squid_line(text: str) -> Request | None:
    f = text.split()
    if len(f) != 10 or not re.fullmatch(r"\d{10}\.\d{3}", f[0]) or not f[1].isdigit():
        return None
    if not re.fullmatch(r"[A-Z_]+/\d{3}", f[3]) or not f[4].isdigit():
        return None
    seconds, millis = f[0].split(".")
    moment = datetime.fromtimestamp(int(seconds), UTC) + timedelta(milliseconds=int(millis))
    host = f[6].rsplit(":", 1)[0] if f[5] == "CONNECT" else urlsplit(f[6]).hostname
    assert host
    return Request(moment, "" if f[7] == "-" else f[7], host, 0, int(f[4]))


def zscaler_line(text: str) -> Request | None:
    row = next(csv.reader([text]))
    if len(row) != 12 or not row[8].isdigit() or not row[9].isdigit():
        return None
    try:
        moment = datetime.strptime(row[0], "%a %b %d %H:%M:%S %Y").replace(tzinfo=UTC)
    except ValueError:
        return None
    return Request(moment, row[1], row[5], int(row[8]), int(row[9]))


def jsonl_line(text: str) -> Request | None:
    try:
        item = json.loads(text)
    except ValueError:
        return None
    if not isinstance(item, dict):
        return None
    up, down = item.get("bytes_out"), item.get("bytes_in")
    if type(up) is not int or type(down) is not int:
        return None
    return Request(datetime.fromisoformat(item["time"]), item["user"] or "", item["host"], up, down)


def csv_line(text: str) -> Request | None:
    row = next(csv.reader([text]))
    if len(row) != 10 or not all(v.isdigit() for v in row[7:]):
        return None
    return Request(datetime.fromisoformat(row[0]), row[1], row[5], int(row[8]), int(row[9]))


PARSERS = {"squid": squid_line, "zscaler": zscaler_line, "jsonl": jsonl_line, "csv": csv_line}


def read(fmt: Format, data: bytes) -> Reading:
    assert data.endswith(b"\n")
    raw = data.split(b"\n")[:-1]
    if fmt in ("zscaler", "csv"):
        header, raw = raw[0].decode(), raw[1:]
        assert header == (ZSCALER_HEADER if fmt == "zscaler" else CSV_HEADER)
    reading = Reading(lines=len(raw))
    for line in raw:
        try:
            request = PARSERS[fmt](line.decode("utf-8"))
        except UnicodeDecodeError:
            request = None
        if request is None:
            reading.malformed += 1
            continue
        reading.times.append(request.time)
        reading.hosts[request.host] += 1
        reading.users[request.user] += 1
        found = matches(request.host)
        assert len(found) <= 1, (request.host, found)
        if found:
            key = (found[0], request.user)
            reading.requests[key] += 1
            reading.up[key] += request.up
            reading.down[key] += request.down
            reading.first.setdefault(found[0], request.time)
            reading.last[found[0]] = request.time
    return reading


def make(fmt: Format, **kwargs: Any) -> tuple[bytes, Expected]:
    out = io.BytesIO()
    arguments: dict[str, Any] = {"people": PEOPLE, "services": SERVICES, "start": START}
    expected = generate(out, fmt=fmt, **(arguments | kwargs))
    return out.getvalue(), expected


@pytest.fixture(scope="module", params=FORMATS)
def sample(request: pytest.FixtureRequest) -> tuple[Format, bytes, Expected]:
    fmt: Format = request.param
    data, expected = make(fmt, lines=12000, malformed_share=0.02, seed=11)
    return fmt, data, expected


# --- the generator ----------------------------------------------------------------------------


def test_the_ground_truth_is_what_an_independent_reader_finds(
    sample: tuple[Format, bytes, Expected],
) -> None:
    fmt, data, expected = sample
    reading = read(fmt, data)
    assert reading.lines == expected.lines == 12000
    assert reading.malformed == expected.malformed
    assert 120 <= expected.malformed <= 360  # about 2 %
    assert reading.requests == expected.ai_requests
    assert reading.down == expected.ai_bytes_down
    if fmt == "squid":  # squid does not log request sizes
        assert set(expected.ai_bytes_up.values()) == {0}
    assert reading.up == expected.ai_bytes_up
    seconds = fmt == "zscaler"  # Zscaler's time has no milliseconds

    def whole(times: dict[str, datetime]) -> dict[str, datetime]:
        return {k: v.replace(microsecond=0) if seconds else v for k, v in times.items()}

    assert reading.first == whole(expected.first_seen)
    assert reading.last == whole(expected.last_seen)
    assert all(t.tzinfo is not None for t in expected.first_seen.values())


def test_the_traffic_has_a_realistic_shape(sample: tuple[Format, bytes, Expected]) -> None:
    fmt, data, expected = sample
    reading = read(fmt, data)
    requests = sum(expected.ai_requests.values())
    assert 0.03 * 12000 <= requests <= 0.05 * 12000
    assert "" not in {user for _, user in expected.ai_requests}  # AI requests carry a user
    assert 0.005 < reading.users[""] / sum(reading.users.values()) < 0.03  # a few anonymous
    assert len(reading.hosts) > 1000  # a long tail of ordinary hosts
    assert any(h.endswith(".corp.example") for h in reading.hosts)
    assert {"openai.com", "notchatgpt.com"} <= set(reading.hosts)  # lookalikes, not AI
    assert any(h.endswith(".evil.example") for h in reading.hosts)
    # a few heavy users: the top tenth of AI users send most AI requests
    by_user: Counter[str] = Counter()
    for (_, user), count in expected.ai_requests.items():
        by_user[user] += count
    per_user = sorted(by_user.values(), reverse=True)
    assert sum(per_user[: max(1, len(per_user) // 10)]) > 0.35 * requests
    # times rise over the week, busiest in weekday office hours
    assert reading.times == sorted(reading.times)
    assert reading.times[0] >= START
    assert reading.times[-1] < START + timedelta(days=7)
    office = sum(1 for t in reading.times if t.weekday() < 5 and 8 <= t.hour < 18)
    assert office > 0.6 * len(reading.times)
    if fmt != "squid":  # some large uploads to AI services
        assert max(expected.ai_bytes_up.values()) >= 1_000_000


def test_malformed_lines_come_in_every_kind() -> None:
    data, expected = make("squid", lines=6000, malformed_share=0.05, seed=2)
    lines = data.split(b"\n")[:-1]
    assert any(line.startswith(b"\xff\xfe") for line in lines)  # not UTF-8
    assert any(line and not line.strip() for line in lines)  # spaces only
    assert any(b"kid1|" in line for line in lines)  # a cache.log line
    truncated = [line for line in lines if 0 < len(line.split()) < 5 and b"|" not in line]
    assert truncated
    assert read("squid", data).malformed == expected.malformed
    data, expected = make("jsonl", lines=3000, malformed_share=0.05, seed=2)
    assert any(line.startswith(b"{'time'") for line in data.split(b"\n"))  # a Python repr
    assert b'"bytes_out": "' in data  # a size that is not a number
    data, expected = make("zscaler", lines=3000, malformed_share=0.05, seed=2)
    assert data.count(ZSCALER_HEADER.encode()) > 1  # a header in the middle


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_deterministic_for_a_seed(fmt: Format) -> None:
    first, expected = make(fmt, lines=1500, malformed_share=0.01, seed=7)
    again, expected_again = make(fmt, lines=1500, malformed_share=0.01, seed=7)
    other, _ = make(fmt, lines=1500, malformed_share=0.01, seed=8)
    assert first == again
    assert expected == expected_again
    assert first != other


@pytest.mark.parametrize("fmt", FORMATS)
def test_size_bytes_gives_a_file_within_one_percent_above_the_target(fmt: Format) -> None:
    data, expected = make(fmt, size_bytes=250_000, seed=3, malformed_share=0.01)
    assert 250_000 <= len(data) <= 252_500
    assert read(fmt, data).lines == expected.lines


def test_lines_gives_that_many_lines_and_the_header_is_not_counted() -> None:
    for fmt in FORMATS:
        data, expected = make(fmt, lines=777, seed=1)
        header = 1 if fmt in ("zscaler", "csv") else 0
        assert data.count(b"\n") == 777 + header
        assert expected.lines == 777
        assert expected.malformed == 0
    data, expected = make("csv", lines=0)
    assert data == (CSV_HEADER + "\n").encode()
    assert expected.ai_requests == {}


def test_a_year_of_days_and_a_start_off_the_minute() -> None:
    start = datetime(2026, 3, 1, 9, 12, 45, 500000, tzinfo=UTC)
    data, expected = make("jsonl", lines=2000, start=start, days=30, seed=4)
    times = read("jsonl", data).times
    assert times == sorted(times)
    assert times[0] >= start
    assert times[-1] < start + timedelta(days=30)
    assert min(expected.first_seen.values()) >= start


def test_the_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        make("squid", lines=10, size_bytes=1000)
    with pytest.raises(ValueError, match="exactly one"):
        make("squid")
    with pytest.raises(ValueError, match="aware"):
        make("squid", lines=10, start=datetime(2026, 11, 16))
    with pytest.raises(ValueError, match="share"):
        make("squid", lines=10, ai_share=0.8, malformed_share=0.5)
    with pytest.raises(ValueError, match="person"):
        make("squid", lines=10, people=[])


def test_sample_people_are_unique_and_deterministic() -> None:
    people = sample_people(500, seed=3)
    assert people == sample_people(500, seed=3)
    assert len({p.identity for p in people}) == 500
    assert len({p.department for p in people}) >= 8
    mails = sample_people(50, email_domain="corp.example")
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+\d*@corp\.example", p.identity) for p in mails)


def test_a_handful_of_people_and_services() -> None:
    people = [Person("alice", "R&D"), Person("bob@corp.example", "Sales, EMEA")]
    services = [ServiceSample("openai-chatgpt", "chatgpt.com"), ServiceSample("deepl", "deepl.com")]
    for fmt in FORMATS:
        data, expected = make(fmt, lines=3000, people=people, services=services, ai_share=0.2)
        reading = read(fmt, data)
        assert reading.requests == expected.ai_requests
        assert {user for _, user in expected.ai_requests} <= {"alice", "bob@corp.example"}
        assert sum(expected.ai_requests.values()) > 400


def test_a_generated_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    with path.open("wb") as out:
        expected = generate(
            out, fmt="squid", people=PEOPLE, services=SERVICES, start=START, size_bytes=100_000
        )
    assert 100_000 <= path.stat().st_size <= 101_000
    assert read("squid", path.read_bytes()).requests == expected.ai_requests

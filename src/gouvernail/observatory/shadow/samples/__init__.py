"""Sample web-proxy logs with a known answer, for shadow-AI discovery's tests, demo and benchmark.

``generate`` writes a deterministic proxy log (``squid``, ``zscaler``, ``jsonl`` or ``csv``)
and returns its ground truth (``Expected``): who sent how many requests to which AI service,
the bytes each way, when each service was first and last seen, and how many lines were written
deliberately malformed.

The traffic's shape:

* ordinary traffic (``1 - ai_share`` of the lines): a Zipf-like popularity over a few thousand
  plausible hosts (office suites, CDNs, news, package registries, the ``*.corp.example``
  intranet, a long tail built from word lists) including hosts that merely resemble AI hosts
  (``openai.com``, ``docs.mistral.ai``, ``notpoe.com``, ``chatgpt.com.evil.example``); about
  1.5 % of it carries no user (``-``, empty or ``null`` by format). Ordinary hosts never match
  a service's host, by construction.
* AI traffic: services are Zipf-popular in the order given; people are Zipf-heavy (a few heavy
  users) and some departments use AI much more than others; each person has a favourite
  service; 1 % of AI requests upload 1-20 MB; about one service in eight is blocked by the
  proxy (``TCP_DENIED/403``, ``Blocked``, status 403), and its requests still count. AI requests
  always carry a user.
* time: increasing over ``days`` days from ``start``, weekdays' office hours (UTC) busiest.
* HTTPS mostly as ``CONNECT host:443`` tunnels, some plain ``http://`` GETs and some SSL-bumped
  GET/POST with full ``https://`` URLs.
* malformed lines (``malformed_share``): truncated lines, a line of raw bytes that is not UTF-8,
  a non-numeric size, a line of spaces, and one format-specific kind (a ``cache.log`` line in
  an access log, a repeated CSV header, a Python ``repr`` instead of JSON).

Speed: each line is one f-string over pieces rendered once (a person, a request variant, a
size), random choices are table look-ups, and a batch of lines is written at once; expect tens
of MB/s.

Inside: ``services`` (a host of each catalogued AI service), ``people``, ``hosts`` (the ordinary
ones), ``requests`` (the variants each line draws from), ``timeline``, ``tables`` (random draws
as look-ups), ``render`` (a line in each format, malformed lines) and ``writer`` (batches of
lines and the ground truth).
"""

from gouvernail.observatory.shadow.samples.people import Person, sample_people
from gouvernail.observatory.shadow.samples.render import CSV_HEADER, FORMATS, ZSCALER_HEADER, Format
from gouvernail.observatory.shadow.samples.services import CATALOGUE, ServiceSample, service_samples
from gouvernail.observatory.shadow.samples.writer import Expected, generate

__all__ = [
    "CATALOGUE",
    "CSV_HEADER",
    "FORMATS",
    "ZSCALER_HEADER",
    "Expected",
    "Format",
    "Person",
    "ServiceSample",
    "generate",
    "sample_people",
    "service_samples",
]

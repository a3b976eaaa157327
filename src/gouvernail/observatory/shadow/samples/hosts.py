"""The ordinary hosts of a sample log: well-known sites, the intranet, hosts that merely resemble
AI hosts, and a long tail built from word lists; none of them is an AI service's host."""

from __future__ import annotations

import functools
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from gouvernail.observatory.shadow.samples.services import ServiceSample


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# (host, Zscaler URL category, Zscaler application), roughly by popularity
_SITES: Final[tuple[tuple[str, str, str], ...]] = (
    ("www.google.com", "Web Search", "Google Search"),
    ("login.microsoftonline.com", "Internet Services", "Microsoft Login"),
    ("outlook.office365.com", "Web Based Email", "Outlook"),
    ("www.gstatic.com", "Content Server", "Google"),
    ("teams.microsoft.com", "Professional Services", "Microsoft Teams"),
    ("graph.microsoft.com", "Internet Services", "Microsoft Office365"),
    ("corpexample.sharepoint.com", "Online and Cloud Storage", "SharePoint Online"),
    ("fonts.googleapis.com", "Content Server", "Google"),
    ("fonts.gstatic.com", "Content Server", "Google"),
    ("www.office.com", "Professional Services", "Microsoft Office365"),
    ("cdn.jsdelivr.net", "Content Server", "General Browsing"),
    ("outlook.office.com", "Web Based Email", "Outlook"),
    ("app.slack.com", "Instant Messaging", "Slack"),
    ("www.youtube.com", "Streaming Media", "YouTube"),
    ("i.ytimg.com", "Streaming Media", "YouTube"),
    ("corpexample-my.sharepoint.com", "Online and Cloud Storage", "OneDrive"),
    ("accounts.google.com", "Internet Services", "Google"),
    ("github.com", "Professional Services", "GitHub"),
    ("api.github.com", "Professional Services", "GitHub"),
    ("www.linkedin.com", "Social Networking", "LinkedIn"),
    ("static.licdn.com", "Social Networking", "LinkedIn"),
    ("edgeapi.slack.com", "Instant Messaging", "Slack"),
    ("zoom.us", "Professional Services", "Zoom"),
    ("corpexample.atlassian.net", "Professional Services", "Jira"),
    ("corpexample.my.salesforce.com", "Professional Services", "Salesforce"),
    ("cdnjs.cloudflare.com", "Content Server", "General Browsing"),
    ("ajax.googleapis.com", "Content Server", "Google"),
    ("www.bing.com", "Web Search", "Bing"),
    ("en.wikipedia.org", "Reference Sites", "General Browsing"),
    ("fr.wikipedia.org", "Reference Sites", "General Browsing"),
    ("upload.wikimedia.org", "Reference Sites", "General Browsing"),
    ("stackoverflow.com", "Professional Services", "General Browsing"),
    ("cdn.sstatic.net", "Content Server", "General Browsing"),
    ("raw.githubusercontent.com", "Professional Services", "GitHub"),
    ("objects.githubusercontent.com", "Professional Services", "GitHub"),
    ("avatars.githubusercontent.com", "Professional Services", "GitHub"),
    ("pypi.org", "Professional Services", "General Browsing"),
    ("files.pythonhosted.org", "Professional Services", "General Browsing"),
    ("registry.npmjs.org", "Professional Services", "General Browsing"),
    ("repo.maven.apache.org", "Professional Services", "General Browsing"),
    ("repo1.maven.org", "Professional Services", "General Browsing"),
    ("proxy.golang.org", "Professional Services", "General Browsing"),
    ("index.crates.io", "Professional Services", "General Browsing"),
    ("registry-1.docker.io", "Professional Services", "Docker Hub"),
    ("www.notion.so", "Professional Services", "Notion"),
    ("www.lemonde.fr", "News and Media", "General Browsing"),
    ("www.lefigaro.fr", "News and Media", "General Browsing"),
    ("www.lesechos.fr", "News and Media", "General Browsing"),
    ("www.bbc.co.uk", "News and Media", "General Browsing"),
    ("www.nytimes.com", "News and Media", "General Browsing"),
    ("www.reuters.com", "News and Media", "General Browsing"),
    ("www.ft.com", "News and Media", "General Browsing"),
    ("mail.google.com", "Web Based Email", "Gmail"),
    ("drive.google.com", "Online and Cloud Storage", "Google Drive"),
    ("docs.google.com", "Professional Services", "Google Docs"),
    ("www.microsoft.com", "Corporate Marketing", "General Browsing"),
    ("ctldl.windowsupdate.com", "Software Updates", "Windows Update"),
    ("dl.google.com", "Software Updates", "General Browsing"),
    ("ocsp.digicert.com", "Internet Services", "General Browsing"),
    ("ocsp.pki.goog", "Internet Services", "General Browsing"),
    ("safebrowsing.googleapis.com", "Internet Services", "Google"),
    ("storage.googleapis.com", "Online and Cloud Storage", "Google"),
    ("s3.eu-west-1.amazonaws.com", "Online and Cloud Storage", "Amazon S3"),
    ("ec2.eu-west-1.amazonaws.com", "Professional Services", "Amazon Web Services"),
    ("sts.amazonaws.com", "Professional Services", "Amazon Web Services"),
    ("console.aws.amazon.com", "Professional Services", "Amazon Web Services"),
    ("www.adobe.com", "Corporate Marketing", "General Browsing"),
    ("acrobat.adobe.com", "Professional Services", "Adobe Acrobat"),
    ("www.dropbox.com", "Online and Cloud Storage", "Dropbox"),
    ("www.figma.com", "Professional Services", "Figma"),
    ("www.canva.com", "Professional Services", "Canva"),
    ("miro.com", "Professional Services", "Miro"),
    ("www.docusign.net", "Professional Services", "DocuSign"),
    ("app.hubspot.com", "Professional Services", "HubSpot"),
    ("www.amazon.fr", "Shopping and Auctions", "General Browsing"),
    ("www.booking.com", "Travel", "General Browsing"),
    ("www.sncf-connect.com", "Travel", "General Browsing"),
    ("meteofrance.com", "News and Media", "General Browsing"),
    ("www.service-public.fr", "Government and Military", "General Browsing"),
    ("www.impots.gouv.fr", "Government and Military", "General Browsing"),
    ("www.legifrance.gouv.fr", "Government and Military", "General Browsing"),
    ("www.gov.uk", "Government and Military", "General Browsing"),
    ("x.com", "Social Networking", "X"),
    ("www.facebook.com", "Social Networking", "Facebook"),
    ("static.xx.fbcdn.net", "Social Networking", "Facebook"),
    ("www.reddit.com", "Social Networking", "Reddit"),
    ("news.ycombinator.com", "News and Media", "General Browsing"),
    ("medium.com", "Blogs", "General Browsing"),
    ("www.mozilla.org", "Corporate Marketing", "General Browsing"),
    ("www.apple.com", "Corporate Marketing", "General Browsing"),
    ("unpkg.com", "Content Server", "General Browsing"),
)
# hosts of AI vendors or lookalikes that no catalogue domain matches (a domain matches only
# itself and its subdomains): discovery must leave them alone
_LOOKALIKES: Final = (
    "openai.com",
    "status.openai.com",
    "www.anthropic.com",
    "docs.mistral.ai",
    "ai.google.dev",
    "stability.ai",
    "notchatgpt.com",
    "chatgpt-prompts.example.net",
    "claude.ai.example.org",
)
_INTRANET: Final = _words(
    "intranet wiki jira confluence gitlab nexus artifactory sso hr erp crm grafana vault "
    "timesheet expenses helpdesk print portal llm-gateway gouvernail sharepoint-sync ci "
    "sonarqube kibana backup payroll training"
)
_WORDS_A: Final = _words(
    "north south blue green red silver golden river lake stone oak pine maple cedar bright "
    "clear swift prime urban metro global local city harbor summit valley ocean sun star "
    "data net info market trade travel home garden food wine sport auto health media news "
    "press daily weekly tech soft book learn study music photo craft energy cobalt eco fair"
)
_WORDS_B: Final = _words(
    "works hub point line base zone link port gate field bridge way path box house store "
    "center group partners systems solutions digital online network services consulting "
    "studio factory times post journal review guide finder deals direct express plus world"
)
_TLDS: Final = (
    ("com", 50), ("net", 9), ("org", 9), ("fr", 12), ("de", 6), ("io", 4), ("eu", 3),
    ("co.uk", 4), ("info", 2), ("be", 2), ("ch", 2), ("es", 2), ("it", 2),
)  # fmt: skip
_SUBDOMAINS: Final = (
    ("www.", 50), ("", 15), ("cdn.", 8), ("static.", 6), ("api.", 5),
    ("img.", 4), ("shop.", 4), ("blog.", 4), ("m.", 2), ("media.", 2),
)  # fmt: skip
_TAIL_CATEGORIES: Final = (
    "Corporate Marketing",
    "Business and Economy",
    "News and Media",
    "Shopping and Auctions",
    "Travel",
    "Professional Services",
    "Entertainment",
    "Sports",
    "Miscellaneous or Unknown",
)


@functools.cache
def _tail_hosts() -> tuple[str, ...]:
    """A few thousand plausible hosts: word + word + TLD, some with a second subdomain."""
    rng = random.Random(20261122)  # noqa: S311 - sample data, not secrets
    tlds, tld_weights = zip(*_TLDS, strict=True)
    subs, sub_weights = zip(*_SUBDOMAINS, strict=True)
    hosts: list[str] = []
    for a in _WORDS_A:
        for b in _WORDS_B:
            domain = f"{a}{b}.{rng.choices(tlds, tld_weights)[0]}"
            hosts.append(rng.choices(subs, sub_weights)[0] + domain)
            if rng.random() < 0.3:
                hosts.append(rng.choice(("cdn.", "static.", "img.", "api.")) + domain)
    return tuple(dict.fromkeys(hosts))


@dataclass(frozen=True, slots=True)
class Host:
    """An ordinary host as the generator uses it."""

    name: str
    category: str
    app: str
    plain: float  # the share of its requests that are plain http://
    ip: str


def server_ip(host: str) -> str:
    """A plausible address of a host's server, the same for a host every time."""
    h = zlib.crc32(host.encode())
    if host.endswith(".corp.example"):
        return f"10.20.{h >> 8 & 255}.{h & 255}"
    first = (13, 20, 23, 34, 35, 40, 52, 54, 104, 140, 142, 151, 172, 185, 199, 216)[h >> 28]
    return f"{first}.{h >> 16 & 255}.{h >> 8 & 255}.{h & 255 or 1}"


def universe(services: Sequence[ServiceSample], rng: random.Random) -> list[Host]:
    """Ordinary hosts by popularity: the well-known sites, the intranet and the lookalikes near
    the head, then the long tail in a seeded order; none equal to or under a service's host."""
    service_hosts = [s.host for s in services]
    lookalikes = list(_LOOKALIKES)
    for host in service_hosts[:12]:
        lookalikes.append(f"{host}.evil.example")
        if host.count(".") == 1:
            lookalikes.append(f"not{host}")
    lookalikes = list(dict.fromkeys(lookalikes))
    tail = list(_tail_hosts())
    rng.shuffle(tail)
    hosts: list[Host] = [Host(h, c, a, 0.02, server_ip(h)) for h, c, a in _SITES]
    for position, name in enumerate(_INTRANET):
        host = f"{name}.corp.example"
        hosts.insert(
            3 + 4 * position,
            Host(host, "Miscellaneous or Unknown", "General Browsing", 0.6, server_ip(host)),
        )
    for position, name in enumerate(lookalikes):
        hosts.insert(
            20 + 5 * position,
            Host(name, "Miscellaneous or Unknown", "General Browsing", 0.05, server_ip(name)),
        )
    for number, name in enumerate(tail):
        category = _TAIL_CATEGORIES[number % len(_TAIL_CATEGORIES)]
        hosts.append(Host(name, category, "General Browsing", 0.25, server_ip(name)))

    taken = set(service_hosts)

    def is_service(name: str) -> bool:
        labels = name.split(".")
        return any(".".join(labels[i:]) in taken for i in range(len(labels)))

    return [h for h in hosts if not is_service(h.name)]

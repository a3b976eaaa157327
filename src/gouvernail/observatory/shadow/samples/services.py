"""The AI services a sample log sends requests to: one host of each service of a catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

CATALOGUE: Final = Path(__file__).parents[2] / "data" / "ai_services.yaml"


@dataclass(frozen=True, slots=True)
class ServiceSample:
    """One AI service as the generator uses it: its catalogue id and one host of it."""

    id: str
    host: str


def service_samples(path: Path = CATALOGUE) -> list[ServiceSample]:
    """One sample host per service of a catalogue file, in its order: the first domain, or for
    a service with patterns only a host matching its first pattern (``*`` becomes a region)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    samples: list[ServiceSample] = []
    for item in document["services"]:
        domains = item.get("domains") or []
        if domains:
            host = str(domains[0])
        else:
            pattern = str(item["patterns"][0])
            region = "europe-west1" if "googleapis" in pattern else "eu-west-1"
            host = pattern.replace("*", region).replace("?", "a")
        samples.append(ServiceSample(str(item["id"]), host.lower()))
    return samples

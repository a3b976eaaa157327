"""Electricity mix zones (EcoLogits' ISO 3166-1 alpha-3 codes) of cloud regions and countries."""

from __future__ import annotations

from types import MappingProxyType

WORLD = "WOR"
EUROPE = "EEE"

_REGIONS = MappingProxyType(
    {
        # Azure
        "francecentral": "FRA",
        "francesouth": "FRA",
        "westeurope": "NLD",
        "northeurope": "IRL",
        "swedencentral": "SWE",
        "swedensouth": "SWE",
        "germanywestcentral": "DEU",
        "germanynorth": "DEU",
        "norwayeast": "NOR",
        "norwaywest": "NOR",
        "switzerlandnorth": "CHE",
        "switzerlandwest": "CHE",
        "uksouth": "GBR",
        "ukwest": "GBR",
        "italynorth": "ITA",
        "polandcentral": "POL",
        "spaincentral": "ESP",
        "eastus": "USA",
        "eastus2": "USA",
        "centralus": "USA",
        "northcentralus": "USA",
        "southcentralus": "USA",
        "westus": "USA",
        "westus2": "USA",
        "westus3": "USA",
        "canadacentral": "CAN",
        "canadaeast": "CAN",
        "japaneast": "JPN",
        "australiaeast": "AUS",
        "southeastasia": "SGP",
        "eastasia": "HKG",
        "koreacentral": "KOR",
        "centralindia": "IND",
        "brazilsouth": "BRA",
        # AWS
        "eu-west-1": "IRL",
        "eu-west-2": "GBR",
        "eu-west-3": "FRA",
        "eu-central-1": "DEU",
        "eu-central-2": "CHE",
        "eu-north-1": "SWE",
        "eu-south-1": "ITA",
        "eu-south-2": "ESP",
        "us-east-1": "USA",
        "us-east-2": "USA",
        "us-west-1": "USA",
        "us-west-2": "USA",
        "ca-central-1": "CAN",
        "ap-northeast-1": "JPN",
        "ap-northeast-2": "KOR",
        "ap-southeast-1": "SGP",
        "ap-southeast-2": "AUS",
        "ap-south-1": "IND",
        "sa-east-1": "BRA",
        # Google Cloud
        "europe-west1": "BEL",
        "europe-west2": "GBR",
        "europe-west3": "DEU",
        "europe-west4": "NLD",
        "europe-west6": "CHE",
        "europe-west8": "ITA",
        "europe-west9": "FRA",
        "europe-west10": "DEU",
        "europe-west12": "ITA",
        "europe-north1": "FIN",
        "europe-southwest1": "ESP",
        "europe-central2": "POL",
        "us-central1": "USA",
        "us-east1": "USA",
        "us-east4": "USA",
        "us-west1": "USA",
        "asia-northeast1": "JPN",
        # OVHcloud, Scaleway
        "gra": "FRA",
        "sbg": "FRA",
        "rbx": "FRA",
        "fr-par": "FRA",
        "nl-ams": "NLD",
        "pl-waw": "POL",
        # broad areas
        "eu": EUROPE,
        "europe": EUROPE,
        "eu-west": EUROPE,
        "eu-central": EUROPE,
        "us": "USA",
        "global": WORLD,
    }
)

_COUNTRIES = MappingProxyType(
    {
        "at": "AUT",
        "be": "BEL",
        "bg": "BGR",
        "ch": "CHE",
        "cz": "CZE",
        "de": "DEU",
        "dk": "DNK",
        "es": "ESP",
        "fi": "FIN",
        "fr": "FRA",
        "gb": "GBR",
        "uk": "GBR",
        "gr": "GRC",
        "hu": "HUN",
        "ie": "IRL",
        "is": "ISL",
        "it": "ITA",
        "lu": "LUX",
        "nl": "NLD",
        "no": "NOR",
        "pl": "POL",
        "pt": "PRT",
        "ro": "ROU",
        "se": "SWE",
        "us": "USA",
        "ca": "CAN",
        "jp": "JPN",
        "au": "AUS",
        "sg": "SGP",
        "in": "IND",
        "br": "BRA",
        "kr": "KOR",
    }
)


def zone_of(region: str) -> str:
    """The electricity mix zone of a model's region: a known cloud region, a country code
    (``FR``, ``fr-lyon``, ``FRA``), or the world average."""
    name = region.strip().lower()
    if name in _REGIONS:
        return _REGIONS[name]
    head = name.replace("_", "-").split("-", 1)[0]
    if head in _COUNTRIES:
        return _COUNTRIES[head]
    if len(head) == 3 and head.upper() in _COUNTRIES.values():
        return head.upper()
    return WORLD

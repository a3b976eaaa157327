"""What the environment API returns: energy and CO2e of gateway calls, the method behind each
model's figures, and sobriety hints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Footprint(BaseModel):
    calls: int
    calls_estimated: int = Field(description="Calls with an energy figure (the rest: no estimate).")
    tokens: int
    energy_kwh: float
    co2e_kg: float


class UseCaseFootprint(BaseModel):
    use_case_id: int | None
    use_case: str
    footprint: Footprint


class DepartmentFootprint(BaseModel):
    department_id: int | None
    department: str
    footprint: Footprint


class ModelFootprint(BaseModel):
    provider: str | None
    model: str | None
    footprint: Footprint


class Factors(BaseModel):
    """How a model's calls are (and were) estimated."""

    model: str
    method: str = Field(
        description="inventory (the model's declared energy per token and grid factor), "
        "ecologits (EcoLogits from the model, output tokens, latency and the zone's mix) or "
        "no estimate."
    )
    wh_per_1k_tokens: float | None = None
    grid_gco2e_per_kwh: float | None = Field(
        None, description="The grid factor set on the model in the inventory."
    )
    zone: str | None = Field(None, description="The electricity-mix zone EcoLogits uses.")
    source: str = Field("", description="Where the inventory's figures come from.")
    calls_by_source: dict[str, int] = Field(
        description="The period's calls by how their figures were computed when they were made."
    )


class EnvironmentReport(BaseModel):
    since: datetime
    until: datetime
    department: str | None
    method: str
    factors: list[Factors]
    total: Footprint
    by_use_case: list[UseCaseFootprint]
    by_department: list[DepartmentFootprint]
    by_model: list[ModelFootprint]


class Thresholds(BaseModel):
    short_prompt_tokens: int
    short_answer_tokens: int
    max_energy_ratio: float


class Hint(BaseModel):
    """Short calls of one use case to one model with one data class, and the smaller approved
    model that may serve them."""

    use_case_id: int | None
    use_case: str
    model: str
    data_class: str | None
    alternative: str
    calls: int
    tokens: int
    energy_kwh: float
    energy_kwh_if_switched: float
    energy_saved_kwh: float
    co2e_saved_kg: float
    cost_eur: float
    cost_eur_if_switched: float
    cost_saved_eur: float
    examples: list[str] = Field(description="Request ids of some of the calls.")
    reason: str


class SobrietyReport(BaseModel):
    since: datetime
    until: datetime
    department: str | None
    thresholds: Thresholds
    method: str
    hints: list[Hint]
    energy_saved_kwh: float
    co2e_saved_kg: float
    cost_saved_eur: float

"""Cases and their counterfactual prompts, seeded and deterministic.

Each case draws its neutral fields (position, years, skills; or symptom, vital signs) and, for
every origin and gender, one first name, from ``numpy.random.default_rng([seed, case])``: the
same seed gives the same prompts on any machine. The case's base profile is the reference
origin and age, and a gender that alternates from case to case (so that origin and age are
tested on women and men alike). Then, for each attribute the template varies and each of its
values other than the base's, one prompt that differs from the base in that attribute ONLY:

- ``gender``: the first name of the other gender from the same origin, with its pronouns;
- ``origin``: a first name of the same gender from another origin;
- ``age``: the same person, another age.

A comparison of attribute A, value v, pairs in every case the prompt with A at its reference
value and the prompt with A = v (both are among the case's prompts, one of them often the
base): everything else is identical.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gouvernail.observatory.bias.templates import NAMES, Attribute, Attributes, Template


@dataclass(frozen=True, slots=True)
class Profile:
    gender: str
    origin: str
    age: str | None
    """The age value (``young``...), None when the template does not vary age."""

    def value(self, attribute: Attribute) -> str | None:
        value: str | None = getattr(self, attribute)
        return value

    def set(self, attribute: Attribute, value: str) -> Profile:
        return replace(self, **{attribute: value})

    def as_dict(self) -> dict[str, str | None]:
        return {"gender": self.gender, "origin": self.origin, "age": self.age}


@dataclass(frozen=True, slots=True)
class Prompt:
    case: int
    attribute: Attribute | None
    """What this prompt changes from its case's base prompt (None: the base itself)."""
    value: str | None
    profile: Profile
    first_name: str
    age: int | None
    text: str

    def marker(self, attribute: Attribute) -> str:
        """The words the model must receive for this prompt to test ``attribute``."""
        return self.first_name if attribute in NAMES else str(self.age)


def comparisons(template: Template, attributes: Attributes) -> list[tuple[Attribute, str]]:
    """(attribute, value) of every comparison with the reference a run of ``template`` makes."""
    return [
        (attribute, value)
        for attribute in template.vary
        for value in attributes.values(attribute)
        if value != attributes.reference(attribute)
    ]


@dataclass(frozen=True, slots=True)
class _Case:
    """One case's draws: its neutral fields and a first name per (origin, gender)."""

    template: Template
    attributes: Attributes
    number: int
    neutral: dict[str, str]
    names: dict[tuple[str, str], str]

    def render(self, profile: Profile, attribute: Attribute | None, value: str | None) -> Prompt:
        first_name = self.names[(profile.origin, profile.gender)]
        age = self.attributes.age.values[profile.age].age if profile.age is not None else None
        words = self.attributes.gender.values[profile.gender].words[self.template.language]
        filled = {**self.neutral, **words, "first_name": first_name}
        if age is not None:
            filled["age"] = str(age)
        return Prompt(
            case=self.number,
            attribute=attribute,
            value=value,
            profile=profile,
            first_name=first_name,
            age=age,
            text=self.template.prompt.format_map(filled),
        )


def base_profile(template: Template, attributes: Attributes, case: int) -> Profile:
    """The profile of a case's base prompt: reference origin and age, alternating gender."""
    genders = attributes.values("gender")
    return Profile(
        gender=genders[case % len(genders)],
        origin=attributes.origin.reference,
        age=attributes.age.reference if "age" in template.vary else None,
    )


def build(template: Template, attributes: Attributes, cases: int, seed: int) -> list[Prompt]:
    """Every prompt of a run: each case's base prompt, then its counterfactuals."""
    prompts: list[Prompt] = []
    for number in range(cases):
        rng = np.random.default_rng([seed, number])
        case = _Case(
            template,
            attributes,
            number,
            neutral={
                name: values[int(rng.integers(len(values)))]
                for name, values in sorted(template.fields.items())
            },
            names={
                (origin, gender): listed[int(rng.integers(len(listed)))]
                for origin, by_gender in attributes.origin.values.items()
                for gender, listed in by_gender.items()
            },
        )
        base = base_profile(template, attributes, number)
        prompts.append(case.render(base, None, None))
        for attribute in template.vary:
            for value in attributes.values(attribute):
                if value != base.value(attribute):
                    prompts.append(case.render(base.set(attribute, value), attribute, value))
    return prompts

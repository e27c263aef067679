"""Plain-language explanations as structured data, rendered from a small da/en catalogue.

The core has no Flask-Babel, so profile and recommendation texts are `Message` objects
(a key and parameters) that render themselves in Danish or English. Parameters may be
`Text` (rendered in the same language), enums with a catalogue entry (bands, agreement),
numbers (two decimals, decimal comma in Danish), nested messages, or tuples of these
(names are joined "a, b and c"; messages, being sentences, follow each other).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from string import Formatter
from types import MappingProxyType

from survey_app.core.instruments import DEFAULT_LANGUAGE, Text

CATALOGUE: Mapping[str, Mapping[str, str]] = {
    "da": {
        # bands and agreement
        "band.strength": "styrke",
        "band.discuss": "til drøftelse",
        "band.concern": "bekymring",
        "agreement.acceptable": "acceptabel enighed",
        "agreement.weak": "svag enighed",
        "agreement.unknown": "ukendt enighed",
        "list.and": "og",
        # cells, factors and gates
        "cell.met": "{topic}: gennemsnit {mean} (n = {n}) med {agreement} – milepælen er nået.",
        "cell.low": "{topic}: gennemsnit {mean} (n = {n}) er under milepælen på {threshold}.",
        "cell.divided": (
            "{topic}: gennemsnit {mean} (n = {n}), men parterne er uenige "
            "(r_wg = {rwg}, AD = {ad})."
        ),
        "cell.suppressed": "{topic}: færre end {k} svar – kan ikke vurderes endnu.",
        "cell.no_agreement": "{topic}: enigheden kan ikke beregnes – kan ikke vurderes endnu.",
        "cell.not_measured": "{topic}: ikke dækket af spørgeskemaerne i denne runde.",
        "factor.ok": "{topic}: gennemsnit {mean} (n = {n}), {band}, {agreement}.",
        "factor.concern": "{topic}: gennemsnit {mean} (n = {n}) ligger i bekymringszonen.",
        "factor.low": "{topic}: gennemsnit {mean} (n = {n}) er under milepælen på {threshold}.",
        "factor.divided": "{topic}: parterne er uenige (r_wg = {rwg}, AD = {ad}, n = {n}).",
        "factor.suppressed": "{topic}: færre end {k} svar – kan ikke vurderes endnu.",
        "factor.no_agreement": "{topic}: enigheden kan ikke beregnes – kan ikke vurderes endnu.",
        # the profile
        "profile.phase": "Initiativet er i fase {number}: {phase}.",
        "profile.provisional": (
            "Placeringen er foreløbig: den bygger på manglende data, og initiativet kan være "
            "længere."
        ),
        "profile.all_met": (
            "Alle milepæle er nået i alle komponenter: initiativet opretholder handling og "
            "indflydelse."
        ),
        "profile.held_by_cell": "{component} holder initiativet i fase {number}. {reason}",
        "profile.held_by_precondition": (
            "Forudsætningerne er ikke på plads, så initiativet bliver i fase 1. {reason}"
        ),
        "profile.held_by_consensus": (
            "Initiativet bliver i fase 1, indtil der er konsensus og engagement."
        ),
        "profile.preconditions_not_assessed": (
            "Forudsætningerne blev ikke målt i denne runde og indgår ikke i placeringen."
        ),
        "seed.question": ("Er der konsensus og engagement til stede til at føre arbejdet videre?"),
        "seed.yes": "Ja: der er konsensus og engagement til at føre arbejdet videre.",
        "seed.no": "Ikke endnu. {topics}",
        "seed.unknown": "Det kan ikke afgøres endnu. {topics}",
        "seed.not_assessed": "Konsensus og engagement blev ikke målt i denne runde.",
        "next.not_ready": "Før fase {target} ({name}) skal dette på plads. {blockers}",
        "next.unknown": (
            "Før fase {target} ({name}) mangler kun data. {blockers} Saml flere svar."
        ),
        "next.sustain": "Fase {number} er den sidste fase: hold fast i og forbedr arbejdet.",
        # next steps
        "step.text": "{text}",
        "step.dialogue": "Tag en dialog om {topic}: parterne ser forskelligt på det.",
        "step.build_precondition": "Byg forudsætningen op, før I planlægger videre: {topic}.",
        "step.build_consensus": "Skab konsensus og engagement om {topic}.",
        "step.resource_gap": "Luk ressourcehullet: {topic}.",
        "step.collaboration": "Styrk samarbejdet: {topic}.",
        "step.collect_data": "Få flere parter til at svare om {topic} (mindst {k} svar).",
        "reason.band": "{topic}: gennemsnit {mean} ({band}), n = {n}.",
        "reason.divided": "{topic}: svag enighed (r_wg = {rwg}, AD = {ad}), n = {n}.",
        "reason.current_cell": "{component} er i fase {number}. {detail}",
        "reason.suppressed": "{topic}: færre end {k} svar.",
        "reason.not_measured": "{topic}: ikke målt i denne runde.",
    },
    "en": {
        "band.strength": "strength",
        "band.discuss": "to discuss",
        "band.concern": "concern",
        "agreement.acceptable": "acceptable agreement",
        "agreement.weak": "weak agreement",
        "agreement.unknown": "unknown agreement",
        "list.and": "and",
        "cell.met": "{topic}: mean {mean} (n = {n}) with {agreement} – milestone met.",
        "cell.low": "{topic}: mean {mean} (n = {n}) is below the milestone of {threshold}.",
        "cell.divided": (
            "{topic}: mean {mean} (n = {n}), but partners disagree (r_wg = {rwg}, AD = {ad})."
        ),
        "cell.suppressed": "{topic}: fewer than {k} answers – cannot be assessed yet.",
        "cell.no_agreement": "{topic}: agreement cannot be computed – cannot be assessed yet.",
        "cell.not_measured": "{topic}: not covered by the questionnaires in this round.",
        "factor.ok": "{topic}: mean {mean} (n = {n}), {band}, {agreement}.",
        "factor.concern": "{topic}: mean {mean} (n = {n}) is in the concern band.",
        "factor.low": "{topic}: mean {mean} (n = {n}) is below the milestone of {threshold}.",
        "factor.divided": "{topic}: partners disagree (r_wg = {rwg}, AD = {ad}, n = {n}).",
        "factor.suppressed": "{topic}: fewer than {k} answers – cannot be assessed yet.",
        "factor.no_agreement": "{topic}: agreement cannot be computed – cannot be assessed yet.",
        "profile.phase": "The initiative is in phase {number}: {phase}.",
        "profile.provisional": (
            "The placement is provisional: it rests on missing data, and the initiative may "
            "be further along."
        ),
        "profile.all_met": (
            "Every milestone is met in every component: the initiative is sustaining action "
            "and impact."
        ),
        "profile.held_by_cell": "{component} holds the initiative in phase {number}. {reason}",
        "profile.held_by_precondition": (
            "The preconditions are not in place, so the initiative stays in phase 1. {reason}"
        ),
        "profile.held_by_consensus": (
            "The initiative stays in phase 1 until there is consensus and engagement."
        ),
        "profile.preconditions_not_assessed": (
            "Preconditions were not measured in this round and do not affect the placement."
        ),
        "seed.question": "Is there consensus and engagement to carry the work forward?",
        "seed.yes": "Yes: there is consensus and engagement to carry the work forward.",
        "seed.no": "Not yet. {topics}",
        "seed.unknown": "Cannot tell yet. {topics}",
        "seed.not_assessed": "Consensus and engagement were not measured in this round.",
        "next.not_ready": "Before phase {target} ({name}) this must be in place. {blockers}",
        "next.unknown": (
            "Before phase {target} ({name}) only data are missing. {blockers} Collect more answers."
        ),
        "next.sustain": "Phase {number} is the last phase: keep sustaining and improving.",
        "step.text": "{text}",
        "step.dialogue": "Hold a dialogue on {topic}: partners see it differently.",
        "step.build_precondition": "Build this precondition before planning further: {topic}.",
        "step.build_consensus": "Build consensus and engagement on {topic}.",
        "step.resource_gap": "Close the resource gap: {topic}.",
        "step.collaboration": "Strengthen the collaboration: {topic}.",
        "step.collect_data": "Ask more partners to answer on {topic} (at least {k} answers).",
        "reason.band": "{topic}: mean {mean} ({band}), n = {n}.",
        "reason.divided": "{topic}: weak agreement (r_wg = {rwg}, AD = {ad}), n = {n}.",
        "reason.current_cell": "{component} is in phase {number}. {detail}",
        "reason.suppressed": "{topic}: fewer than {k} answers.",
        "reason.not_measured": "{topic}: not measured in this round.",
    },
}
LANGUAGES = tuple(CATALOGUE)

Param = object


@dataclass(frozen=True)
class Message:
    """A catalogue key with parameters; `text(language)` renders it."""

    key: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def __hash__(self) -> int:
        return hash((self.key, tuple(sorted(self.params))))

    def text(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The message in `language` (Danish when the language is not in the catalogue)."""
        return render(self, language)


def _catalogue(language: str) -> Mapping[str, str]:
    return CATALOGUE.get(language, CATALOGUE[DEFAULT_LANGUAGE])


def format_number(value: float, language: str) -> str:
    """Two decimals; decimal comma in Danish; a dash for a missing value."""
    if not math.isfinite(value):
        return "–"
    shown = f"{value:.2f}"
    return shown.replace(".", ",") if language == "da" else shown


def render_param(value: Param, language: str) -> str:
    """Render one parameter in `language`."""
    if isinstance(value, Message):
        return render(value, language)
    if isinstance(value, Text):
        return value.get(language)
    if isinstance(value, Enum):
        entry = f"{type(value).__name__.lower()}.{value.value}"
        return _catalogue(language).get(entry, str(value.value))
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return format_number(value, language)
    if isinstance(value, tuple | list):
        parts = [render_param(part, language) for part in value]
        if value and all(isinstance(part, Message) for part in value):
            return " ".join(parts)  # whole sentences follow each other
        if len(parts) <= 1:
            return "".join(parts)
        return f"{', '.join(parts[:-1])} {_catalogue(language)['list.and']} {parts[-1]}"
    return str(value)


def render(message: Message, language: str = DEFAULT_LANGUAGE) -> str:
    """The text of `message` in `language`."""
    language = language if language in CATALOGUE else DEFAULT_LANGUAGE
    template = _catalogue(language)[message.key]
    return template.format(
        **{name: render_param(v, language) for name, v in message.params.items()}
    )


def placeholders(key: str, language: str) -> set[str]:
    """Parameter names used by a catalogue entry (for consistency tests)."""
    return {name for _, name, _, _ in Formatter().parse(_catalogue(language)[key]) if name}

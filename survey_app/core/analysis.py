"""One call for every view: the scored round with profile, highlights and next steps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from survey_app.core.highlights import Highlights, strengths_and_weaknesses
from survey_app.core.instruments import Framework, Instrument
from survey_app.core.profile import PhaseProfile, phase_profile
from survey_app.core.recommendations import NextStep, next_steps
from survey_app.core.scoring import RoundResult, score_round


@dataclass(frozen=True)
class Analysis:
    """A scored round and everything derived from it."""

    result: RoundResult
    profile: PhaseProfile
    highlights: Highlights
    steps: tuple[NextStep, ...]


def analyse_round(
    framework: Framework,
    instruments: Sequence[Instrument],
    answers: pd.DataFrame,
    respondents: pd.DataFrame | None = None,
    *,
    k: int | None = None,
) -> Analysis:
    """Score a round, place it in a phase, and rank strengths, weaknesses and next steps."""
    result = score_round(framework, instruments, answers, respondents, k=k)
    profile = phase_profile(result)
    return Analysis(result, profile, strengths_and_weaknesses(result), next_steps(result, profile))

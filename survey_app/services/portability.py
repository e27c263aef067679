"""An initiative's complete data as one zip file, for data portability.

Per round: the raw answers (long and wide), the scores per topic and per question with
the minimum group size applied, and the codebook, as CSV; plus a README that says what
each file holds, in Danish and English.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

from survey_app.models import Initiative, Round
from survey_app.services import exports, retention

ROUND_TABLES = ("long", "wide", "scores", "items", "codebook")

README = """\
{name} — data exported {today}

DANSK
Filen indeholder alle data i initiativet, én mappe pr. runde:
  long.csv      rå svar, én række pr. svar (anonymt svar-id, spørgsmål, værdi, sektor, rolle)
  wide.csv      rå svar, én række pr. besvarelse, én kolonne pr. spørgsmål
  scores.csv    scorer pr. emne (komponent, fase, faktor) med mindste gruppestørrelse
  items.csv     scorer pr. spørgsmål med mindste gruppestørrelse
  codebook.csv  spørgsmål, skalaer og hvad de måler, på dansk og engelsk
Rå svar er ikke beskyttet af mindste gruppestørrelse ({k}): sammen med sektor og rolle kan
et svar pege på en person. Opbevar filen sikkert, og slet den, når den ikke længere bruges.
Runder, hvis rå svar er slettet efter initiativets opbevaringsregel, har kun scorer.

ENGLISH
The file holds all data of the initiative, one folder per round:
  long.csv      raw answers, one row per answer (anonymous response id, item, value, sector, role)
  wide.csv      raw answers, one row per response, one column per item
  scores.csv    scores per topic (component, phase, factor) with the minimum group size
  items.csv     scores per question with the minimum group size
  codebook.csv  questions, scales and what they measure, in Danish and English
Raw answers are not protected by the minimum group size ({k}): together with sector and
role an answer can point to a person. Keep the file safe and delete it when no longer used.
Rounds whose raw answers were deleted under the initiative's retention rule have scores only.

Rounds / runder:
{rounds}
"""


def _folder(round_: Round) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", round_.name.lower()).strip("-")[:40]
    return f"round-{round_.id}-{slug}" if slug else f"round-{round_.id}"


def _round_line(round_: Round) -> str:
    deleted = retention.raw_deleted_on(round_)
    state = f"raw answers deleted {deleted.isoformat()}" if deleted else "raw answers included"
    return f"  {_folder(round_)}: {round_.name} ({round_.status.value}; {state})"


def initiative_zip(initiative: Initiative) -> bytes:
    """Every round's tables as CSV in one zip, with a README."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        readme = README.format(
            name=initiative.name,
            today=date.today().isoformat(),
            k=initiative.min_group_size,
            rounds="\n".join(_round_line(r) for r in initiative.rounds) or "  -",
        )
        archive.writestr("README.txt", readme)
        for round_ in initiative.rounds:
            frames = exports.all_tables(round_)
            for name in ROUND_TABLES:
                archive.writestr(f"{_folder(round_)}/{name}.csv", exports.to_csv(frames[name]))
    return buffer.getvalue()


def zip_filename(initiative: Initiative) -> str:
    """The download's file name."""
    return f"initiative-{initiative.id}-{date.today().isoformat()}.zip"

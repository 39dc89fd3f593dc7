"""The pictures of the dashboard's rating figures: the same numbers as their tables, as bar charts."""
from __future__ import annotations

from ..bar_charts import BarChart, bar_chart
from ..content.library import ContentLibrary
from ..services.reports.agreement import OVERALL, ChecklistAgreement, SkillAgreement
from ..services.reports.rating_counts import RatingCounts
from .report_filters import percent


def skill_name(library: ContentLibrary, skill_id: str) -> str:
    """A skill's name in the framework's words (the overall rating has its own)."""
    if skill_id == OVERALL:
        return "Overall rating"
    try:
        return library.skill(skill_id).name
    except KeyError:
        return skill_id


def checklist_title(library: ContentLibrary, checklist_id: str) -> str:
    """A checklist's title, or its id when the content no longer has it."""
    found = library.checklists.get(checklist_id)
    return found.title if found is not None else checklist_id


def in_framework_order(library: ContentLibrary, rows: tuple[SkillAgreement, ...]) -> list[SkillAgreement]:
    """A checklist's agreement rows in the framework's order of skills, the overall rating last."""
    order = {skill.id: n for n, skill in enumerate(library.skills.skills)}
    return sorted(rows, key=lambda row: (row.skill_id == OVERALL, order.get(row.skill_id, len(order)), row.skill_id))


def source_chart(counts: RatingCounts) -> BarChart | None:
    """Current ratings by source."""
    if not counts.by_source:
        return None
    return bar_chart(
        "Ratings by source", "Number of current ratings from each source; the table “Ratings by source” gives the same "
        "numbers with how many people were rated and by how many raters.", "ratings-by-source",
        [r.name for r in counts.by_source], [("Ratings", [r.ratings for r in counts.by_source])],
        max(r.ratings for r in counts.by_source), show=lambda v: f"{v:.0f}")


def agreement_chart(library: ContentLibrary, found: ChecklistAgreement) -> BarChart | None:
    """Exact and within-one agreement per skill with enough pairs, for one checklist."""
    rows = [row for row in in_framework_order(library, found.skills) if row.enough]
    if not rows:
        return None
    return bar_chart(
        f"Agreement between raters: {checklist_title(library, found.checklist_id)}",
        "For each skill with enough pairs, the share of pairs of raters who chose the same level (solid bar) and a level "
        "at most one apart (striped bar); the table below gives the same shares with the number of pairs and the "
        "weighted kappa.", f"agreement-{found.checklist_id}",
        [skill_name(library, row.skill_id) for row in rows],
        [("Same level", [row.exact for row in rows]), ("Within one level", [row.within_one for row in rows])],
        1.0, show=percent)

"""From a learner's result to the gradebook: only students' scores, on the placement's points."""
from __future__ import annotations

from ..models import LaunchSession, User
from .grading import LineItemSpec, enqueue_score

DEFAULT_POINTS = 100.0


def points(launch: LaunchSession) -> float:
    """The points the activity is worth in the gradebook."""
    link = launch.resource_link
    return float(link.points) if link is not None and link.points else DEFAULT_POINTS


def _line_item(launch: LaunchSession, title: str) -> LineItemSpec | None:
    link = launch.resource_link
    if link is None or not link.content_kind or not link.content_id:
        return None
    return LineItemSpec(label=link.title or title, score_maximum=points(launch),
                        resource_id=f"{link.content_kind}:{link.content_id}", tag="rapport")


def send_score(launch: LaunchSession, share: float, *, completed: bool, title: str) -> None:
    """Queue a student's score (a share 0..1) for the gradebook, in the caller's transaction."""
    if launch.role != "student":
        return
    send_score_for(launch, launch.user, share, completed=completed, title=title)


def send_score_for(launch: LaunchSession, user: User, share: float, *, completed: bool, title: str) -> None:
    """Queue `user`'s score in the launch's placement (a rating's subject, scored through a rater's launch)."""
    maximum = points(launch)
    enqueue_score(
        launch,
        score_given=round(max(0.0, min(1.0, share)) * maximum, 4),
        score_maximum=maximum,
        activity_progress="Completed" if completed else "Submitted",
        grading_progress="FullyGraded",
        line_item=_line_item(launch, title),
        user=user,
    )


def send_started(launch: LaunchSession) -> None:
    """Tell the gradebook a student began (no score: Started / NotReady)."""
    if launch.role != "student":
        return
    link = launch.resource_link
    enqueue_score(
        launch, score_given=None, score_maximum=points(launch), activity_progress="Started",
        grading_progress="NotReady", line_item=_line_item(launch, link.title if link else "Rapport activity"),
    )

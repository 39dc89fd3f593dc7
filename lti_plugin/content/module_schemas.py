"""Schemas of what learners work through: modules (with their pages) and quizzes."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, post_load, validate, validates_schema

from lti_plugin.content import model
from lti_plugin.content.schema_base import (
    ID_MESSAGE,
    ID_RE,
    Id,
    Share,
    Strict,
    Text,
    Whole,
    add_error,
    not_blank,
    raise_errors,
    raw_items,
    unique_ids,
)

# ---- modules/<id>.yaml -------------------------------------------------------------------

PAGE_FIELDS: dict[str, tuple[set[str], set[str]]] = {  # kind -> (required, optional)
    "text": ({"body"}, set()),
    "video": ({"video"}, {"body"}),
    "expectation": ({"video", "acknowledgement"}, {"body"}),
    "quiz": ({"quiz"}, {"body"}),
}
PAGE_FIELDS_ALL = {"body", "video", "acknowledgement", "quiz"}


class PageSchema(Strict):
    """One page of a module; which fields it needs depends on its kind."""

    id = Id()
    kind = fields.String(required=True, validate=validate.OneOf(list(PAGE_FIELDS)))
    title = Text()
    body = fields.String(validate=not_blank)
    video = fields.String(validate=validate.Regexp(ID_RE, error=ID_MESSAGE))
    acknowledgement = fields.String(validate=not_blank)
    quiz = fields.String(validate=validate.Regexp(ID_RE, error=ID_MESSAGE))

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _fields_for_kind(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        kind = original.get("kind") if isinstance(original, dict) else None
        if kind not in PAGE_FIELDS:
            return
        required, optional = PAGE_FIELDS[kind]
        errors: dict[str, Any] = {}
        for name in sorted(required - set(original)):
            add_error(errors, (name,), f"is required on a {kind} page")
        for name in sorted(set(original) & (PAGE_FIELDS_ALL - required - optional)):
            add_error(errors, (name,), f"is not used on a {kind} page")
        raise_errors(errors)


class CompletionSchema(Strict):
    """What a learner must do before a module counts as complete."""

    video_share = Share(load_default=0.0, required=False)
    quiz_weight = fields.Raw()  # reserved by the format, not used in v1


class ModuleSchema(Strict):
    """modules/<id>.yaml."""

    id = Id()
    version = Whole()
    title = Text()
    summary = Text()
    audience = fields.List(
        fields.String(validate=validate.OneOf(["student", "coach", "sp"])),
        required=True,
        validate=validate.Length(min=1),
    )
    minutes = Whole()
    skills = fields.List(
        fields.String(validate=validate.Regexp(ID_RE, error=ID_MESSAGE)), required=True
    )
    completion = fields.Nested(CompletionSchema, load_default=None)
    pages = fields.List(fields.Nested(PageSchema), required=True, validate=validate.Length(min=1))

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _unique(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        raise_errors(unique_ids(original, "pages", "page"))

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> model.Module:
        pages = tuple(
            model.Page(
                p["id"],
                p["kind"],
                p["title"],
                p.get("body"),
                p.get("video"),
                p.get("acknowledgement"),
                p.get("quiz"),
            )
            for p in data["pages"]
        )
        share = (data["completion"] or {}).get("video_share", 0.0)
        return model.Module(
            data["id"],
            data["version"],
            data["title"],
            data["summary"],
            tuple(data["audience"]),
            data["minutes"],
            tuple(data["skills"]),
            pages,
            share,
        )


# ---- quizzes/<id>.yaml -------------------------------------------------------------------


class OptionSchema(Strict):
    """An answer option with its feedback."""

    id = Id()
    text = Text()
    correct = fields.Boolean(load_default=False)
    feedback = Text(
        error_messages={"required": "every option needs feedback saying why it is right or wrong"}
    )


class QuestionSchema(Strict):
    """A single- or multiple-choice question."""

    id = Id()
    kind = fields.String(required=True, validate=validate.OneOf(["single", "multiple"]))
    prompt = Text()
    options = fields.List(
        fields.Nested(OptionSchema),
        required=True,
        validate=validate.Length(min=2, max=8, error="needs 2 to 8 options"),
    )

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _answers(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        errors = unique_ids(original, "options", "option")
        options = [o for o in raw_items(original, "options") if isinstance(o, dict)]
        correct = sum(1 for o in options if o.get("correct") is True)
        kind = original.get("kind") if isinstance(original, dict) else None
        if options and kind == "single" and correct != 1:
            msg = f"a single-choice question needs exactly one correct option (found {correct})"
            add_error(errors, ("options",), msg)
        elif options and kind == "multiple" and correct == 0:
            msg = "a multiple-choice question needs at least one correct option (found none)"
            add_error(errors, ("options",), msg)
        raise_errors(errors)


class QuizSchema(Strict):
    """quizzes/<id>.yaml."""

    id = Id()
    version = Whole()
    title = Text()
    summary = Text()
    minutes = Whole()
    attempts = Whole(minimum=0)
    pass_mark = Share()
    counts = fields.String(required=True, validate=validate.OneOf(["best", "last"]))
    questions = fields.List(
        fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1)
    )

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _unique(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        raise_errors(unique_ids(original, "questions", "question"))

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> model.Quiz:
        questions = tuple(
            model.Question(
                q["id"],
                q["kind"],
                q["prompt"],
                tuple(
                    model.Option(o["id"], o["text"], o["correct"], o["feedback"])
                    for o in q["options"]
                ),
            )
            for q in data["questions"]
        )
        return model.Quiz(
            data["id"],
            data["version"],
            data["title"],
            data["summary"],
            data["minutes"],
            data["attempts"],
            data["pass_mark"],
            data["counts"],
            questions,
        )

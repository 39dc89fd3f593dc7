"""Schemas of the forms people fill in about each other or themselves: checklists, surveys."""

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
    raise_errors,
    raw_items,
    unique_ids,
)

# ---- checklists/<id>.yaml ----------------------------------------------------------------


class ChecklistItemSchema(Strict):
    """One rated item: a skill in the rater's words."""

    id = Id()
    skill = fields.String(required=True, validate=validate.Regexp(ID_RE, error=ID_MESSAGE))
    prompt = Text()


class PromptSchema(Strict):
    """An id and a prompt (the overall rating, a comment question)."""

    id = Id()
    prompt = Text()


class ChecklistSchema(Strict):
    """checklists/<id>.yaml: the rating form of one rater direction."""

    id = Id()
    version = Whole()
    title = Text()
    summary = Text()
    rater = fields.String(required=True, validate=validate.OneOf(list(model.RATER_SUBJECT)))
    subject = fields.String(required=True, validate=validate.OneOf(["student", "coach"]))
    minutes = Whole()
    domains = fields.List(
        fields.String(validate=validate.Regexp(ID_RE, error=ID_MESSAGE)), required=True
    )
    instructions = Text()
    items = fields.List(
        fields.Nested(ChecklistItemSchema), required=True, validate=validate.Length(min=1)
    )
    global_ = fields.Nested(PromptSchema, required=True, data_key="global")
    comments = fields.List(
        fields.Nested(PromptSchema),
        required=True,
        validate=validate.Length(min=1, error="needs at least one comment question"),
    )

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _directions(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        errors = unique_ids(original, "items", "item")
        unique_ids(original, "comments", "comment", errors)
        _response_ids_distinct(original, errors)
        rater, subject = data.get("rater"), data.get("subject")
        if rater and subject and model.RATER_SUBJECT[rater] != subject:
            expected = model.RATER_SUBJECT[rater]
            add_error(errors, ("subject",), f"must be '{expected}' when the rater is '{rater}'")
        domains = data.get("domains") or []
        if "domains" in data and model.REQUIRED_DOMAIN not in domains:
            add_error(errors, ("domains",), f"must include '{model.REQUIRED_DOMAIN}'")
        if "domains" in data and subject == "coach" and model.COACH_DOMAIN not in domains:
            msg = f"must include '{model.COACH_DOMAIN}' when the subject is a coach"
            add_error(errors, ("domains",), msg)
        raise_errors(errors)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> model.Checklist:
        items = tuple(model.ChecklistItem(i["id"], i["skill"], i["prompt"]) for i in data["items"])
        comments = tuple(model.CommentPrompt(c["id"], c["prompt"]) for c in data["comments"])
        rating = model.GlobalRating(data["global_"]["id"], data["global_"]["prompt"])
        return model.Checklist(
            data["id"],
            data["version"],
            data["title"],
            data["summary"],
            data["rater"],
            data["subject"],
            data["minutes"],
            tuple(data["domains"]),
            data["instructions"],
            items,
            rating,
            comments,
        )


def _response_ids_distinct(original: Any, errors: dict[Any, Any]) -> None:
    """Item, global and comment ids name the answers of one submission: no id twice."""
    item_ids = {i.get("id") for i in raw_items(original, "items") if isinstance(i, dict)}
    rating = original.get("global") if isinstance(original, dict) else None
    if isinstance(rating, dict) and rating.get("id") in item_ids:
        add_error(errors, ("global", "id"), f"id '{rating.get('id')}' is also an item id")
    for index, comment in enumerate(raw_items(original, "comments")):
        if isinstance(comment, dict) and comment.get("id") in item_ids:
            add_error(
                errors, ("comments", index, "id"), f"id '{comment.get('id')}' is also an item id"
            )


# ---- surveys/<id>.yaml -------------------------------------------------------------------


class SurveyScaleSchema(Strict):
    """The agreement scale of a survey."""

    points = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=2, max=11, error="must be a whole number from 2 to 11"),
    )
    low = Text()
    high = Text()


class SubscaleSchema(Strict):
    """A group of survey items scored together."""

    id = Id()
    name = Text()
    description = Text()
    min_answered = Share()


class SurveyItemSchema(Strict):
    """One survey statement."""

    id = Id()
    subscale = fields.String(required=True)
    text = Text()
    reverse = fields.Boolean(load_default=False)


class SurveySchema(Strict):
    """surveys/<id>.yaml."""

    id = Id()
    version = Whole()
    title = Text()
    summary = Text()
    minutes = Whole()
    instructions = Text()
    scale = fields.Nested(SurveyScaleSchema, required=True)
    subscales = fields.List(
        fields.Nested(SubscaleSchema), required=True, validate=validate.Length(min=1)
    )
    items = fields.List(
        fields.Nested(SurveyItemSchema), required=True, validate=validate.Length(min=1)
    )

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _subscales(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        errors = unique_ids(original, "subscales", "subscale")
        unique_ids(original, "items", "item", errors)
        known = {s.get("id") for s in raw_items(original, "subscales") if isinstance(s, dict)}
        used: set[Any] = set()
        for index, item in enumerate(raw_items(original, "items")):
            sub = item.get("subscale") if isinstance(item, dict) else None
            used.add(sub)
            if isinstance(sub, str) and sub not in known:
                names = ", ".join(sorted(map(str, known)))
                add_error(
                    errors,
                    ("items", index, "subscale"),
                    f"unknown subscale '{sub}' (known: {names})",
                )
        for index, sub in enumerate(raw_items(original, "subscales")):
            if isinstance(sub, dict) and sub.get("id") in known - used:
                add_error(
                    errors, ("subscales", index, "id"), f"subscale '{sub.get('id')}' has no items"
                )
        raise_errors(errors)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> model.Survey:
        s = data["scale"]
        subscales = tuple(
            model.Subscale(x["id"], x["name"], x["description"], x["min_answered"])
            for x in data["subscales"]
        )
        items = tuple(
            model.SurveyItem(i["id"], i["subscale"], i["text"], i["reverse"]) for i in data["items"]
        )
        return model.Survey(
            data["id"],
            data["version"],
            data["title"],
            data["summary"],
            data["minutes"],
            data["instructions"],
            model.SurveyScale(s["points"], s["low"], s["high"]),
            subscales,
            items,
        )

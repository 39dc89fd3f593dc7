"""marshmallow schemas, one per content kind: validate one YAML file, build its dataclasses.

Nested schemas validate and return dicts; each file-level schema (skills, videos, module,
quiz, checklist, survey, catalogue) builds the frozen dataclasses in its `post_load`.
Module and quiz schemas live in `module_schemas.py`, checklist and survey schemas in
`form_schemas.py`; all are re-exported here.
Rules that need other files (skill ids, files on disk, links) live in `checks.py`.
Markdown is rendered later by the loader, so the `*_html` fields are still empty here.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from lti_plugin.content import model
from lti_plugin.content.form_schemas import ChecklistSchema, SurveySchema
from lti_plugin.content.module_schemas import ModuleSchema, QuizSchema
from lti_plugin.content.schema_base import (
    Id,
    Strict,
    Text,
    Whole,
    add_error,
    not_blank,
    raise_errors,
    raw_items,
    unique_ids,
    video_provider,
)

__all__ = [
    "CatalogueSchema",
    "ChecklistSchema",
    "ModuleSchema",
    "QuizSchema",
    "SkillsFileSchema",
    "SurveySchema",
    "VideosFileSchema",
    "load_with",
]

# ---- skills.yaml -------------------------------------------------------------------------


class ScaleLevelSchema(Strict):
    """One point of the rating scale in skills.yaml."""

    value = fields.Integer(strict=True, required=True)
    label = Text()


class SkillSchema(Strict):
    """A skill with its definition and an anchor for each of the levels 1 to 5."""

    id = Id()
    name = Text()
    definition = Text()
    anchors = fields.Dict(keys=fields.Integer(strict=True), values=Text(), required=True)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _all_levels(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        anchors = original.get("anchors") if isinstance(original, dict) else None
        if isinstance(anchors, dict) and set(anchors) != {1, 2, 3, 4, 5}:
            missing = sorted({1, 2, 3, 4, 5} - set(anchors))
            hint = f"; missing {', '.join(map(str, missing))}" if missing else ""
            raise ValidationError({"anchors": [f"needs exactly the levels 1 to 5{hint}"]})


class DomainSchema(Strict):
    """A named group of skills."""

    id = Id()
    name = Text()
    skills = fields.List(fields.Nested(SkillSchema), required=True, validate=validate.Length(min=1))


class SkillsFileSchema(Strict):
    """skills.yaml: the scale and the skills framework."""

    version = Whole()
    scale = fields.List(fields.Nested(ScaleLevelSchema), required=True)
    domains = fields.List(
        fields.Nested(DomainSchema), required=True, validate=validate.Length(min=1)
    )

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _framework_rules(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        errors = unique_ids(original, "domains", "domain")
        values = [lv.get("value") for lv in raw_items(original, "scale") if isinstance(lv, dict)]
        if values != [1, 2, 3, 4, 5]:
            add_error(errors, ("scale",), "must list the values 1, 2, 3, 4, 5 in that order")
        domain_ids = [d.get("id") for d in raw_items(original, "domains") if isinstance(d, dict)]
        if model.REQUIRED_DOMAIN not in domain_ids:
            add_error(errors, ("domains",), f"the '{model.REQUIRED_DOMAIN}' domain is required")
        raise_errors(errors)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> model.SkillsFramework:
        scale = tuple(model.ScaleLevel(lv["value"], lv["label"]) for lv in data["scale"])
        domains = tuple(
            model.Domain(
                d["id"],
                d["name"],
                tuple(
                    model.Skill(
                        s["id"],
                        s["name"],
                        s["definition"],
                        MappingProxyType(dict(s["anchors"])),
                        d["id"],
                    )
                    for s in d["skills"]
                ),
            )
            for d in data["domains"]
        )
        return model.SkillsFramework(data["version"], scale, domains)


# ---- videos.yaml -------------------------------------------------------------------------


class CaptionSchema(Strict):
    """A caption track of a video."""

    lang = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$", error="must be a language code such as en or fr-CA"
        ),
    )
    label = Text()
    file = Text()


class VideoSourceSchema(Strict):
    """Where a video comes from: a file under content/ or a platform link."""

    file = fields.String(validate=not_blank)
    url = fields.String(validate=not_blank)

    @validates_schema(skip_on_field_errors=False)
    def _one_source(self, data: dict[str, Any], **_: Any) -> None:
        if ("file" in data) == ("url" in data):
            raise ValidationError("needs exactly one of 'file' or 'url' (or write 'source: null')")
        if "url" in data and video_provider(data["url"]) is None:
            raise ValidationError(
                {"url": ["must be an https link to YouTube, Vimeo, Kaltura or Panopto"]}
            )


class VideoSchema(Strict):
    """One entry of videos.yaml."""

    id = Id()
    title = Text()
    description = Text()
    minutes = fields.Float(
        required=True,
        validate=validate.Range(
            min=0, min_inclusive=False, error="must be a number of minutes above 0"
        ),
    )
    source = fields.Nested(VideoSourceSchema, required=True, allow_none=True)
    captions = fields.List(
        fields.Nested(CaptionSchema),
        required=True,
        validate=validate.Length(min=1, error="a video needs at least one caption file (WebVTT)"),
        error_messages={"required": "a video needs at least one caption file (WebVTT)"},
    )
    transcript = Text(error_messages={"required": "a video needs a transcript (a Markdown file)"})

    @staticmethod
    def make(v: dict[str, Any]) -> model.Video:
        """Build a Video from validated data."""
        source = v["source"] or {}
        url = source.get("url")
        provider = "file" if source.get("file") else (video_provider(url) if url else None)
        captions = tuple(model.Caption(c["lang"], c["label"], c["file"]) for c in v["captions"])
        return model.Video(
            v["id"],
            v["title"],
            v["description"],
            v["minutes"],
            source.get("file"),
            url,
            captions,
            v["transcript"],
            provider,  # type: ignore[arg-type]
        )


class VideosFileSchema(Strict):
    """videos.yaml: every video used by modules."""

    version = Whole()
    videos = fields.List(fields.Nested(VideoSchema), required=True)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _unique(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        raise_errors(unique_ids(original, "videos", "video"))

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> tuple[model.Video, ...]:
        return tuple(VideoSchema.make(v) for v in data["videos"])


# ---- catalogue.yaml ----------------------------------------------------------------------

CATALOGUE_REF = re.compile(r"^(module|quiz|checklist|survey|report):([a-z0-9]+(-[a-z0-9]+)*)$")


class CatalogueSectionSchema(Strict):
    """A titled group of `kind:id` references."""

    title = Text()
    items = fields.List(
        fields.String(
            validate=validate.Regexp(
                CATALOGUE_REF, error="must be kind:id, kind one of module, quiz, checklist, survey, report"
            )
        ),
        required=True,
        validate=validate.Length(min=1),
    )


class CatalogueSchema(Strict):
    """catalogue.yaml: what instructors can pick, in order."""

    version = Whole()
    sections = fields.List(fields.Nested(CatalogueSectionSchema), required=True)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> tuple[model.CatalogueSection, ...]:
        return tuple(
            model.CatalogueSection(s["title"], tuple(_split_ref(ref) for ref in s["items"]))
            for s in data["sections"]
        )


def _split_ref(ref: str) -> tuple[model.CatalogueKind, str]:
    """'module:foundations' -> ('module', 'foundations')."""
    kind, _, item_id = ref.partition(":")
    return kind, item_id  # type: ignore[return-value]


def load_with(schema: type[Schema], data: Any) -> Any:
    """Validate `data` with a fresh schema instance; raises marshmallow.ValidationError."""
    if not isinstance(data, dict):
        raise ValidationError("the file must be a block of 'key: value' lines")
    return schema().load(data)

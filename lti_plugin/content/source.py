"""Reading one YAML file with line numbers, and turning marshmallow errors into Problems."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from lti_plugin.content.errors import Problem

Path_ = tuple[str, ...]

# libyaml's parser when PyYAML was built with it (about twenty times faster), else PyYAML's own;
# both give nodes with line marks and the same errors.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# marshmallow's default messages, in the words an author understands.
_PLAIN_MESSAGES: Mapping[str, str] = {
    "Missing data for required field.": "is required",
    "Unknown field.": "is not a known field here (check its spelling and indentation)",
    "Field may not be null.": "must not be empty",
    "Not a valid string.": "must be text (put it in quotes if it looks like a number, "
    "a date or yes/no)",
    "Not a valid integer.": "must be a whole number",
    "Not a valid number.": "must be a number",
    "Not a valid boolean.": "must be true or false",
    "Not a valid list.": "must be a list (lines starting with '- ')",
    "Not a valid mapping type.": "must be a block of 'key: value' lines",
    "Invalid type.": "must be a block of 'key: value' lines",
    "Invalid input type.": "must be a block of 'key: value' lines",
}


@dataclass
class Source:
    """A parsed YAML file: its data and the 1-based line of every key and list item."""

    path: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    text_lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, *path: str | int) -> int:
        """Line of the deepest existing part of `path` (the whole file starts at 1)."""
        key = tuple(str(part) for part in path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return 1

    def text_line(self, *path: str | int) -> int:
        """Line where the text of a scalar value starts (after `|` or `>` for blocks)."""
        key = tuple(str(part) for part in path)
        return self.text_lines.get(key, self.line(*path))

    def problem(self, path: tuple[str | int, ...], message: str) -> Problem:
        """A Problem at the line of `path` in this file."""
        return Problem(self.path, self.line(*path), message)


def parse_yaml(text: str, rel_path: str) -> tuple[Source | None, list[Problem]]:
    """Parse YAML keeping node lines; report syntax errors and duplicated keys."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = ": ".join(part for part in (exc.context, exc.problem) if part)
        start = exc.context_mark.line + 1 if exc.context_mark else line
        if start != line:
            what += f" (the part that is not closed starts on line {start})"
        if "flow" in (exc.context or ""):
            what += "; inside { } or [ ], put text containing : ? # , [ ] { } in quotes"
        return None, [Problem(rel_path, line, f"YAML syntax error: {what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(rel_path, 1, f"YAML syntax error: {exc}")]
    finally:
        loader.dispose()
    source = Source(rel_path, data)
    problems: list[Problem] = []
    if node is not None:
        _index(node, (), source, problems)
    return source, problems


def _index(node: yaml.Node, path: Path_, source: Source, problems: list[Problem]) -> None:
    """Record lines for every key/item below `node`; flag keys written twice."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    Problem(
                        source.path,
                        line,
                        f"'{key}' is written twice in the same block "
                        f"(first on line {seen[key]}); only the last one would count",
                    )
                )
            seen[key] = line
            source.lines[(*path, key)] = line
            _index(value_node, (*path, key), source, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            source.lines[(*path, str(index))] = item.start_mark.line + 1
            _index(item, (*path, str(index)), source, problems)
    elif isinstance(node, yaml.ScalarNode) and path:
        block = node.style in ("|", ">")
        source.text_lines[path] = node.start_mark.line + (2 if block else 1)


def schema_problems(source: Source, messages: Mapping[Any, Any]) -> list[Problem]:
    """Turn a marshmallow `ValidationError.messages` tree into located, plain Problems."""
    return [
        Problem(source.path, source.line(*path), _describe(path, message, source.data))
        for path, message in _flatten(messages, ())
    ]


def _flatten(messages: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    """Yield (path, message) for every leaf of a marshmallow error tree."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            yield from _flatten(value, path if key == "_schema" else (*path, str(key)))
    elif isinstance(messages, list | tuple):
        for value in messages:
            yield from _flatten(value, path)
    else:
        yield path, str(messages)


def _describe(path: Path_, message: str, data: Any) -> str:
    """'pages[dean].video: is required' from a path and a marshmallow message."""
    plain = _PLAIN_MESSAGES.get(message, message)
    if not path:
        return plain
    return f"{dotted(path, data)}: {plain}"


def dotted(path: tuple[str | int, ...], data: Any = None) -> str:
    """Human path: ('pages', '2', 'video') -> 'pages[dean].video' (the item's id if it has
    one, else its 1-based position: 'pages[#3].video')."""
    out = ""
    for part in (str(p) for p in path):
        item = _child(data, part)
        if isinstance(data, list) and part.isdigit():
            item_id = item.get("id") if isinstance(item, dict) else None
            out += f"[{item_id}]" if isinstance(item_id, str) else f"[#{int(part) + 1}]"
        else:
            out += f".{part}" if out else part
        data = item
    return out


def _child(data: Any, part: str) -> Any:
    """data[part] for a dict (str or int key) or list (index), else None."""
    if isinstance(data, list) and part.isdigit():
        index = int(part)
        return data[index] if index < len(data) else None
    if isinstance(data, dict):
        if part in data:
            return data[part]
        if part.lstrip("-").isdigit():
            return data.get(int(part))
    return None

"""Check a JSON value against a JSON Schema: the small subset ``protocol/schema.json`` uses.

The schema is the one description of the wire (see :mod:`memlens.wire.messages`, which is
generated from it). This module interprets it, so the kernel checks what it receives
without a third-party library. ``src/wire/validate.ts`` is the same interpreter for the
frontend: both must accept and refuse the same values, and report the same first error.

Supported keywords (anything else is refused by :func:`unsupported_keywords`):

- annotations: ``$schema``, ``$id``, ``$comment``, ``title``, ``description``;
- ``$defs`` and ``$ref`` (only ``#/$defs/<Name>``);
- ``type`` (a name or a list of names), ``const``, ``enum``;
- objects: ``properties``, ``required``, ``additionalProperties`` (a boolean or a schema);
- arrays: ``prefixItems``, ``items``, ``minItems``;
- numbers: ``minimum``, ``maximum``; strings: ``minLength``, ``maxLength``;
- ``allOf``, and ``oneOf``: when every branch pins one property to a ``const`` (a
  discriminated union), the value's property picks the branch, so errors name that branch.

Numbers are JSON's: an ``integer`` is any integral number (``1.0`` counts), ``True`` is not
a number, and NaN or infinities are not numbers at all. Errors come in a fixed order: an
object's properties in the schema's order (a missing required one where it stands), then
other required keys, extra keys, ``allOf``, then ``oneOf``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Union, cast

PathItem = Union[str, int]

ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description"})
"""Keywords that describe and never constrain."""

KEYWORDS = ANNOTATIONS | frozenset(
    {
        "$defs",
        "$ref",
        "type",
        "const",
        "enum",
        "properties",
        "required",
        "additionalProperties",
        "prefixItems",
        "items",
        "minItems",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "allOf",
        "oneOf",
    }
)
"""Every keyword this validator understands."""

TYPE_NAMES = ("null", "boolean", "integer", "number", "string", "array", "object")
REF_PREFIX = "#/$defs/"


class SchemaError(ValueError):
    """A value that breaks the schema: where (``path``, keys and indices from the root)
    and what (``message``, which names the place)."""

    def __init__(self, path: Sequence[PathItem], message: str) -> None:
        super().__init__(message)
        self.path: tuple[PathItem, ...] = tuple(path)
        self.message = message


def validate(value: object, schema: Mapping[str, Any], root: Mapping[str, Any]) -> None:
    """Raise :class:`SchemaError` for the first way ``value`` breaks ``schema``.

    ``root`` is the whole schema document, where ``$ref`` finds its ``$defs``.
    """
    _Validator(root).check(value, schema, [])


def definition(root: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The schema ``root["$defs"][name]``."""
    return cast(Mapping[str, Any], root["$defs"][name])


def json_type(value: object) -> str:
    """The JSON type name of ``value`` (``integer`` for integral numbers), or ``other``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "other"
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "other"


def json_equal(a: object, b: object) -> bool:
    """Equality as JSON has it: ``1 == 1.0``, but ``True`` is not ``1``."""
    kind_a, kind_b = json_type(a), json_type(b)
    numeric = ("integer", "number")
    if kind_a in numeric and kind_b in numeric:
        return a == b
    if kind_a != kind_b:
        return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return a == b


def where(path: Sequence[PathItem]) -> str:
    """``args.path[2].kind`` for ``["args", "path", 2, "kind"]``; ``message`` for the root."""
    text = ""
    for item in path:
        text += f"[{item}]" if isinstance(item, int) else (f".{item}" if text else item)
    return text or "message"


def shown(value: object) -> str:
    """``value`` as JSON text, for messages."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def unsupported_keywords(schema: object, at: str = "#") -> list[str]:
    """Every place in ``schema`` that uses a keyword this validator does not understand,
    or a ``$ref`` it cannot follow, as ``<location>: <keyword>``."""
    found: list[str] = []
    if isinstance(schema, bool):
        return found
    if not isinstance(schema, dict):
        return [f"{at}: not a schema"]
    for key, value in schema.items():
        if key not in KEYWORDS:
            found.append(f"{at}: {key}")
        elif key == "$ref" and not (isinstance(value, str) and value.startswith(REF_PREFIX)):
            found.append(f"{at}: $ref {value}")
        elif key in ("$defs", "properties"):
            for name, child in value.items():
                found += unsupported_keywords(child, f"{at}/{key}/{name}")
        elif key in ("allOf", "oneOf", "prefixItems"):
            for index, child in enumerate(value):
                found += unsupported_keywords(child, f"{at}/{key}/{index}")
        elif key in ("items", "additionalProperties"):
            found += unsupported_keywords(value, f"{at}/{key}")
        elif key == "type":
            names = value if isinstance(value, list) else [value]
            found += [f"{at}: type {name}" for name in names if name not in TYPE_NAMES]
    return found


def discriminator(branches: Sequence[Mapping[str, Any]]) -> str | None:
    """The property every branch pins to a different ``const``, if there is one."""
    first = branches[0].get("properties", {})
    for name in first:
        consts = [branch.get("properties", {}).get(name, {}) for branch in branches]
        if all(isinstance(c, dict) and "const" in c for c in consts):
            values = [c["const"] for c in consts]
            if all(
                not json_equal(values[i], values[j])
                for i in range(len(values))
                for j in range(i + 1, len(values))
            ):
                return str(name)
    return None


class _Validator:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema and len(schema) == 1:
            schema = definition(self.root, str(schema["$ref"])[len(REF_PREFIX) :])
        return schema

    def check(self, value: object, schema: Mapping[str, Any], path: list[PathItem]) -> None:
        if "$ref" in schema:
            self.check(value, definition(self.root, schema["$ref"][len(REF_PREFIX) :]), path)
        self.check_value(value, schema, path)
        kind = json_type(value)
        if kind == "object":
            self.check_object(cast(dict[str, Any], value), schema, path)
        elif kind == "array":
            self.check_array(cast(list[Any], value), schema, path)
        for part in schema.get("allOf", ()):
            self.check(value, part, path)
        if "oneOf" in schema:
            self.check_one_of(value, schema["oneOf"], path)

    def check_value(self, value: object, schema: Mapping[str, Any], path: list[PathItem]) -> None:
        kind = json_type(value)
        if "type" in schema:
            allowed = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            fits = kind in allowed or (kind == "integer" and "number" in allowed)
            if not fits:
                raise SchemaError(path, f"{where(path)} must be {' or '.join(allowed)}")
        if "const" in schema and not json_equal(value, schema["const"]):
            raise SchemaError(path, f"{where(path)} must be {shown(schema['const'])}")
        if "enum" in schema and not any(json_equal(value, v) for v in schema["enum"]):
            options = ", ".join(shown(v) for v in schema["enum"])
            raise SchemaError(path, f"{where(path)} must be one of {options}")
        if kind in ("integer", "number"):
            number = cast(float, value)
            if "minimum" in schema and number < schema["minimum"]:
                raise SchemaError(path, f"{where(path)} must be at least {schema['minimum']}")
            if "maximum" in schema and number > schema["maximum"]:
                raise SchemaError(path, f"{where(path)} must be at most {schema['maximum']}")
        if isinstance(value, str):
            if len(value) < schema.get("minLength", 0):
                raise SchemaError(
                    path, f"{where(path)} must have at least {schema['minLength']} characters"
                )
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                raise SchemaError(
                    path, f"{where(path)} must have at most {schema['maxLength']} characters"
                )

    def check_object(
        self, value: dict[str, Any], schema: Mapping[str, Any], path: list[PathItem]
    ) -> None:
        properties: Mapping[str, Any] = schema.get("properties", {})
        required: Sequence[str] = schema.get("required", ())
        for name, child in properties.items():
            if name in value:
                self.check(value[name], child, [*path, name])
            elif name in required:
                raise SchemaError([*path, name], f"{where([*path, name])} is missing")
        for name in required:
            if name not in value:
                raise SchemaError([*path, name], f"{where([*path, name])} is missing")
        extra = schema.get("additionalProperties", True)
        for name in value:
            if name in properties or extra is True:
                continue
            if extra is False:
                raise SchemaError([*path, name], f"{where([*path, name])} is not allowed")
            self.check(value[name], extra, [*path, name])

    def check_array(
        self, value: list[Any], schema: Mapping[str, Any], path: list[PathItem]
    ) -> None:
        if len(value) < schema.get("minItems", 0):
            raise SchemaError(path, f"{where(path)} must have at least {schema['minItems']} items")
        prefix: Sequence[Mapping[str, Any]] = schema.get("prefixItems", ())
        for index, item in enumerate(value):
            if index < len(prefix):
                self.check(item, prefix[index], [*path, index])
            elif "items" in schema:
                self.check(item, schema["items"], [*path, index])

    def check_one_of(
        self, value: object, branches: Sequence[Mapping[str, Any]], path: list[PathItem]
    ) -> None:
        resolved = [self.resolve(branch) for branch in branches]
        tag = discriminator(resolved)
        if tag is not None and isinstance(value, dict):
            for branch in resolved:
                if tag in value and json_equal(value[tag], branch["properties"][tag]["const"]):
                    self.check(value, branch, path)
                    return
            options = ", ".join(shown(b["properties"][tag]["const"]) for b in resolved)
            raise SchemaError([*path, tag], f"{where([*path, tag])} must be one of {options}")
        matches = 0
        for branch in resolved:
            try:
                self.check(value, branch, path)
            except SchemaError:
                continue
            matches += 1
        if matches != 1:
            raise SchemaError(path, f"{where(path)} matches {matches} of its {len(branches)} forms")

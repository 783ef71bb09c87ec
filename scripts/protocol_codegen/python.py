"""The Python side: TypedDicts in Python 3.9 syntax and the schema as a dict literal."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .shared import (
    BANNER,
    LIMITS,
    LINE_LENGTH,
    PY_LOOSE,
    TYPED_MAPS,
    bracketed,
    is_object_def,
    ref_name,
    upper_snake,
    variants,
    wrap,
    wrap_string,
)


class Python:
    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self.defs: Mapping[str, Any] = schema["$defs"]

    def type_of(self, node: Mapping[str, Any], owner: str = "", prop: str = "") -> str:
        ref = ref_name(node)
        if ref is not None and "const" in self.defs[ref]:
            return f"Literal[{self.literal(self.defs[ref]['const'])}]"
        if ref is not None:
            return ref
        if "const" in node:
            return f"Literal[{self.literal(node['const'])}]"
        if "enum" in node:
            return f"Literal[{', '.join(self.literal(v) for v in node['enum'])}]"
        if "oneOf" in node:
            return " | ".join(self.type_of(branch) for branch in node["oneOf"])
        if (owner, prop) in PY_LOOSE:
            return PY_LOOSE[owner, prop]
        if owner in TYPED_MAPS:
            return TYPED_MAPS[owner][2]
        types = node["type"]
        names: list[str] = types if isinstance(types, list) else [types]
        return " | ".join(self.simple(name, node) for name in names)

    def simple(self, name: str, node: Mapping[str, Any]) -> str:
        simple = {"integer": "int", "number": "float", "string": "str", "boolean": "bool"}
        if name in simple:
            return simple[name]
        if name == "null":
            return "None"
        if name == "array":
            element = [*node.get("prefixItems", ()), node["items"]]
            inner = list(dict.fromkeys(self.type_of(e) for e in element))
            joined = inner[0] if len(inner) == 1 else f"Union[{', '.join(inner)}]"
            return f"list[{joined}]"
        if name == "object":
            return "dict[str, Any]"
        raise ValueError(f"no Python type for {name}")

    @staticmethod
    def literal(value: object) -> str:
        if isinstance(value, bool) or value is None:
            return repr(value)
        return json.dumps(value, ensure_ascii=False)

    @staticmethod
    def docstring(text: str, indent: str) -> list[str]:
        lines = wrap(text, indent, LINE_LENGTH - 6)
        if len(lines) == 1:
            return [f'{indent}"""{lines[0]}"""']
        return [
            f'{indent}"""{lines[0]}',
            *(f"{indent}{line}" for line in lines[1:-1]),
            f'{indent}{lines[-1]}"""',
        ]

    def typed_dict(self, def_name: str, node: Mapping[str, Any]) -> list[str]:
        parents = [str(ref_name(p)) for p in node.get("allOf", ())] or ["TypedDict"]
        required = node.get("required", ())
        fields = list(node["properties"].items())
        optional = [(p, c) for p, c in fields if p not in required]
        out: list[str] = []
        if optional:
            base = f"{def_name}Required"
            out += self.class_lines(
                base,
                parents,
                "",
                node["description"],
                [(p, c) for p, c in fields if p in required],
                def_name,
            )
            out += ["", ""]
            return out + self.class_lines(
                def_name, [base], ", total=False", node["description"], optional, def_name
            )
        return self.class_lines(def_name, parents, "", node["description"], fields, def_name)

    def class_lines(
        self,
        name: str,
        parents: list[str],
        total: str,
        doc: str,
        fields: list[tuple[str, Any]],
        owner: str,
    ) -> list[str]:
        out = [f"class {name}({', '.join(parents)}{total}):", *self.docstring(doc, "    "), ""]
        for prop, child in fields:
            out.append(f"    {prop}: {self.type_of(child, owner, prop)}")
            if "description" in child:
                out += self.docstring(child["description"], "    ")
        if out[-1] == "":
            out.pop()
        return out

    def value(self, value: object, indent: str, head: str = "") -> list[str]:
        """``head`` and ``value`` as a Python literal, in the layout ruff's formatter keeps:
        non-empty collections one item a line (a trailing comma keeps them so), a string too
        long for its line in parentheses, split at spaces where one line cannot hold it."""
        inner = indent + "    "
        if isinstance(value, dict) and value:
            lines = [indent + head + "{"]
            for key, item in value.items():
                lines += self.value(item, inner, f"{json.dumps(key)}: ")
                lines[-1] += ","
            return [*lines, indent + "}"]
        if isinstance(value, list) and value:
            lines = [indent + head + "["]
            for item in value:
                lines += self.value(item, inner)
                lines[-1] += ","
            return [*lines, indent + "]"]
        text = self.literal(value)
        if not isinstance(value, str) or len(indent + head + text) + 1 <= LINE_LENGTH:
            return [indent + head + text]
        if len(inner + text) <= LINE_LENGTH:
            chunks = [value]
        else:
            chunks = wrap_string(value, LINE_LENGTH - len(inner))
        return [indent + head + "(", *(inner + self.literal(c) for c in chunks), indent + ")"]

    def render(self) -> str:
        out = [
            f"# {BANNER}",
            '"""The memlens wire\'s message types and schema, for the kernel side.',
            "",
            "TypedDicts and constants from ``protocol/schema.json`` (see there, and",
            ":mod:`memlens.wire.protocol` for the functions that check and build messages).",
            '"""',
            "",
            "from __future__ import annotations",
            "",
            "from typing import Any, Final, Literal, TypedDict, Union",
        ]
        for def_name, node in self.defs.items():
            if "const" in node:
                out += [
                    "",
                    f"{upper_snake(def_name)}: Final = {self.literal(node['const'])}",
                    *self.docstring(node["description"], ""),
                ]
        for constant, (def_name, path, keyword, doc) in LIMITS.items():
            node = self.defs[def_name]
            for key in path:
                node = node[key]
            out += ["", f"{constant}: Final = {node[keyword]}", *self.docstring(doc, "")]
        for def_name, node in self.defs.items():
            if "const" in node:
                continue
            doc_lines = self.docstring(node["description"], "")
            if "enum" in node:
                values = [self.literal(v) for v in node["enum"]]
                plural = f"{upper_snake(def_name)}S: tuple[{def_name}, ...] = "
                out += ["", *bracketed(f"{def_name} = Literal", "[]", values), *doc_lines]
                out += bracketed(plural, "()", values)
            elif is_object_def(node):
                if def_name in TYPED_MAPS and (def_name, TYPED_MAPS[def_name][0]) not in PY_LOOSE:
                    field, _, alias = TYPED_MAPS[def_name]
                    names = list(dict.fromkeys(self.type_of(c) for _, c in variants(node, field)))
                    out += ["", "", *bracketed(f"{alias} = Union", "[]", names)]
                    out.append(
                        f'"""The {field} of each command (see ``{TYPED_MAPS[def_name][1]}``)."""'
                    )
                out += ["", "", *self.typed_dict(def_name, node)]
            elif "oneOf" in node:
                names = [self.type_of(branch) for branch in node["oneOf"]]
                out += ["", "", *bracketed(f"{def_name} = Union", "[]", names), *doc_lines]
            else:
                out += ["", "", f"{def_name} = {self.type_of(node)}", *doc_lines]
        out += [
            "",
            "",
            *self.value(self.schema, "", "SCHEMA: dict[str, Any] = "),
            '"""protocol/schema.json, for :mod:`memlens.wire.validate`."""',
        ]
        return "\n".join(out) + "\n"

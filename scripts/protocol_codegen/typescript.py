"""The TypeScript side: interfaces, the typed request map and the schema as a const object."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .shared import (
    BANNER,
    LIMITS,
    TYPED_MAPS,
    is_object_def,
    ref_name,
    upper_snake,
    variants,
    wrap,
)


class TypeScript:
    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self.defs: Mapping[str, Any] = schema["$defs"]

    def name(self, def_name: str) -> str:
        return f"I{def_name}" if is_object_def(self.defs[def_name]) else def_name

    def type_of(self, node: Mapping[str, Any]) -> str:
        ref = ref_name(node)
        if ref is not None and "const" in self.defs[ref]:
            return self.literal(self.defs[ref]["const"])
        if ref is not None:
            return self.name(ref)
        if "const" in node:
            return self.literal(node["const"])
        if "enum" in node:
            return " | ".join(self.literal(v) for v in node["enum"])
        if "oneOf" in node:
            return " | ".join(self.type_of(branch) for branch in node["oneOf"])
        types = node["type"]
        names: list[str] = types if isinstance(types, list) else [types]
        return " | ".join(self.simple(name, node) for name in names)

    def simple(self, name: str, node: Mapping[str, Any]) -> str:
        if name in ("integer", "number"):
            return "number"
        if name in ("string", "boolean", "null"):
            return name
        if name == "array":
            element = [*node.get("prefixItems", ()), node["items"]]
            inner = " | ".join(dict.fromkeys(self.type_of(e) for e in element))
            return f"Array<{inner}>" if " " in inner else f"{inner}[]"
        if name == "object":
            return "Record<string, never>" if "properties" in node else "Record<string, unknown>"
        raise ValueError(f"no TypeScript type for {name}")

    @staticmethod
    def literal(value: object) -> str:
        if isinstance(value, str):
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return json.dumps(value)

    @staticmethod
    def doc(text: str, indent: str) -> list[str]:
        lines = wrap(text, indent + " * ", 80)
        if len(lines) == 1 and len(indent) + len(lines[0]) + 7 <= 80:
            return [f"{indent}/** {lines[0]} */"]
        return [f"{indent}/**", *(f"{indent} * {line}" for line in lines), f"{indent} */"]

    def interface(self, def_name: str, node: Mapping[str, Any]) -> list[str]:
        parents = [self.name(str(ref_name(p))) for p in node.get("allOf", ())]
        extends = f" extends {', '.join(parents)}" if parents else ""
        generic = ""
        special: dict[str, str] = {}
        if def_name in TYPED_MAPS:
            field, map_name, _ = TYPED_MAPS[def_name]
            generic = "<K extends Command = Command>"
            special = {"command": "K", field: f"{map_name}[K]"}
        head = f"export interface I{def_name}{generic}{extends} {{"
        lines = [*self.doc(node["description"], ""), head]
        required = node.get("required", ())
        for prop, child in node["properties"].items():
            if "description" in child:
                lines += self.doc(child["description"], "  ")
            optional = "" if prop in required else "?"
            lines.append(f"  {prop}{optional}: {special.get(prop) or self.type_of(child)};")
        return [*lines, "}"]

    def render(self) -> str:
        out = [f"// {BANNER}", ""]
        for def_name, node in self.defs.items():
            if "const" in node:
                out += self.doc(node["description"], "")
                out += [
                    f"export const {upper_snake(def_name)} = {self.literal(node['const'])};",
                    "",
                ]
        for constant, (def_name, path, keyword, doc) in LIMITS.items():
            node = self.defs[def_name]
            for key in path:
                node = node[key]
            out += [*self.doc(doc, ""), f"export const {constant} = {node[keyword]};", ""]
        for def_name, node in self.defs.items():
            if "const" in node:
                continue
            out += self.doc(node["description"], "")
            if "enum" in node:
                out.append(f"export type {def_name} = {self.type_of(node)};")
                plural = upper_snake(def_name) + "S"
                values = ", ".join(self.literal(v) for v in node["enum"])
                out.append(f"export const {plural}: ReadonlyArray<{def_name}> = [{values}];")
            elif is_object_def(node) and not node["properties"]:
                out.append(f"export type I{def_name} = Record<string, never>;")
            elif is_object_def(node):
                out += self.interface(def_name, node)[len(self.doc(node["description"], "")) :]
            elif "oneOf" in node:
                out.append(f"export type {def_name} = {self.type_of({'oneOf': node['oneOf']})};")
            else:
                out.append(f"export type {def_name} = {self.type_of(node)};")
            out.append("")
        for def_name, (field, map_name, _) in TYPED_MAPS.items():
            out.append(f"/** The {field} of each command (from the branches of {def_name}). */")
            out.append(f"export interface {map_name} {{")
            for command, child in variants(self.defs[def_name], field):
                out.append(f"  {command}: {self.type_of(child)};")
            out += ["}", ""]
        out.append("/** protocol/schema.json, for src/wire/validate.ts. */")
        out.append(f"export const SCHEMA = {json.dumps(self.schema, ensure_ascii=False)} as const;")
        return "\n".join(ignored(out)) + "\n"


def ignored(lines: list[str]) -> list[str]:
    """``lines`` with ``// prettier-ignore`` before each statement: the layout is this
    script's, and ``--check`` compares it byte for byte."""
    out: list[str] = []
    for line in lines:
        if line.startswith("export "):
            out.append("// prettier-ignore")
        out.append(line)
    return out

"""Generate the wire's types from ``protocol/schema.json``, the one description of the wire.

Writes ``src/wire/schema.generated.ts`` (TypeScript interfaces, the typed request map that
``MemlensSession.request`` uses, and the schema as a const object) and
``memlens/wire/messages.py`` (TypedDicts in Python 3.9 syntax and the schema as a dict
literal: the kernel side is injected as source, so it cannot read the JSON file).

Run from the repository root: ``python scripts/generate_protocol.py`` writes both files;
``--check`` writes nothing and exits 1, naming each stale file, when either differs from
what the schema gives. Standard library only.

Naming: a ``$defs`` entry that is an object becomes ``I<Name>`` in TypeScript and a
TypedDict ``<Name>`` in Python; an ``enum`` becomes a union of literals and a tuple
``<NAME>S`` of its values; a ``const`` becomes the constant ``<NAME>``; a ``oneOf`` becomes
a union. ``Request`` and ``OkReply`` pin ``command`` in their ``oneOf`` branches: those
branches make the request map (command -> args, reply body).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from protocol_codegen.python import Python
from protocol_codegen.shared import PY_OUTPUT, SCHEMA_PATH, TS_OUTPUT
from protocol_codegen.typescript import TypeScript


def outputs(repo_root: Path) -> dict[Path, str]:
    """Each generated file (relative to the repository root) and the text it should have."""
    schema = json.loads((repo_root / SCHEMA_PATH).read_text(encoding="utf-8"))
    return {TS_OUTPUT: TypeScript(schema).render(), PY_OUTPUT: Python(schema).render()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    parser.add_argument("--repo-root", type=Path, default=Path.cwd())
    options = parser.parse_args(argv)
    stale: list[Path] = []
    for relative, text in outputs(options.repo_root).items():
        target = options.repo_root / relative
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if options.check:
            stale.append(relative)
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {relative}")
    for relative in stale:
        print(
            f"{relative} is stale: run `python scripts/generate_protocol.py` and commit it",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

"""The JavaScript every JupyterLab page loads for memlens, from a built labextension.

JupyterLab loads the extension's ``remoteEntry`` and then the chunks of the two modules it
exposes at start (``./extension`` and ``./style``); every other chunk (plotly, the bundled
kernel source) loads only when the code asks for it. This script reads the build metadata
(``package.json`` -> ``jupyterlab._build``), finds those chunks' ids in the remoteEntry and
sums their sizes, raw and gzipped.

    npm run build:prod && python bench/initial_js.py [memlens/labextension]
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path


def start_files(root: Path) -> list[Path]:
    """The remoteEntry and the chunks loaded with the exposed start modules."""
    build = json.loads((root / "package.json").read_text(encoding="utf-8"))["jupyterlab"]["_build"]
    entry = root / build["load"]
    text = entry.read_text(encoding="utf-8")
    files = [entry]
    for exposed in (build["extension"], build["style"]):
        found = re.search(re.escape(f'"{exposed}":') + r"\(\)=>(.*?)\.then", text)
        if found is None:
            raise SystemExit(f"{exposed} not found in {entry.name}: is this a production build?")
        for chunk_id in re.findall(r"\.e\((\d+)\)", found.group(1)):
            for path in sorted((root / "static").glob(f"{chunk_id}.*.js")):
                if path not in files:
                    files.append(path)
    return files


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "memlens/labextension")
    total = gzipped = 0
    for path in start_files(root):
        data = path.read_bytes()
        total += len(data)
        gzipped += len(gzip.compress(data, 9))
        print(f"{len(data):>9}  {path.name}")
    lazy = sum(p.stat().st_size for p in (root / "static").glob("*.js")) - total
    print(f"{total:>9}  bytes at page start ({gzipped} gzip -9)")
    print(f"{lazy:>9}  bytes in chunks loaded on demand")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

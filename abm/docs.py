"""Generated documentation: the ODD parameter table, from the parameter schema (never typed by hand).

``python -m abm.docs`` rewrites the table between the markers in docs/ODD.md; a test fails if the
table there is stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from abm.params import Mechanisms, numeric_fields

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
START, END = "<!-- parameter-table:start -->", "<!-- parameter-table:end -->"


def parameter_table() -> str:
    """Markdown tables of numeric parameters and mechanism switches."""
    rows = ["| parameter | default | range | unit | meaning | acts in |", "|---|---|---|---|---|---|"]
    for name, f in numeric_fields().items():
        acts = ", ".join(f"`{p}`" for p in f["process"].split())
        rows.append(f"| `{name}` | {f['default']} | [{f['lo']}, {f['hi']}] | {f['unit']} | {f['description']} | {acts} |")
    rows += ["", "| mechanism switch (`params.mechanisms.*`) | default | meaning |", "|---|---|---|"]
    for name, f in Mechanisms.model_fields.items():
        rows.append(f"| `{name}` | {f.default} | {f.description} |")
    return "\n".join(rows)


def render(text: str) -> str:
    """``text`` with the block between the markers replaced by the current table."""
    block = f"{START}\n{parameter_table()}\n{END}"
    return re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)


def main() -> int:
    ODD.write_text(render(ODD.read_text()))
    print(f"updated the parameter table in {ODD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""docs/access.md's machine-read parts: the doors (who writes each table, and how) and the security
definer doors. The catalog lints and the access matrix both read them from here, so the document is
the one place that says which writes `authenticated` holds.

The doors table, between `<!-- doors:start -->` and `<!-- doors:end -->`, has one row per public
table and a cell per write action. A cell starts with one of:

- `direct`: `authenticated` holds the table privilege (policies and the named triggers decide);
- `direct (columns a, b)`: it holds the privilege on exactly those columns, not on the table;
- `RPC`: no privilege at all, the named functions are the only door;
- `—`: no privilege, and no door for API users.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ACCESS_DOC = Path(__file__).resolve().parent.parent / "docs" / "access.md"
WRITE_ACTIONS = ("insert", "update", "delete")


def section(marker: str, text: str | None = None) -> str:
    text = ACCESS_DOC.read_text(encoding="utf-8") if text is None else text
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    return text[text.index(start) + len(start):text.index(end)]


def definer_doors() -> list[str]:
    """The `public.f(args)` signatures listed as security definer doors, as regprocedure prints them
    (public is on the search path: no schema)."""
    return re.findall(r"`public\.(\w+\([^`]*\))`", section("definer-doors"))


def guard_definers() -> set[str]:
    """The `guard.f(args)` signatures and `guard.view` names listed as reading across row-level security."""
    return set(re.findall(r"`(guard\.\w+(?:\([^`]*\))?)`", section("guard-definers")))


@dataclass(frozen=True)
class Door:
    table: str
    action: str
    kind: str  # direct, columns, rpc, none
    columns: frozenset[str] = frozenset()
    text: str = ""


def doors(text: str | None = None) -> dict[tuple[str, str], Door]:
    """(table, action) -> Door, from the doors table."""
    out: dict[tuple[str, str], Door] = {}
    for line in section("doors", text).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 1 + len(WRITE_ACTIONS) or cells[0] in ("table", "") or set(cells[0]) <= {"-"}:
            continue
        table = cells[0].strip("`")
        for action, cell in zip(WRITE_ACTIONS, cells[1:]):
            m = re.match(r"direct\s*\(columns?\s+([^)]*)\)", cell)
            if m:
                cols = frozenset(c.strip(" `") for c in m.group(1).split(","))
                out[(table, action)] = Door(table, action, "columns", cols, cell)
            elif cell.startswith("direct"):
                out[(table, action)] = Door(table, action, "direct", text=cell)
            elif cell.startswith("RPC"):
                out[(table, action)] = Door(table, action, "rpc", text=cell)
            elif cell.startswith("—"):
                out[(table, action)] = Door(table, action, "none", text=cell)
            else:
                raise ValueError(f"docs/access.md doors: {table} {action}: a cell starts with direct, RPC or —, not {cell!r}")
    return out

"""The access matrix: every table x actor x action of tests/access_matrix.csv.

One pytest case per cell (`portfolios-agent_partial-select`), run against one database per module:
a copy of the migrated template holding the world of tests/world.py, loaded once; each cell runs in
its own transaction, acting as the real role with real JWT claims, and is rolled back. The observed
outcome (rows / none / denied) must equal the CSV, which was derived from docs/access.md.

Also checked: the CSV covers exactly every table in `public` x the 12 actors x the 4 actions, and
the README's "Access matrix" section is the rendering of the CSV. Regenerate that section with

    .venv/bin/python -m tests.test_access_matrix --readme
"""
from __future__ import annotations

import csv
import itertools
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.access_doc import WRITE_ACTIONS, doors
from tests.world import ACTORS, TARGETS, load, outcome

HERE = Path(__file__).resolve().parent
CSV_PATH = HERE / "access_matrix.csv"
README = HERE.parent / "README.md"
ACTIONS = ("select", "insert", "update", "delete")
EXPECTED = ("rows", "none", "denied")
START, END = "<!-- access-matrix:start -->", "<!-- access-matrix:end -->"
PROPERTY = "access_matrix_cell"  # user property of every cell's report (an xdist controller can count them)


@dataclass(frozen=True)
class Cell:
    table: str
    actor: str
    action: str
    expected: str
    line: int

    @property
    def id(self) -> str:
        return f"{self.table}-{self.actor}-{self.action}"


def read_matrix(path: Path = CSV_PATH) -> list[Cell]:
    """The CSV's cells in file order; comment lines (#) and blank lines skipped."""
    with path.open(encoding="utf-8", newline="") as f:
        numbered = [(n, line) for n, line in enumerate(f, 1) if line.strip() and not line.lstrip().startswith("#")]
    rows = csv.reader(line for _, line in numbered)
    header = next(rows)
    if header != ["table", "actor", "action", "expected"]:
        raise ValueError(f"{path.name}: header must be table,actor,action,expected, not {','.join(header)}")
    cells = []
    for (n, _), row in zip(numbered[1:], rows):
        if len(row) != 4:
            raise ValueError(f"{path.name}:{n}: expected 4 fields, got {row}")
        cells.append(Cell(*(v.strip() for v in row), line=n))
    return cells


CELLS = read_matrix()


# ---------------------------------------------------------------------------------- the database
@pytest.fixture(scope="module")
def matrix_db(module_db_url: str) -> Iterator[psycopg.Connection]:
    """The module's copy of the migrated template with the world loaded; autocommit."""
    with psycopg.connect(module_db_url, autocommit=True) as conn:
        load(conn)
        yield conn


# ------------------------------------------------------------------------------------- the cells
@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
def test_cell(cell: Cell, matrix_db: psycopg.Connection, record_property) -> None:
    record_property(PROPERTY, cell.id)
    observed = outcome(matrix_db, cell.actor, cell.table, cell.action)
    if observed != cell.expected:
        pytest.fail(f"{cell.table} x {cell.actor} x {cell.action}: tests/access_matrix.csv:{cell.line} (from "
                    f"docs/access.md) expects {cell.expected}, the database gives {observed}\n"
                    f"  statement: {TARGETS[cell.table].statement(cell.action)}", pytrace=False)


@pytest.mark.parametrize("n_cells", [len(CELLS)], ids=[f"{len(CELLS)}-cells"])
def test_matrix_covers_every_table_actor_and_action(matrix_db: psycopg.Connection, n_cells: int) -> None:
    tables = {r[0] for r in matrix_db.execute(
        "select c.relname from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')")}
    problems = []
    seen: dict[tuple[str, str, str], Cell] = {}
    for c in CELLS:
        key = (c.table, c.actor, c.action)
        if key in seen:
            problems.append(f"line {c.line}: {c.id} repeats line {seen[key].line}")
        seen[key] = c
        if c.expected not in EXPECTED:
            problems.append(f"line {c.line}: {c.id}: expected must be one of {', '.join(EXPECTED)}, not {c.expected!r}")
        if c.actor not in ACTORS:
            problems.append(f"line {c.line}: unknown actor {c.actor!r}")
        if c.action not in ACTIONS:
            problems.append(f"line {c.line}: unknown action {c.action!r}")
    csv_tables = {c.table for c in CELLS}
    for t in sorted(tables - csv_tables):
        problems.append(f"table public.{t} is missing from the matrix")
    for t in sorted(csv_tables - tables):
        problems.append(f"the matrix names {t}, which is no table in public")
    for t in sorted(tables - set(TARGETS)):
        problems.append(f"tests/world.py has no target row and statements for public.{t}")
    for t, a, x in itertools.product(sorted(tables), ACTORS, ACTIONS):
        if (t, a, x) not in seen:
            problems.append(f"missing cell {t}-{a}-{x}")
    assert not problems, "\n".join(problems)
    assert n_cells == len(tables) * len(ACTORS) * len(ACTIONS)


def test_matrix_refuses_every_write_the_doors_close() -> None:
    """docs/access.md's doors: where a table's write is `RPC` only or `—`, every signed-in actor's cell
    for it is `denied` (no privilege), and every table has its row."""
    listed = doors()
    problems = [f"docs/access.md doors: no row for {t}" for t in sorted({c.table for c in CELLS})
                if any((t, a) not in listed for a in WRITE_ACTIONS)]
    for c in CELLS:
        door = listed.get((c.table, c.action))
        if door and door.kind in ("rpc", "none") and c.actor not in ("anon", "service_role") and c.expected != "denied":
            problems.append(f"line {c.line}: {c.id} expects {c.expected}, but the door is {door.text!r}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------- README
LEGEND = {"rows": None, "none": "·", "denied": "✗"}  # rows: the action's letter


def render(cells: list[Cell] = CELLS) -> str:
    """The README section (between the markers) rendered from the CSV."""
    by_key = {(c.table, c.actor, c.action): c.expected for c in cells}
    tables = list(dict.fromkeys(c.table for c in cells))
    n = len(cells)
    lines = [
        START,
        "## Access matrix",
        "",
        f"Who may do what, as tested: {n} cells ({len(tables)} tables × {len(ACTORS)} actors × {len(ACTIONS)} "
        "actions), rendered from `tests/access_matrix.csv`, which is derived from `docs/access.md`. "
        "`tests/test_access_matrix.py` runs every cell as the real role with real JWT claims against the "
        "world of `tests/world.py` (its docstring names the actors, the target row of each table and the "
        "statement of each action), and fails when this section and the CSV differ; regenerate it with "
        "`.venv/bin/python -m tests.test_access_matrix --readme`.",
        "",
        "Each cell lists select, insert, update and delete in that order: the letter (`S`, `I`, `U`, `D`) "
        "when the statement reaches the target row (a delete a foreign key then blocks counts: access was "
        "granted); `·` when it runs but sees or changes nothing (row-level security filters the row out); "
        "`✗` when it is refused with SQLSTATE 42501 (no privilege, or the new row fails the policy).",
        "",
        "| table | " + " | ".join(ACTORS) + " |",
        "|---|" + "---|" * len(ACTORS),
    ]
    for t in tables:
        row = []
        for a in ACTORS:
            marks = [LEGEND[by_key[(t, a, x)]] or x[0].upper() for x in ACTIONS]
            row.append("`" + " ".join(marks) + "`")
        lines.append(f"| {t} | " + " | ".join(row) + " |")
    lines.append(END)
    return "\n".join(lines) + "\n"


def readme_section(text: str) -> str | None:
    if START not in text or END not in text:
        return None
    start = text.index(START)
    end = text.index(END, start) + len(END)
    return text[start:end] + "\n"


def write_readme(path: Path = README) -> None:
    text = path.read_text(encoding="utf-8")
    section = readme_section(text)
    if section is None:
        text = text.rstrip("\n") + "\n\n" + render()
    else:
        start = text.index(START)
        text = text[:start] + render() + text[start + len(section):]
    path.write_text(text, encoding="utf-8")


def test_readme_shows_the_matrix() -> None:
    section = readme_section(README.read_text(encoding="utf-8"))
    if section != render():
        pytest.fail("README.md's access matrix section differs from tests/access_matrix.csv (or is missing); "
                    "regenerate it: .venv/bin/python -m tests.test_access_matrix --readme", pytrace=False)


# ----------------------------------------------------------------------------------- __main__
def main(argv: list[str]) -> int:
    if argv == ["--readme"]:
        write_readme()
        print(f"README.md: access matrix section written ({len(CELLS)} cells)")
        return 0
    if argv == ["--print"]:
        sys.stdout.write(render())
        return 0
    print("usage: python -m tests.test_access_matrix --readme | --print", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

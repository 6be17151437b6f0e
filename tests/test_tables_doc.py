"""docs/tables.md and the trigger list of docs/triggers.md are what tools/tables_doc.py makes of the migrated
catalog and this tree; every trigger falls in one band of the legend in docs/triggers.md."""
from __future__ import annotations

import psycopg
import pytest

from tools.tables_doc import COMMAND, ROOT, TABLES_MD, TRIGGERS_MD, band_of, bands, generate, public_tables, stale, triggers


def test_generated_docs_are_current(db: psycopg.Connection) -> None:
    out_of_date = stale(db)
    if out_of_date:
        pytest.fail(f"{', '.join(map(str, out_of_date))} out of date: run `{COMMAND}` and commit the result",
                    pytrace=False)


def test_every_trigger_falls_in_one_band(db: psycopg.Connection) -> None:
    legend = bands((ROOT / TRIGGERS_MD).read_text(encoding="utf-8"))
    assert {b.timing for b in legend} == {"before", "after"}, legend
    for a in legend:  # bands of one timing do not overlap
        assert not [b for b in legend if b is not a and b.timing == a.timing and b.low <= a.high and a.low <= b.high]
    lost = [f"{t.name} on {t.table} ({t.timing})" for t in triggers(db) if band_of(t, legend) is None]
    assert not lost, f"triggers in no band of docs/triggers.md (name them _NNN_… in a band, or add one): {lost}"


def test_the_index_covers_every_table_and_trigger(db: psycopg.Connection) -> None:
    docs = generate(db)
    tables_md, triggers_md = docs[TABLES_MD], docs[TRIGGERS_MD]
    tables = public_tables(db)
    assert len(tables) == 21
    sections = [line.removeprefix("### ") for line in tables_md.splitlines() if line.startswith("### ")]
    assert sorted(sections) == tables
    assert tables_md.count("- **Policies**: none") == 0, "a table without policy, or the policies are not read"
    trigs = triggers(db)
    assert len(trigs) > 60
    for t in trigs:
        assert f"| `{t.name}` |" in triggers_md and t.comment
        assert "**no band**" not in triggers_md


def test_a_new_trigger_makes_the_docs_stale(db: psycopg.Connection) -> None:
    assert not stale(db)
    db.execute("""create trigger _950_probe after insert on public.tasks
                  for each statement execute function private.tg__set_updated_at();
                  comment on trigger _950_probe on public.tasks is 'A probe.'""")
    assert set(stale(db)) == {TABLES_MD, TRIGGERS_MD}
    legend = bands((ROOT / TRIGGERS_MD).read_text(encoding="utf-8"))
    db.execute("create trigger _250_probe after insert on public.tasks "
               "for each statement execute function private.tg__set_updated_at()")
    assert [t.name for t in triggers(db) if band_of(t, legend) is None] == ["_250_probe"]

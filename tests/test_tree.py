"""The tree's hygiene: code and docs say why, not which issue asked (released migrations keep their words: they
are immutable), and bench/ runs without tests/ (what both need lives in the package, e.g. vic.pg_server)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ISSUE = re.compile(r"issues? ?#?[0-9]+|#[0-9]{1,2}\b", re.IGNORECASE)
SCANNED = ["README.md", "Makefile", "pyproject.toml", "bench", "db", "docs", "functions", "migrations", "policies",
           "python_client", "supabase", "tests", "tools"]
LAST_RELEASED_WITH_ISSUE_NUMBERS = 21  # migrations 0001-0021 were released before this rule
TEXT = {".md", ".py", ".sql", ".toml", ".csv", ".txt", ".cfg", ".ini", ".yml", ".yaml", ""}


def _files() -> list[Path]:
    out = []
    for name in SCANNED:
        top = ROOT / name
        for p in [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []:
            rel = p.relative_to(ROOT).as_posix()
            if (not p.is_file() or p.suffix not in TEXT or "__pycache__" in rel or rel.startswith("bench/results/")
                    or rel.startswith("supabase/.") or rel.startswith("supabase/migrations/")  # generated
                    or "/node_modules/" in rel):
                continue
            m = re.match(r"migrations/(\d{4})_", rel)
            if m and int(m.group(1)) <= LAST_RELEASED_WITH_ISSUE_NUMBERS:
                continue
            if rel == "python_client/vic/cli.py":  # the old single-module CLI, split into vic/cli/
                continue
            out.append(p)
    return out


def test_no_issue_numbers_in_code_or_docs() -> None:
    files = _files()
    assert len(files) > 100, "the scan sees too few files"
    hits = [f"{p.relative_to(ROOT)}:{n}: {line.strip()[:100]}"
            for p in files for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
            if ISSUE.search(line)]
    assert not hits, "say why instead of which issue asked:\n  " + "\n  ".join(hits)


def test_bench_does_not_import_tests() -> None:
    sources = sorted((ROOT / "bench").glob("*.py"))
    assert sources
    imports = [f"{p.relative_to(ROOT)}:{n}" for p in sources
               for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
               if re.match(r"\s*(from tests\b|import tests\b)", line)]
    assert not imports, f"bench/ imports from tests/ (move what it needs into bench/ or vic): {imports}"

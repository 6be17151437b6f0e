"""Running the `vic` CLI in tests: the caller's VIC_DATABASE_URL and VIC_AS never leak in."""
from __future__ import annotations

from typer.testing import CliRunner, Result

from vic.cli import app


def vic(*args: str, input: str | None = None, **env: str | None) -> Result:
    """Run `vic args…` in a 100-column terminal; env entries set (or, as None, unset) variables on top of the
    cleared two (and COLUMNS)."""
    return CliRunner().invoke(app, list(args), input=input,
                              env={"VIC_DATABASE_URL": None, "VIC_AS": None, "VIC_SUPABASE_URL": None,
                                   "VIC_SUPABASE_KEY": None, "COLUMNS": "100", **env})


def ok(*args: str) -> str:
    """Run `vic args…`, which must succeed; its output."""
    result = vic(*args)
    assert result.exit_code == 0, result.output
    return result.output


def one_error_line(result: Result) -> str:
    """A failed command's output: exit 1 and exactly one line `error: …`, never a traceback."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output, result.output
    return lines[0]

"""The RPC surface cannot drift: every function of schema public in the migrated database has a
VicClient method of the same name (keyword parameters = the SQL parameters without `p_`, optional
exactly where SQL has a default), a CLI command that calls it, and a `comment on function`; and
every VicClient method names an existing function."""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from vic.cli import app
from vic.client import VicClient

# VicClient members that are not RPCs.
LIFECYCLE = {"connect", "close"}
# Top-level CLI commands that call no RPC.
NON_RPC_COMMANDS = {"db", "demo", "supabase", "worker"}
DUMMY_ID = "00000000-0000-4000-8000-00000000abcd"


@dataclass(frozen=True)
class SqlFunction:
    name: str
    params: list[str]  # input parameters, in order
    n_defaults: int  # the last n_defaults params have a default
    comment: str | None

    @property
    def required(self) -> list[str]:
        return self.params[: len(self.params) - self.n_defaults]


def sql_functions(db: psycopg.Connection) -> dict[str, list[SqlFunction]]:
    """name -> functions of that name in schema public (a list, so that an overload shows up)."""
    rows = db.execute(
        """
        select p.proname, coalesce(p.proargnames, '{}'), coalesce(p.proargmodes::text[], '{}'),
               p.pronargs, p.pronargdefaults, obj_description(p.oid, 'pg_proc')
        from pg_proc p
        where p.pronamespace = 'public'::regnamespace
          and p.prokind in ('f', 'p')
          and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype)
          and not exists (select 1 from pg_depend d
                          where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        order by p.proname
        """
    ).fetchall()
    found: dict[str, list[SqlFunction]] = {}
    for name, argnames, argmodes, nargs, ndefaults, comment in rows:
        modes = argmodes or ["i"] * nargs
        params = [n for n, m in zip(argnames, modes, strict=False) if m in ("i", "b", "v")]
        assert len(params) == nargs, f"{name}: unnamed input parameters {argnames}"
        found.setdefault(name, []).append(SqlFunction(name, params, ndefaults, comment))
    return found


def sql_name(python_name: str) -> str:
    """The SQL parameter (without `p_`) a method parameter stands for: itself, or a Python keyword with the
    trailing underscore PEP 8 gives it (`from_` for `p_from`)."""
    stem = python_name.removesuffix("_")
    return stem if python_name.endswith("_") and keyword.iskeyword(stem) else python_name


def client_methods() -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(VicClient).items()
        if inspect.isfunction(member) and not name.startswith("_") and name not in LIFECYCLE
    }


@pytest.fixture
def functions(db: psycopg.Connection) -> dict[str, SqlFunction]:
    found = sql_functions(db)
    assert found, "no function in schema public"
    overloaded = sorted(name for name, fns in found.items() if len(fns) > 1)
    assert not overloaded, f"overloaded functions (PostgREST cannot choose): {overloaded}"
    return {name: fns[0] for name, fns in found.items()}


def test_every_function_has_a_comment_and_p_parameters(functions: dict[str, SqlFunction]) -> None:
    assert [f.name for f in functions.values() if not (f.comment or "").strip()] == []
    assert {f.name: p for f in functions.values() for p in f.params if not p.startswith("p_")} == {}


def test_functions_and_client_methods_match_one_to_one(functions: dict[str, SqlFunction]) -> None:
    methods = client_methods()
    assert sorted(set(functions) - set(methods)) == [], "functions without a VicClient method"
    assert sorted(set(methods) - set(functions)) == [], "VicClient methods naming no function"


def test_method_parameters_are_the_sql_parameters(functions: dict[str, SqlFunction]) -> None:
    for name, signature in client_methods().items():
        function = functions[name]
        params = [p for p in signature.parameters.values() if p.name != "self"]
        assert [sql_name(p.name) for p in params] == [p.removeprefix("p_") for p in function.params], name
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params), f"{name}: keyword-only parameters"
        # optional in Python exactly where SQL has a default, and None, so that the SQL default applies
        optional = [sql_name(p.name) for p in params if p.default is not inspect.Parameter.empty]
        assert optional == [p.removeprefix("p_") for p in function.params[len(function.required):]], name
        assert all(p.default is None for p in params if sql_name(p.name) in optional), f"{name}: defaults must be None"
        assert inspect.getdoc(getattr(VicClient, name)), f"{name}: no docstring"


class Recorder:
    """A transport that records calls and answers one made-up row."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(self, function: str, args: Mapping[str, Any]) -> list[dict[str, Any]]:
        self.calls.append((function, dict(args)))
        return [{"id": "row"}]

    def close(self) -> None:
        pass


def test_each_method_calls_its_function_with_p_arguments(functions: dict[str, SqlFunction]) -> None:
    for name, signature in client_methods().items():
        recorder = Recorder()
        kwargs = {p: "x" for p in signature.parameters if p != "self"}
        getattr(VicClient(recorder), name)(**kwargs)
        assert [(f, sorted(a)) for f, a in recorder.calls] == [(name, sorted(functions[name].params))]
        # and None means "not sent", so that SQL defaults apply
        recorder.calls.clear()
        required = {p: "x" for p, spec in signature.parameters.items()
                    if p != "self" and spec.default is inspect.Parameter.empty}
        getattr(VicClient(recorder), name)(**required)
        assert sorted(recorder.calls[0][1]) == sorted(functions[name].required), name


def leaf_commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in sorted(getattr(group, "commands", {}).items()):
        if not path and name in NON_RPC_COMMANDS:
            continue
        if getattr(command, "commands", None) is not None:
            yield from leaf_commands(command, (*path, name))
        else:
            yield (*path, name), command


def required_args(command: Any) -> list[str]:
    """Command-line arguments filling every required parameter with a plausible value."""
    args: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        # every required parameter so far is text (an id, a kind, a level) or a flag pair
        # the CLI reads amounts, percentages and times itself: a plausible one of each
        value = {"AMOUNT": "1000", "PERCENT": "10", "WHEN": "2026-12-01T14:30"}.get(param.metavar or "", DUMMY_ID)
        if param.param_type_name == "argument":
            args.append(value)
        elif getattr(param, "is_flag", False):
            args.append(param.opts[0])
        else:
            args.extend([param.opts[0], value])
    return args


def test_every_function_has_a_cli_command_that_calls_it(
    functions: dict[str, SqlFunction], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    monkeypatch.setattr(VicClient, "connect", classmethod(lambda cls, url, **acting: cls(recorder)))
    # the CLI builds its client through from_config (the transport the configuration picks)
    monkeypatch.setattr(VicClient, "from_config", classmethod(lambda cls, **config: cls(recorder)), raising=False)
    called_by: dict[str, list[str]] = {}
    for path, command in leaf_commands(get_command(app)):
        recorder.calls.clear()
        argv = [*path, *required_args(command)]
        result = CliRunner().invoke(app, argv, env={"VIC_DATABASE_URL": "postgresql://unused/x", "VIC_AS": None})
        assert result.exit_code == 0, f"vic {' '.join(argv)}: {result.output}"
        # a command that writes listings or requests then runs the matcher (vic.cli._matching_client)
        called = [function for function, _ in recorder.calls
                  if function != "process_match_events" or path == ("match", "drain")]
        assert len(called) == 1, f"vic {' '.join(path)} should call one function, called {called}"
        called_by.setdefault(called[0], []).append(" ".join(path))
    assert sorted(set(functions) - set(called_by)) == [], "functions no CLI command calls"
    assert sorted(set(called_by) - set(functions)) == [], "CLI commands calling no existing function"

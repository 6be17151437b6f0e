"""Every `vic` command, driven once through a story on the demo seed, with `--json` parsed; a new command
without an invocation here fails `test_every_command_is_driven`. Then the tables at 80 and 100 columns, and
a table of bad inputs: one `error:` line naming the problem, exit 1, nothing written."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.main import get_command

from tests.cli_run import one_error_line, vic
from vic import migrate
from vic.cli import app
from vic.cli.common import describe
from vic.errors import AccessDenied

OWNER = "00000000-0000-4000-8000-000000000001"
BROKER = "00000000-0000-4000-8000-000000000101"  # Moda Emlak
AGENT = "00000000-0000-4000-8000-000000000103"  # Moda Emlak: the listing agent of the story
OTHER_AGENT = "00000000-0000-4000-8000-000000000202"  # Boğaziçi Gayrimenkul: the buying agent
SELIN, EMRE, JAMES = ("00000000-0000-4000-8000-000000000301", "00000000-0000-4000-8000-000000000302",
                      "00000000-0000-4000-8000-000000000303")
LEAD_SESSION = "00000000-0000-4000-8000-000000000502"
NO_ONE = "00000000-0000-4000-8000-00000000dead"
TESTS = Path(__file__).parent

# Commands this story leaves to the test that owns them: they act on the local server, replace the
# process (psql), undo the whole schema, or write the source tree. The check below reads that those tests call them.
ELSEWHERE = {
    ("db", "up"): "test_cli.py", ("db", "down"): "test_cli.py", ("db", "rollback"): "test_cli.py",
    ("db", "reset"): "test_cli.py", ("db", "psql"): "test_cli.py",
    ("supabase", "build"): "test_supabase_project.py",  # writes supabase/migrations/ of the tree
}


def leaf_commands(group: Any = None, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every command `vic --help` lists, recursively, as paths."""
    group = group if group is not None else get_command(app)
    found: set[tuple[str, ...]] = set()
    for name, command in group.commands.items():
        if getattr(command, "commands", None) is not None:
            found |= leaf_commands(command, (*path, name))
        else:
            found.add((*path, name))
    return found


class Story:
    """Runs `vic` on one database, each call as JSON unless told otherwise; records which commands ran."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ran: set[tuple[str, ...]] = set()
        self.commands = leaf_commands()

    def _path(self, args: tuple[str, ...]) -> tuple[str, ...]:
        for i in range(len(args)):
            for n in (2, 1):
                if tuple(args[i:i + n]) in self.commands:
                    return tuple(args[i:i + n])
        raise AssertionError(f"no command in {args}")

    def run(self, *args: str, as_json: bool = True, columns: str = "100") -> Any:
        """`vic args… --database-url URL [--json]`: must succeed; the parsed JSON (or the text)."""
        self.ran.add(self._path(args))
        result = vic(*args, "--database-url", self.url, *(["--json"] if as_json else []), COLUMNS=columns)
        assert result.exit_code == 0, f"vic {' '.join(args)}: {result.output}"
        if not as_json:
            return result.stdout
        text = result.stdout.strip()
        return json.loads(text) if text else None


def soon(days: int, hour: int = 10) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime(f"%Y-%m-%dT{hour:02d}:00")


@pytest.fixture
def seeded(db_url: str) -> str:
    migrate.load_seed(db_url)
    return db_url


def test_every_command_is_driven(seeded: str, db: psycopg.Connection) -> None:
    s = Story(seeded)
    one = lambda sql, *args: db.execute(sql, args).fetchone()[0]  # noqa: E731

    # ---------------------------------------------------------------- the database (admin commands)
    assert s.run("db", "url")["url"] == seeded
    assert all(m["applied"] for m in s.run("db", "status"))
    assert s.run("db", "migrate")["applied"] == []
    assert s.run("db", "seed")["loaded"].endswith("seed.sql")

    # ---------------------------------------------------------------- contacts and agents
    assert s.run("--as", OWNER, "contact", "whoami")["authority"] == "owner"
    new = s.run("--service-role", "contact", "upsert", "--phone", "+905551239999", "--display-name", "Deniz")["id"]
    assert s.run("--service-role", "contact", "consent", "transfer", "--grant", "--contact-id", new)["consent_transfer"]
    assert [c["consent"] for c in s.run("--as", new, "contact", "consents")] == ["transfer"]
    assert s.run("--service-role", "contact", "window", new)["window_open"] is False
    assert s.run("--service-role", "contact", "window-open", new) == {"contact_id": new, "window_open": False}
    assert s.run("--service-role", "contact", "status", new, "consent_pending")["onboarding_status"] == "consent_pending"
    assert s.run("--service-role", "contact", "change-phone", new, "+905551239998")["phone"] == "+905551239998"
    assert s.run("--service-role", "contact", "change-bsuid", new, "TR.deniz01")["bsuid"] == "TR.deniz01"
    assert len(s.run("--service-role", "contact", "identity-history", new)) == 2
    assert s.run("--service-role", "contact", "names", new) == [{"contact_id": new, "display_name": "Deniz"}]
    assert s.run("--as", OWNER, "agent", "set-role", new, "agent", "--office", "Moda Emlak")["role"] == "agent"
    assert s.run("--as", new, "agent", "update", "--territory", "Kadıköy", "--target-monthly", "2")["territory"] \
        == "Kadıköy"

    # ---------------------------------------------------------------- listings and visibility
    listing = ("listing", "create", "--type", "daire", "--for", "sale", "--district", "Kadıköy", "--rooms", "3+1")
    pid = s.run("--as", AGENT, *listing, "--title", "Moda'da 3+1, bahçeli", "--price", "12.500.000",
                "--floor", "11.000.000", "--commission-rate", "2")["id"]
    other = s.run("--as", AGENT, *listing, "--title", "Fenerbahçe'de 3+1", "--price", "14_000_000")["id"]
    assert s.run("--as", AGENT, "listing", "update", pid, "--price", "12.400.000")["listed_price"] == 12_400_000
    media = [s.run("--as", AGENT, "listing", "media-add", pid, "photo", f"portfolios/{pid}/{n}.jpg")["id"]
             for n in ("a", "b")]
    reordered = s.run("--as", AGENT, "listing", "media-reorder", pid, media[1], media[0])
    assert [m["id"] for m in reordered] == [media[1], media[0]]
    assert s.run("--as", AGENT, "listing", "deactivate", other)["status"] == "inactive"
    assert s.run("--as", AGENT, "listing", "reactivate", other)["status"] == "active"
    assert pid in [c["id"] for c in s.run("--as", OTHER_AGENT, "listing", "search", "kadikoy daire")]
    assert s.run("--as", AGENT, "visibility", "grant", pid, OTHER_AGENT, "partial")["visibility_level"] == "partial"
    assert s.run("--as", OTHER_AGENT, "visibility", "cards", pid)[0]["visibility_level"] == "partial"

    # ---------------------------------------------------------------- requests and matching
    wish = ("--district", "Kadıköy", "--type", "daire", "--rooms", "3+1")
    rid = s.run("--service-role", "request", "create", "buy", *wish, "--max-price", "13.000.000",
                "--customer-id", EMRE)["id"]
    assert s.run("--as", OWNER, "request", "assign", rid, "--agent-id", OTHER_AGENT)["assigned_agent"] == OTHER_AGENT
    assert s.run("--as", OTHER_AGENT, "request", "criteria", rid, *wish, "--max-price", "13.500.000")["criteria"][
        "max_price"] == 13_500_000
    assert isinstance(s.run("--as", BROKER, "request", "churn"), list)
    spare = s.run("--as", SELIN, "request", "create", "rent", "--district", "Üsküdar")["id"]
    assert s.run("--as", SELIN, "request", "close", spare)["status"] == "closed"
    assert s.run("--superuser", "match", "drain") == {"processed": 0}  # the CLI drained after each write
    assert s.run("--superuser", "match", "lag")["pending"] == 0
    assert {r["criterion"] for r in s.run("--as", OTHER_AGENT, "match", "explain", pid, rid)} >= {"district", "type"}
    assert isinstance(s.run("--as", BROKER, "market", "unmet", "--since", "2000-01-01"), list)
    match_id = str(one("select id from public.portfolio_request_matches where portfolio_id = %s and request_id = %s",
                       pid, rid))
    # reads: the matches the request's agent is a party to; the listing at each side's level
    assert match_id in [m["match_id"] for m in s.run("--as", OTHER_AGENT, "match", "list", "--request", rid)]
    assert s.run("--as", AGENT, "listing", "show", pid)["min_price"] == 11_000_000
    assert s.run("--as", OTHER_AGENT, "listing", "show", pid)["min_price"] is None
    assert s.run("--as", OTHER_AGENT, "request", "show", rid)["match_count"] >= 1
    assert rid in [r["request_id"] for r in s.run("--as", OTHER_AGENT, "request", "list")]
    assert s.run("--service-role", "contact", "show", EMRE)["contact_id"] == EMRE

    # ---------------------------------------------------------------- WhatsApp: notifications and the inbox
    ingest = ("--service-role", "inbox", "ingest", "--direction", "inbound", "--text", "Merhaba")
    assert s.run(*ingest, "--wa-id", "wamid.EMRE1", "--from", "+905551230002")["is_new"] is True
    shared = s.run("--as", OTHER_AGENT, "notify", "share", match_id)
    handed = s.run("--service-role", "notify", "claim", "--batch", "500")
    assert shared["notification_id"] in [n["id"] for n in handed]
    sent = s.run("--service-role", "notify", "sent", shared["notification_id"], "wamid.OUT1")
    assert sent["delivered_at"] is not None
    for n, phone in ((2, "+905551230001"), (3, "+447700900123")):
        s.run(*ingest, "--wa-id", f"wamid.IN{n}", "--from", phone)
    claimed = [m["id"] for m in s.run("--service-role", "inbox", "claim", "--worker", "w1", "--batch", "10")]
    assert len(claimed) >= 3  # ours and the seed's waiting ones
    assert s.run("--service-role", "inbox", "ack", claimed[0], "--worker", "w1")["id"] == claimed[0]
    assert len(s.run("--service-role", "inbox", "ack-batch", claimed[1], *claimed[3:], "--worker", "w1")) == \
        len(claimed) - 2
    assert s.run("--service-role", "inbox", "release", claimed[2], "--worker", "w1", "--error", "LLM zaman aşımı")
    assert s.run("--service-role", "inbox", "claim", "--worker", "w1", "--max-attempts", "1") == []  # now dead
    assert claimed[2] in [m["id"] for m in s.run("--as", OWNER, "inbox", "dead")]
    assert s.run("--as", OWNER, "inbox", "requeue", claimed[2])["id"] == claimed[2]
    assert isinstance(s.run("--service-role", "nudge", "claim"), list)

    # ---------------------------------------------------------------- bot sessions, export
    slots = s.run("--service-role", "session", "slots", LEAD_SESSION, "--intent", "rent", "--district", "Beşiktaş",
                  "--type", "daire", "--rooms", "2+1", "--max-price", "45.000")
    assert slots["max_price"] == 45_000
    assert s.run("--service-role", "session", "show", LEAD_SESSION)["id"] == LEAD_SESSION
    assert s.run("--service-role", "session", "extract", LEAD_SESSION)["request_type"] == "rent"
    active = one("select id from public.sessions where status = 'active' limit 1")
    assert s.run("--service-role", "session", "close", str(active))["status"] == "closed"
    exported = vic("--as", OWNER, "export", "training", "--json", "--database-url", seeded)
    s.ran.add(("export", "training"))
    assert exported.exit_code == 0 and all(json.loads(line)["messages"] for line in exported.stdout.splitlines())

    # ---------------------------------------------------------------- a deal from the match to its close
    did = s.run("--as", OTHER_AGENT, "deal", "open", "--match", match_id)["id"]
    showing = s.run("--as", AGENT, "showing", "schedule", did, soon(3), "--duration", "60")["id"]
    moved = s.run("--as", AGENT, "showing", "reschedule", showing, soon(4, 11))
    assert moved["scheduled_at"].endswith("+03:00")  # Istanbul time, offset kept
    assert s.run("--as", AGENT, "showing", "cancel", showing)["status"] == "cancelled"
    begun = one("""insert into public.showings (portfolio_id, agent_id, customer_id, buying_agent_id, deal_id,
                                                 scheduled_at)
                   select portfolio_id, listing_agent_id, customer_id, buying_agent_id, id, now()
                   from public.deals where id = %s returning id""", did)
    assert s.run("--as", AGENT, "showing", "shown", str(begun))["certificate_id"]
    low = s.run("--as", OTHER_AGENT, "deal", "offer", did, "12.000.000")["id"]
    assert s.run("--as", AGENT, "deal", "reject", low)["status"] == "rejected"
    offer = s.run("--as", OTHER_AGENT, "deal", "offer", did, "12.300.000")["id"]
    counter = s.run("--as", AGENT, "deal", "counter", offer, "12.350.000")["id"]
    assert s.run("--as", OTHER_AGENT, "deal", "accept", counter)["status"] == "accepted"
    assert s.run("--as", AGENT, "deal", "close", did)["status"] == "closing"
    s.run("--as", AGENT, "deal", "confirm", did)
    assert s.run("--as", OTHER_AGENT, "deal", "confirm", did)["outcome"] == "closed"

    # ---------------------------------------------------------------- commissions
    assert {r["deal_kind"] for r in s.run("--as", OWNER, "commission", "split")} == {"single", "cross"}
    assert s.run("--as", OWNER, "commission", "set-split", "cross", "--listing", "45", "--buying", "45",
                 "--platform", "10")["platform_rate"] == 10
    commission = one("select id from public.platform_commissions where deal_id = %s and role = 'platform'", did)
    assert s.run("--as", OWNER, "commission", "status", str(commission), "invoiced")["status"] == "invoiced"
    # reads: the closed deal in full, each side's commission rows
    assert did in [d["deal_id"] for d in s.run("--as", AGENT, "deal", "list", "--status", "closed")]
    assert {c["role"] for c in s.run("--as", AGENT, "deal", "show", did)["commissions"]} == {"listing", "buying", "platform"}
    assert {c["role"] for c in s.run("--as", OTHER_AGENT, "commission", "list")} == {"buying"}

    # ---------------------------------------------------------------- stale work and tasks
    dead_end = s.run("--as", OWNER, "deal", "open", "--listing", other, "--customer", SELIN)["id"]
    assert s.run("--as", AGENT, "deal", "cancel", dead_end, "--reason", "Müşteri vazgeçti")["status"] == "cancelled"
    stale = [s.run("--as", OWNER, "deal", "open", "--listing", other, "--customer", who)["id"] for who in (EMRE, JAMES)]
    db.execute("update public.deals set last_activity_at = now() - interval '9 days' where id = any(%s::uuid[])",
               (stale,))
    assert set(stale) <= {d["id"] for d in s.run("--as", AGENT, "task", "stale", "--idle", "7")}
    tasks = [t["task_id"] for t in s.run("--service-role", "task", "followups")]
    assert len(tasks) >= 2
    assert s.run("--as", AGENT, "task", "done", tasks[0])["status"] == "done"
    assert s.run("--as", AGENT, "task", "cancel", tasks[1])["status"] == "cancelled"
    assert tasks[0] not in [t["task_id"] for t in s.run("--as", AGENT, "task", "list")]  # reads: open ones

    # ---------------------------------------------------------------- the admin views
    s.run("demo", as_json=False)
    s.run("--superuser", "worker", "--once", as_json=False)

    missing = leaf_commands() - s.ran - set(ELSEWHERE)
    assert not missing, f"commands no test drives: {sorted(' '.join(p) for p in missing)}"
    for path, test_file in ELSEWHERE.items():
        assert re.search(rf'"{path[0]}",\s*"{path[1]}"', (TESTS / test_file).read_text()), (path, test_file)

    # ---------------------------------------------------------------- tables fit 80 and 100 columns
    for args in (("--as", OWNER, "contact", "whoami"), ("--service-role", "contact", "consents", new),
                 ("--service-role", "contact", "window", new), ("--service-role", "contact", "identity-history", new),
                 ("--as", OTHER_AGENT, "visibility", "cards"), ("--as", OTHER_AGENT, "listing", "search", "daire"),
                 ("--as", BROKER, "request", "churn"), ("--superuser", "match", "explain", "2026-001", "00000000-0000-4000-8000-000000000601"),
                 ("--superuser", "match", "lag"), ("--as", BROKER, "market", "unmet", "--since", "2000-01-01"),
                 ("--as", OWNER, "commission", "split"), ("--as", AGENT, "task", "stale"),
                 ("--as", OWNER, "inbox", "dead"), ("--service-role", "session", "show", LEAD_SESSION),
                 ("--as", OWNER, "export", "training"), ("db", "status")):
        for columns in (80, 100):
            text = s.run(*args, as_json=False, columns=str(columns))
            wide = [line for line in text.splitlines() if len(line) > columns]
            assert not wide, f"vic {' '.join(args)} at {columns} columns: {wide[:3]}"


# ---------------------------------------------------------------------------------------- bad inputs
def row_counts(db: psycopg.Connection) -> dict[str, int]:
    tables = [t for (t,) in db.execute("select tablename from pg_tables where schemaname = 'public' order by 1")]
    return {t: db.execute(f"select count(*) from public.{t}").fetchone()[0] for t in tables}


DEAL = "00000000-0000-4000-8000-0000000fd001"
BAD = [
    (["listing", "create", "--type", "daire", "--for", "sale", "--title", "x", "--district", "Kadıköy",
      "--rooms", "3+1", "--price", "12,500,000"], "--price: 12,500,000 is not an amount; write 12.500.000"),
    (["listing", "create", "--type", "daire", "--for", "sale", "--title", "x", "--district", "Kadıköy",
      "--rooms", "3+1", "--price", "9" * 30], "--price: " + "9" * 30 + " is far too large an amount"),
    (["listing", "search", "--limit", "9" * 20], "--limit: " + "9" * 20 + " is far too large a number"),
    (["task", "stale", "--idle", "9" * 20], "--idle: " + "9" * 20 + " days is far too long"),
    (["deal", "offer", "not-a-deal", "1000"], "DEAL_ID: not an id"),
    (["contact", "names", "00000000-0000-4000-8000-000000000601", "nope"], "CONTACT_ID...: not an id"),
    (["request", "assign", "00000000-0000-4000-8000-000000000601", "--agent-id", "ahmet"], "--agent-id: not an id"),
    (["showing", "schedule", DEAL, "tomorrow"], "WHEN: 'tomorrow' is not a date and time"),
    (["showing", "schedule", DEAL, "2026-12-01"], "WHEN: '2026-12-01' is not a date and time"),
    (["market", "unmet", "--since", "31.12.2026"], "--since: '31.12.2026' is not a date or time"),
    (["commission", "set-split", "single", "--listing", "%90", "--platform", "10"], "--listing: '%90' is not a"),
    (["--database-url", "postgres//nowhere", "contact", "whoami"], "--database-url: not a PostgreSQL URL"),
    (["--database-url", "host=127.0.0.1 port=notaport", "contact", "whoami"], 'invalid integer value "notaport"'),
    (["--as", "+905551230001", "contact", "whoami"], "--as: not a contact id"),
    (["--as", NO_ONE, "contact", "whoami"], f"--as {NO_ONE}: no such contact"),
    (["contact", "whoami"], "not allowed: nobody (no --as, --service-role or --superuser) may not call whoami"),
    (["--as", EMRE, "--superuser", "contact", "whoami"], "exclude each other"),
    (["listing", "create", "--type", "daire"], "--for is missing"),
    (["--as", EMRE, "agent", "set-role", EMRE, "admin"], f"not allowed: contact {EMRE} (--as): only admins"),
    (["--as", AGENT, "listing", "create", "--type", "daire", "--for", "sale", "--title", "x", "--district",
      "Kadıköy", "--rooms", "3+1", "--price", "0"], "--price must be a positive whole amount"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[f"{i}-{m[:24]}" for i, (_, m) in enumerate(BAD)])
def test_bad_input_is_one_line_and_writes_nothing(seeded: str, db: psycopg.Connection, argv: list[str],
                                                  message: str) -> None:
    before = row_counts(db)
    url = [] if "--database-url" in argv else ["--database-url", seeded]
    line = one_error_line(vic(*argv, *url))
    assert message.lower() in line.lower(), line
    assert row_counts(db) == before


def test_global_options_go_anywhere(seeded: str) -> None:
    before = vic("--as", OWNER, "--json", "--database-url", seeded, "contact", "whoami")
    after = vic("contact", "whoami", "--database-url", seeded, "--json", "--as", OWNER)
    assert before.exit_code == after.exit_code == 0, (before.output, after.output)
    assert json.loads(before.stdout) == json.loads(after.stdout) == {
        "contact_id": OWNER, "authority": "owner", "office": None}


def test_version_and_help_read_like_a_map() -> None:
    version = vic("--version")
    assert version.exit_code == 0 and re.fullmatch(r"vic \S+\n", version.stdout)
    text = vic("--help", COLUMNS="100").stdout
    assert not re.search(r"\b(TEXT|INTEGER|FLOAT|<bool>|<int>|<str>)\b", text), text
    order = [re.search(rf"│ {name} ", text).start() for name in ("contact", "listing", "request", "deal", "db")]
    assert order == sorted(order) and "anon" in text
    for path in leaf_commands():
        text = vic(*path, "--help", COLUMNS="100").stdout
        assert not re.search(r"\b(TEXT|INTEGER|FLOAT|<bool>|<int>|<str>)\b", text), (path, text)
        assert "Global options" in text, path


def test_a_refusal_is_in_the_users_terms() -> None:
    rls = AccessDenied('new row violates row-level security policy for table "portfolios"', sqlstate="42501")
    assert "violates" not in describe(rls) and "may not write this row of portfolios" in describe(rls)
    grant = AccessDenied("permission denied for function whoami", sqlstate="42501")
    assert describe(grant).startswith("not allowed: nobody") and "--as CONTACT_ID" in describe(grant)


def test_the_demo_hints_work_when_copied(seeded: str) -> None:
    shown = vic("demo", "--database-url", seeded, COLUMNS="100")
    assert shown.exit_code == 0, shown.output
    hints = [line[line.index("vic "):] for line in shown.stdout.splitlines() if re.search(r"(^|: )vic ", line)]
    assert hints, "the demo prints no command to try"
    for hint in hints:
        import shlex

        argv = shlex.split(hint)[1:]
        result = vic(*argv, "--database-url", seeded)
        assert result.exit_code == 0, f"{hint}: {result.output}"


def test_an_unknown_contact_is_no_identity(seeded: str) -> None:
    """What SQL says of an id that is no contact: whoami names it, with no authority (the CLI refuses it)."""
    with psycopg.connect(seeded) as conn, conn.transaction():
        conn.execute("set local role authenticated")
        conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps({"sub": NO_ONE,
                                                                                      "role": "authenticated"}),))
        assert conn.execute("select contact_id::text, authority from public.whoami()").fetchone() == (NO_ONE, None)
    assert uuid.UUID(NO_ONE)

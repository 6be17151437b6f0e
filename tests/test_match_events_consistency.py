"""The matcher under fire: match events written by eight connections, drained by two workers, one killed mid-batch.

Eight real connections (threads, each its own psycopg connection, as the superuser: a trusted
session, so the API's rules of who may file what do not stand in the way of a test about matching) create,
change, deactivate and close listings and requests of a small Istanbul cast (two offices) at random for
DURATION seconds, single-row and multi-row statements, one or several statements per transaction. Two workers
drain at the same time, each looping `select public.process_match_events(50)` in its own transaction (one as
service_role, the bot; one as the owner). One third into the run, the second worker takes a batch and, before
it commits, holds it (`pg_sleep` in the same transaction); a third connection sees those events locked
(`for update skip locked` finds none of them) and still pending, and terminates the worker with
`pg_terminate_backend`. The worker reconnects and goes on, as a supervisor would restart it. The last quarter
of the run writes listings only, so that an event the matcher drops late is not healed by a later request
event (a request's event rematches all its listings) and shows in (a).

After the writers stop and a final drain:

(a) the matches equal a full recomputation from the rules of docs/matching.md, written here in SQL from the
    final tables and independently of the matcher's code path (no match keys, no pair_criteria: the request's
    criteria JSON, the listing's columns and its confidential floor through guard.floor_band), set-wise with
    match_score;
(b) every agent got exactly one pending match notification per event that concerned it: the agents that an
    event had to notify are those of the match rows it created (logged by a test trigger on the matches with
    the writing transaction; a notification names its event in `buttons`), each has exactly one notification
    of that event, no one else has one, and the notifications of a matcher transaction announce exactly the
    new pairs it wrote for each agent;
(c) no event is left pending and none was processed twice: a test trigger logs every change of an event's
    processed_at with its transaction; each event has exactly one committed change (null -> a time), and the
    killed worker's transaction left none (it rolled back: its events were taken again, later, by another
    transaction).

Seeded (printed; VIC_CONSISTENCY_SEED replays the draws, VIC_CONSISTENCY_SECONDS sets the duration). It fails
when the matcher drops one portfolio event in 300, notifies per pair instead of per agent and event, or claims
without the lock and skip locked (events processed twice).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter

import psycopg
import pytest
from psycopg import errors

DURATION = float(os.environ.get("VIC_CONSISTENCY_SECONDS", "12"))
WRITERS = 8
BATCH = 50
SEED = int(os.environ.get("VIC_CONSISTENCY_SEED", str(random.randrange(1 << 30))))

MODA, BOGAZICI = "Moda Emlak", "Boğaziçi Gayrimenkul"
DISTRICTS = ["Kadıköy", "Beşiktaş", "Şişli", "Üsküdar"]
# how a request may name them (stored canonical; the matcher compares Turkish-normalised forms)
DISTRICT_SPELLINGS = {"Kadıköy": ["Kadıköy", "kadikoy"], "Beşiktaş": ["Beşiktaş", "besiktas"],
                      "Şişli": ["Şişli", "sisli"], "Üsküdar": ["Üsküdar", "USKUDAR"]}
TYPES = ["daire", "villa", "arsa"]  # land has no rooms
ROOMS = ["1+1", "2+1", "3+1", "4+1"]
# per (listing type, currency): the listed prices drawn from
PRICES = {("sale", "TRY"): (5_000_000, 20_000_000), ("sale", "USD"): (150_000, 600_000),
          ("rent", "TRY"): (20_000, 80_000)}


def _id(kind: int, n: int) -> str:
    return f"00000000-0000-4000-b312-{kind:04d}{n:08d}"


AGENTS = {MODA: [_id(1, n) for n in range(3)], BOGAZICI: [_id(1, n) for n in range(3, 6)]}
BROKERS = {MODA: _id(2, 0), BOGAZICI: _id(2, 1)}
ALL_AGENTS = [a for office in AGENTS.values() for a in office]
CUSTOMERS = [_id(3, n) for n in range(24)]
ADMIN = _id(4, 0)

# ------------------------------------------------------------------------------------- test probes
# Written into the test's own copy of the database (never a migration): logs of what committed.
PROBES = """
create schema vic_test;
-- every change of an event's processed_at, with the transaction that made it (a rolled-back transaction's
-- rows roll back with it)
create table vic_test.event_marks (
  event_id bigint not null, old_processed_at timestamptz, new_processed_at timestamptz,
  txid bigint not null default txid_current(), at timestamptz not null default clock_timestamp());
create function vic_test.tg_mark() returns trigger language plpgsql security definer set search_path = '' as $$
begin
  if new.processed_at is distinct from old.processed_at then
    insert into vic_test.event_marks (event_id, old_processed_at, new_processed_at)
    values (new.id, old.processed_at, new.processed_at);
  end if;
  return null;
end $$;
create trigger vic_test_mark after update on private.match_events for each row execute function vic_test.tg_mark();
-- every match row written (inserted), with its notified agent and the transaction that wrote it
create table vic_test.match_inserts (
  portfolio_id text not null, request_id uuid not null, notified_agent_id uuid, match jsonb not null,
  txid bigint not null default txid_current());
create function vic_test.tg_match_insert() returns trigger language plpgsql security definer set search_path = '' as $$
begin
  insert into vic_test.match_inserts (portfolio_id, request_id, notified_agent_id, match)
  values (new.portfolio_id, new.request_id, new.notified_agent_id, to_jsonb(new));
  return null;
end $$;
create trigger vic_test_match_insert after insert on public.portfolio_request_matches
  for each row execute function vic_test.tg_match_insert();
-- every pending notification written, with the transaction that wrote it
create table vic_test.notification_inserts (
  id uuid not null, contact_id uuid not null, kind text not null, body text, event_id bigint,
  txid bigint not null default txid_current());
create function vic_test.tg_notification_insert() returns trigger
  language plpgsql security definer set search_path = '' as $$
begin
  insert into vic_test.notification_inserts (id, contact_id, kind, body, event_id)
  values (new.id, new.contact_id, new.kind, new.body, (new.buttons -> 0 ->> 'event')::bigint);
  return null;
end $$;
create trigger vic_test_notification_insert after insert on public.pending_notifications
  for each row execute function vic_test.tg_notification_insert();
grant usage on schema vic_test to public;
"""

# ------------------------------------------------------------------------------------- the rules
# The matches the final tables must hold, from docs/matching.md, independently of the matcher: criteria
# read from the request's JSON (districts compared Turkish-normalised), the floor from
# portfolio_confidential through guard.floor_band (the one place of the band), no match keys, no view of
# the matcher.
EXPECTED = """
with req as (
  select r.id, r.request_type,
         coalesce(r.criteria ->> 'currency', 'TRY') as currency,
         case when r.criteria ? 'districts'
              then array(select guard.tr_norm(d)
                         from jsonb_array_elements_text(r.criteria -> 'districts') d) end as districts,
         case when r.criteria ? 'types'
              then array(select t from jsonb_array_elements_text(r.criteria -> 'types') t) end as types,
         case when r.criteria ? 'rooms'
              then array(select x from jsonb_array_elements_text(r.criteria -> 'rooms') x) end as rooms,
         (r.criteria ->> 'min_price')::bigint as min_price,
         (r.criteria ->> 'max_price')::bigint as max_price
  from public.requests r
  where r.status <> 'closed'),
lst as (
  select l.id, l.listing_type, l.currency, guard.tr_norm(l.district) as district, l.type, l.rooms, l.listed_price,
         coalesce(guard.floor_band(c.min_price, l.listed_price), l.listed_price) as floor_band
  from public.portfolios l
  left join public.portfolio_confidential c on c.portfolio_id = l.id
  where l.status = 'active'),
pairs as (
  select l.id as portfolio_id, r.id as request_id,
         (r.districts is null or l.district = any (r.districts)) as district_ok,
         (r.types is null or l.type = any (r.types)) as type_ok,
         (r.rooms is null or coalesce(l.rooms = any (r.rooms), false)) as rooms_ok,
         ((r.max_price is null or l.floor_band <= r.max_price)
          and (r.min_price is null or l.listed_price >= r.min_price)) as reachable_ok,
         (r.max_price is null or l.listed_price <= r.max_price) as within_budget_ok
  from lst l
  join req r on l.listing_type = case r.request_type when 'buy' then 'sale' else 'rent' end
            and l.currency = r.currency)
select portfolio_id, request_id::text,
       district_ok::int + type_ok::int + rooms_ok::int + reachable_ok::int + within_budget_ok::int
from pairs
where district_ok and type_ok and reachable_ok
"""

ACTUAL = "select portfolio_id, request_id::text, match_score::int from public.portfolio_request_matches"


# ------------------------------------------------------------------------------------- the cast
def setup(db: psycopg.Connection) -> None:
    with db.transaction():
        db.execute(PROBES)
        rows = [(ADMIN, "+905312000000", "staff", "Deniz Aksoy")]
        rows += [(a, f"+9053120001{i:02d}", "agent", f"Emlakçı {i}") for i, a in enumerate(ALL_AGENTS)]
        rows += [(b, f"+9053120002{i:02d}", "agent", f"Broker {i}") for i, b in enumerate(BROKERS.values())]
        rows += [(c, f"+9053120003{i:02d}", "customer", f"Müşteri {i}") for i, c in enumerate(CUSTOMERS)]
        with db.cursor() as cur:
            cur.executemany("insert into public.contacts (id, phone, contact_type, display_name, onboarding_status,"
                            " consent_transfer) values (%s, %s, %s, %s, 'active', true)", rows)
            cur.executemany("insert into public.agent_profiles (contact_id, role, office) values (%s, %s, %s)",
                            [(ADMIN, "admin", None)]
                            + [(a, "agent", office) for office, agents in AGENTS.items() for a in agents]
                            + [(b, "broker", office) for office, b in BROKERS.items()])
    rng = random.Random(SEED)
    with db.transaction():
        for _ in range(30):
            new_listing(db, rng)
        for _ in range(30):
            new_request(db, rng)
    drain_all(db)


def criteria(rng: random.Random) -> tuple[str, dict]:
    listing_type, currency = rng.choice(list(PRICES))
    low, high = PRICES[(listing_type, currency)]
    c: dict = {}
    if currency != "TRY" or rng.random() < 0.3:
        c["currency"] = currency
    if rng.random() < 0.8:
        c["districts"] = [rng.choice(DISTRICT_SPELLINGS[d]) for d in rng.sample(DISTRICTS, rng.randint(1, 2))]
    if rng.random() < 0.6:
        c["types"] = rng.sample(TYPES, rng.randint(1, 2))
    if rng.random() < 0.5:
        c["rooms"] = rng.sample(ROOMS, rng.randint(1, 3))
    budget = sorted(rng.randint(low, high) for _ in range(2))
    if rng.random() < 0.8:
        c["max_price"] = budget[1]
    if rng.random() < 0.4:
        c["min_price"] = budget[0]
    return ("buy" if listing_type == "sale" else "rent"), c


def new_listing(conn: psycopg.Connection, rng: random.Random) -> None:
    listing_type, currency = rng.choice(list(PRICES))
    low, high = PRICES[(listing_type, currency)]
    price = rng.randint(low, high)
    district = rng.choice(DISTRICTS)
    type_ = rng.choice(TYPES)
    (pid,) = conn.execute(
        """insert into public.portfolios (agent_id, type, listing_type, title, district, rooms, listed_price, currency)
           values (%s, %s, %s, %s, %s, %s, %s, %s) returning id""",
        (rng.choice(ALL_AGENTS), type_, listing_type, f"{district} ilan", district,
         None if type_ == "arsa" else rng.choice(ROOMS), price, currency)).fetchone()
    if rng.random() < 0.6:
        conn.execute("insert into public.portfolio_confidential (portfolio_id, min_price) values (%s, %s)",
                     (pid, int(price * rng.uniform(0.85, 1.0))))


def new_request(conn: psycopg.Connection, rng: random.Random) -> None:
    request_type, c = criteria(rng)
    agent = rng.choice(ALL_AGENTS + [None, None])
    conn.execute(
        "insert into public.requests (customer_id, assigned_agent, request_type, criteria, status) "
        "values (%s, %s, %s, %s, %s)",
        (rng.choice(CUSTOMERS), agent, request_type, psycopg.types.json.Jsonb(c), "assigned" if agent else "new"))


def some_listings(conn: psycopg.Connection, n: int) -> list[str]:
    return [r[0] for r in conn.execute(
        "select id from public.portfolios where status <> 'sold' order by random() limit %s", (n,))]


def some_requests(conn: psycopg.Connection, n: int) -> list[str]:
    return [str(r[0]) for r in conn.execute(
        "select id from public.requests where status <> 'closed' order by random() limit %s", (n,))]


def change_listing(conn: psycopg.Connection, rng: random.Random) -> None:
    ids = some_listings(conn, 1 if rng.random() < 0.7 else rng.randint(2, 5))  # single-row or one bulk statement
    what = rng.choice(["price", "price", "district", "rooms", "type", "status", "floor", "title"])
    if what == "price":  # never below the floor (a trigger refuses it)
        conn.execute(
            """update public.portfolios p set listed_price = greatest((p.listed_price * %s)::bigint,
                 coalesce((select c.min_price from public.portfolio_confidential c where c.portfolio_id = p.id), 1))
               where p.id = any (%s)""", (rng.uniform(0.9, 1.1), ids))
    elif what == "district":
        conn.execute("update public.portfolios set district = %s where id = any (%s)", (rng.choice(DISTRICTS), ids))
    elif what == "rooms":
        conn.execute("update public.portfolios set rooms = case type when 'arsa' then null else %s end "
                     "where id = any (%s)", (rng.choice(ROOMS), ids))
    elif what == "type":
        type_ = rng.choice(TYPES)
        conn.execute("update public.portfolios set type = %s, "
                     "rooms = case when %s = 'arsa' then null else coalesce(rooms, %s) end where id = any (%s)",
                     (type_, type_, rng.choice(ROOMS), ids))
    elif what == "status":
        conn.execute("update public.portfolios set status = case status when 'active' then 'inactive' "
                     "else 'active' end where id = any (%s)", (ids,))
    elif what == "floor":  # the confidential floor moves (or appears): at most the listed price
        conn.execute(
            """insert into public.portfolio_confidential as c (portfolio_id, min_price)
               select p.id, (p.listed_price * %s)::bigint from public.portfolios p where p.id = any (%s)
               on conflict (portfolio_id) do update set min_price = excluded.min_price""",
            (rng.uniform(0.8, 1.0), ids))
    else:  # not a matching input: must not disturb anything
        conn.execute("update public.portfolios set title = title || '.' where id = any (%s)", (ids,))


def change_request(conn: psycopg.Connection, rng: random.Random) -> None:
    # (another writer may close them meanwhile: every statement re-checks the status, a closed request is final)
    ids = some_requests(conn, 1 if rng.random() < 0.7 else rng.randint(2, 4))
    what = rng.choice(["criteria", "criteria", "budget", "close", "assign"])
    if what == "criteria":  # the same new criteria for all (the request type follows them)
        request_type, c = criteria(rng)
        conn.execute("update public.requests set request_type = %s, criteria = %s "
                     "where id = any (%s::uuid[]) and status <> 'closed'",
                     (request_type, psycopg.types.json.Jsonb(c), ids))
    elif what == "budget":  # each its own budget moved
        conn.execute(
            """update public.requests set criteria = criteria || jsonb_build_object('max_price',
                 greatest(coalesce((criteria ->> 'min_price')::bigint, 1),
                          (coalesce((criteria ->> 'max_price')::bigint, 10000000) * %s)::bigint))
               where id = any (%s::uuid[]) and status <> 'closed'""", (rng.uniform(0.85, 1.15), ids))
    elif what == "close":
        conn.execute("update public.requests set status = 'closed' where id = any (%s::uuid[]) and status <> 'closed'",
                     (ids,))
    else:  # another agent (or a broker) takes them: who is notified of their next matches
        agent = rng.choice(ALL_AGENTS + list(BROKERS.values()))
        conn.execute("update public.requests set assigned_agent = %s, status = 'assigned' where id = any (%s::uuid[]) "
                     "and status <> 'closed'",
                     (agent, ids))


OPS = [(new_listing, 2), (new_request, 2), (change_listing, 6), (change_request, 5)]
# The last quarter of the run writes listings only: a listing event the matcher drops there is healed by no
# later request event (a request's event rematches all its listings), so the recomputation catches it.
TAIL_OPS = [(new_listing, 1), (change_listing, 3)]
TAIL = 0.25


def writer(db_url: str, i: int, stop: threading.Event, tail: threading.Event, counts: Counter, errors_: list) -> None:
    rng = random.Random(SEED * 100 + i)
    try:
        with psycopg.connect(db_url, autocommit=True) as conn:
            while not stop.is_set():
                ops = TAIL_OPS if tail.is_set() else OPS
                steps = [rng.choices([f for f, _ in ops], [w for _, w in ops])[0]
                         for _ in range(1 if rng.random() < 0.75 else rng.randint(2, 3))]
                for attempt in range(20):
                    try:
                        with conn.transaction():
                            for step in steps:
                                step(conn, rng)
                        counts["transactions"] += 1
                        counts["statements"] += len(steps)
                        break
                    except (errors.DeadlockDetected, errors.SerializationFailure):
                        counts["retries"] += 1
                        time.sleep(rng.uniform(0, 0.01))
                    except psycopg.DatabaseError as e:
                        # a price and a floor moved at once: the floor's trigger refuses the later one (its rows
                        # read before the other committed); the database holding its rule, not a test failure
                        if e.sqlstate != "VC001" or "min_price" not in str(e):
                            raise
                        counts["refused"] += 1
                        break
    except BaseException as e:  # noqa: BLE001 - reported by the main thread
        errors_.append(e)
        stop.set()


# ------------------------------------------------------------------------------------- the workers
def drain_all(conn: psycopg.Connection) -> int:
    total = 0
    while True:
        with conn.transaction():
            (n,) = conn.execute("select public.process_match_events(%s)", (BATCH,)).fetchone()
        if n == 0:
            return total
        total += n


deadlocks: list[str] = []


class Kill:
    """What the killed worker held, shared with the killer."""

    def __init__(self) -> None:
        self.armed = threading.Event()   # the next batch with events is held
        self.held = threading.Event()    # it is held now: pid, txid, events below
        self.done = threading.Event()    # terminated
        self.pid = 0
        self.txid = 0
        self.events: list[int] = []


def one_batch(conn: psycopg.Connection, i: int, kill: Kill | None) -> int:
    """One call of the matcher in its own transaction; the armed worker holds its batch until killed."""
    with conn.transaction():
        if i == 0:
            conn.execute("set local role service_role")
            conn.execute("""select set_config('request.jwt.claims', '{"role": "service_role"}', true)""")
        (n,) = conn.execute("select public.process_match_events(%s)", (BATCH,)).fetchone()
        if n and kill is not None and kill.armed.is_set() and not kill.held.is_set():
            kill.pid = conn.info.backend_pid
            kill.txid = conn.execute("select txid_current()").fetchone()[0]
            kill.events = [r[0] for r in conn.execute(
                "select event_id from vic_test.event_marks where txid = txid_current() order by 1")]
            kill.held.set()
            conn.execute("select pg_sleep(60)")  # mid-batch, before the commit: the killer ends it here
            raise AssertionError("the held worker was not terminated")
    return n


def worker(db_url: str, i: int, stop: threading.Event, kill: Kill | None, counts: Counter, errors_: list) -> None:
    """Loops process_match_events(BATCH), one transaction per call, until `stop` and nothing is pending.
    Worker 0 is the bot (service_role), worker 1 the owner; worker 1 may be armed to hold a batch and be killed."""
    try:
        while True:
            try:
                with psycopg.connect(db_url, autocommit=True) as conn:
                    while True:
                        try:
                            n = one_batch(conn, i, kill)
                        except errors.DeadlockDetected as e:
                            # the batch rolled back whole and is taken again: a worker retries (vic worker does)
                            counts["worker_deadlocks"] += 1
                            deadlocks.append(str(e))
                            continue
                        counts[f"worker{i}_events"] += n
                        counts[f"worker{i}_batches"] += bool(n)
                        if n == 0:
                            if stop.is_set():
                                return
                            time.sleep(0.02)
            except psycopg.OperationalError:
                # terminated while holding its batch: a supervisor restarts it, and it goes on with a new connection
                if kill is None or not kill.held.is_set() or counts[f"worker{i}_restarts"]:
                    raise
                assert kill.done.wait(30)
                counts[f"worker{i}_restarts"] += 1
    except BaseException as e:  # noqa: BLE001 - reported by the main thread
        errors_.append(e)


# ------------------------------------------------------------------------------------- the test
def test_match_events_stay_consistent_under_concurrent_writes_and_a_killed_worker(
        db: psycopg.Connection, db_url: str) -> None:
    print(f"seed {SEED} (VIC_CONSISTENCY_SEED to replay the draws; the interleaving is the machine's)")
    setup(db)
    stop_writers, tail, stop_workers = threading.Event(), threading.Event(), threading.Event()
    kill = Kill()
    counts: Counter = Counter()
    errors_: list[BaseException] = []
    writers = [threading.Thread(target=writer, args=(db_url, i, stop_writers, tail, counts, errors_))
               for i in range(WRITERS)]
    workers = [threading.Thread(target=worker,
                                args=(db_url, i, stop_workers, kill if i == 1 else None, counts, errors_))
               for i in range(2)]
    for t in writers + workers:
        t.start()
    try:
        time.sleep(DURATION / 3)
        # mid-batch: worker 1 takes its next batch and holds it uncommitted; kill it there
        kill.armed.set()
        assert kill.held.wait(30), f"worker 1 never took a batch to hold: {dict(counts)} {errors_}"
        assert kill.events, "the held batch marked no event"
        with psycopg.connect(db_url, autocommit=True) as killer:
            time.sleep(0.5)  # the other worker tries meanwhile: it must not take the held events
            with killer.transaction():
                free = killer.execute("select id from private.match_events where id = any (%s) for update skip locked",
                                      (kill.events,)).fetchall()
            assert free == [], f"events of the held batch are not locked by it: {free}"
            (marked,) = killer.execute("select count(*) from private.match_events where id = any (%s) "
                                       "and processed_at is not null", (kill.events,)).fetchone()
            assert marked == 0, "events of the held (uncommitted) batch read as processed"
            (terminated,) = killer.execute("select pg_terminate_backend(%s)", (kill.pid,)).fetchone()
            assert terminated
            kill.done.set()
        time.sleep(max(0.0, DURATION * (2 / 3 - TAIL) - 0.5))
        tail.set()
        time.sleep(DURATION * TAIL)
    finally:
        if kill.held.is_set() and not kill.done.is_set():  # a failed check above: end the held worker anyway
            with psycopg.connect(db_url, autocommit=True) as killer:
                killer.execute("select pg_terminate_backend(%s)", (kill.pid,))
            kill.done.set()
        stop_writers.set()
        for t in writers:
            t.join()
        stop_workers.set()
        for t in workers:
            t.join()
    assert not errors_, errors_
    assert counts["worker1_restarts"] == 1, counts
    drain_all(db)  # the final drain (the workers drained as they stopped: nothing should be left)
    print(dict(counts), *deadlocks[:3], sep="\n")

    # (c) nothing pending, each event processed exactly once, the killed batch taken again by another transaction
    pending = db.execute("select count(*) from private.match_events where processed_at is null").fetchone()[0]
    assert pending == 0
    (events,) = db.execute("select count(*) from private.match_events").fetchone()
    assert events > 200, f"only {events} events: the run wrote too little to prove anything"
    marks = db.execute(
        """select e.id, count(m.*), count(m.*) filter (where m.old_processed_at is null and m.new_processed_at is not null)
           from private.match_events e left join vic_test.event_marks m on m.event_id = e.id
           group by e.id
           having count(m.*) <> 1 or count(m.*) filter (where m.old_processed_at is null) <> 1""").fetchall()
    assert marks == [], f"events not processed exactly once (id, marks, null->time marks): {marks[:20]}"
    killed = db.execute("select count(*) from vic_test.event_marks where txid = %s", (kill.txid,)).fetchone()[0]
    assert killed == 0, "the killed worker's transaction left marks: it committed"
    retaken = db.execute(
        """select count(distinct m.event_id), count(distinct m.txid) from vic_test.event_marks m
           join private.match_events e on e.id = m.event_id
           where m.event_id = any (%s) and m.txid <> %s and e.processed_at is not null""",
        (kill.events, kill.txid)).fetchone()
    assert retaken[0] == len(kill.events), "the killed worker's events were not all taken again"

    # (a) the matches equal a full recomputation from the rules
    expected = set(db.execute(EXPECTED).fetchall())
    actual_rows = db.execute(ACTUAL).fetchall()
    actual = set(actual_rows)
    assert len(actual_rows) == len(actual)
    print(f"{events} events, {len(expected)} matches, killed batch {len(kill.events)} events (txid {kill.txid})")
    assert len(expected) > 100, f"only {len(expected)} matches: the run is too thin to prove anything"
    missing, extra = expected - actual, actual - expected
    assert not missing and not extra, (
        f"{len(missing)} matches missing (listing, request, score), {len(extra)} extra or wrongly scored:\n"
        f"missing {sorted(missing)[:10]}\nextra {sorted(extra)[:10]}")

    # (b) one pending notification per agent per event that concerned it
    check_notifications(db)


def check_notifications(db: psycopg.Connection) -> None:
    """(b): the notifications match the new pairs, event by event.

    The event of a notification is the one its `buttons` carry (`[{"id": "matches", ..., "event": <id>}]`). A
    new pair was written by the transaction that processed a batch; the events of that batch that name the
    pair's listing (a portfolio event) or request (a request event) are the ones that may have created it."""
    def q(sql: str) -> list[tuple]:
        return db.execute(sql).fetchall()

    # every match row was written by a matcher transaction, and every notification too
    assert q("""select count(*) from vic_test.match_inserts i
                where not exists (select 1 from vic_test.event_marks m where m.txid = i.txid)""") == [(0,)]
    assert q("""select count(*) from vic_test.notification_inserts i where i.kind = 'match'
                and not exists (select 1 from vic_test.event_marks m where m.txid = i.txid)""") == [(0,)]
    # the notifications still pending are exactly those written (none lost, none rewritten)
    assert q("""select count(*) from public.pending_notifications n where n.kind = 'match'
                and not exists (select 1 from vic_test.notification_inserts i where i.id = n.id)""") == [(0,)]
    assert q("""select count(*) from vic_test.notification_inserts i where i.kind = 'match'
                and not exists (select 1 from public.pending_notifications n where n.id = i.id)""") == [(0,)]
    # each names an event, processed by the transaction that wrote it
    bad = q("""select i.id, i.event_id from vic_test.notification_inserts i where i.kind = 'match'
               and not exists (select 1 from vic_test.event_marks m
                               where m.event_id = i.event_id and m.txid = i.txid)""")
    assert bad == [], f"notifications of no event processed by their transaction: {bad[:10]}"
    # one per agent per event
    twice = q("""select i.contact_id, i.event_id, count(*) from public.pending_notifications n
                 join vic_test.notification_inserts i using (id) where n.kind = 'match'
                 group by 1, 2 having count(*) > 1""")
    assert twice == [], f"agents notified more than once of one event: {twice[:10]}"
    # per matcher transaction and agent: the notifications announce exactly the new pairs written for it
    # ("N yeni eşleşme: ..."), and each concerns an event of that transaction naming one of the pairs
    diff = q("""with pairs as (select txid, notified_agent_id as agent, count(*) as n from vic_test.match_inserts
                               group by 1, 2),
                     told as (select txid, contact_id as agent, sum(split_part(body, ' ', 1)::int) as n
                              from vic_test.notification_inserts where kind = 'match' group by 1, 2)
                select * from pairs p full join told t using (txid, agent)
                where p.n is distinct from t.n""")
    assert diff == [], f"(txid, agent, new pairs, announced): {diff[:10]}"
    unconcerned = q("""select i.contact_id, i.event_id from vic_test.notification_inserts i
                       join private.match_events e on e.id = i.event_id
                       where i.kind = 'match' and not exists (
                         select 1 from vic_test.match_inserts p
                         where p.txid = i.txid and p.notified_agent_id = i.contact_id
                           and (p.portfolio_id = any (e.portfolio_ids) or p.request_id = any (e.request_ids)))""")
    assert unconcerned == [], f"agents notified of an event that created none of their pairs: {unconcerned[:10]}"
    unannounced = q("""select p.portfolio_id, p.request_id, p.notified_agent_id from vic_test.match_inserts p
                       where not exists (
                         select 1 from vic_test.notification_inserts i join private.match_events e on e.id = i.event_id
                         where i.kind = 'match' and i.txid = p.txid and i.contact_id = p.notified_agent_id
                           and (p.portfolio_id = any (e.portfolio_ids) or p.request_id = any (e.request_ids)))""")
    assert unannounced == [], f"new pairs whose agent got no notification of an event naming them: {unannounced[:10]}"

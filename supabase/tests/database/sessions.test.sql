-- Sessions and qualification (docs/sessions.md): slots validated like request criteria
-- (canonical districts, bounds, unknown slots; VC001 naming the slot), qualifying_completeness kept by the
-- database on every path, the status machine active -> extracted | closed (VC002 naming both states),
-- extract_request (the request through create_request, source_session_id, the session signal with the
-- customer's words), and who may do what, as attacks too.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(112);
\ir fixtures/helpers.psql

-- Customers c1 (the one qualified), c2, c3, c4; agent a1 of Moda Emlak; admin ad.
insert into public.contacts (id, phone, contact_type, display_name, consent_transfer) values
  ('00000000-0000-0000-0000-0000000000c1', '+905551112233', 'customer', 'Zehra Polat', true),
  ('00000000-0000-0000-0000-0000000000c2', '+905551112244', 'customer', 'Ahmet Yıldız', true),
  ('00000000-0000-0000-0000-0000000000c3', '+905551112255', 'customer', 'Elif Kaya', true),
  ('00000000-0000-0000-0000-0000000000c4', '+905551112266', 'customer', 'Can Demir', true),
  ('00000000-0000-0000-0000-0000000000a1', '+905321110001', 'agent', 'Ayşe Yılmaz', true),
  ('00000000-0000-0000-0000-0000000000ad', '+905320000001', 'staff', 'Deniz Aksoy', true);
insert into public.agent_profiles (contact_id, role, office) values
  ('00000000-0000-0000-0000-0000000000a1', 'agent', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000ad', 'admin', null);
-- s1: c1's session that gets qualified and extracted; s2: c3's to close (one active session per contact); s3: c2's; s4: the agent's own chat.
insert into public.sessions (id, contact_id) values
  ('00000000-0000-0000-0000-0000000005e1', '00000000-0000-0000-0000-0000000000c1'),
  ('00000000-0000-0000-0000-0000000005e2', '00000000-0000-0000-0000-0000000000c3'),
  ('00000000-0000-0000-0000-0000000005e3', '00000000-0000-0000-0000-0000000000c2'),
  ('00000000-0000-0000-0000-0000000005e4', '00000000-0000-0000-0000-0000000000a1');

-- The slots of a session as one row.
create function pg_temp.slots_of(p_id text) returns table (intent text, district text, property_type text, rooms text,
  max_price numeric, currency text, language text, qualifying_completeness numeric, status text)
language sql as $$
  select s.intent, s.district, s.property_type, s.rooms, s.max_price, s.currency, s.language, s.qualifying_completeness,
         s.status
  from public.sessions s where s.id = ('00000000-0000-0000-0000-0000000005' || p_id)::uuid
$$;
-- update_session_slots on session 5<p_id> with p_slots: 'ok' or 'SQLSTATE: message'.
create function pg_temp.set_slots(p_id text, p_slots text) returns text language sql as $$
  select pg_temp.err(format('select * from public.update_session_slots(%L, %L)',
                            '00000000-0000-0000-0000-0000000005' || p_id, p_slots))
$$;
create function pg_temp.completeness(p_id text) returns numeric language sql as $$
  select s.qualifying_completeness from public.sessions s where s.id = ('00000000-0000-0000-0000-0000000005' || p_id)::uuid
$$;

-- ===================================================================================== slots (as the bot)
select pg_temp.act_as_bot();
select row_eq($$select intent, district, qualifying_completeness from public.update_session_slots(
    '00000000-0000-0000-0000-0000000005e1', '{"intent": "buy", "district": "kadikoy"}')$$,
  row('buy'::text, 'Kadıköy'::text, 0.50::numeric), 'the bot sets slots: kadikoy is stored as Kadıköy, completeness 0.50');
select is(pg_temp.set_slots('e1', '{"district": "' || d || '"}'), 'ok', format('%s is a district', d))
from unnest(array['KADIKÖY', 'besiktas', 'Şişli', 'uskudar']) as d;
select is((pg_temp.slots_of('e1')).district, 'Üsküdar', 'the last one set is kept, in its reference spelling');

-- each rejected with VC001 naming the slot, nothing written
select matches(pg_temp.set_slots('e1', s), '^VC001: ' || m, format('%s refused', s))
from (values
  ('{"budget": 5000000}', 'slots\.budget is not a known slot'),
  ('{"districts": ["Kadıköy"]}', 'slots\.districts is not a known slot'),
  ('{"intent": "buy", "Intent": "buy"}', 'slots\.Intent is not a known slot'),
  ('[]', 'slots must be a JSON object'),
  ('"buy"', 'slots must be a JSON object'),
  ('{"district": "Atlantis"}', 'slots\.district: Atlantis is not a district of Turkey'),
  ('{"district": "İstanbul"}', 'slots\.district: İstanbul is a province, not a district'),
  ('{"district": ""}', 'slots\.district: +is not a district of Turkey'),
  ('{"district": ["Kadıköy", "Beşiktaş"]}', 'slots\.district must be text'),
  ('{"district": 34}', 'slots\.district must be text'),
  ('{"intent": "lease"}', 'slots\.intent lease is not one of buy, rent, sell, let'),
  ('{"intent": true}', 'slots\.intent must be text'),
  ('{"property_type": "apartment"}', 'slots\.property_type may only hold daire, villa, dukkan, arsa'),
  ('{"rooms": "three"}', 'slots\.rooms must hold rooms in the form 3\+1'),
  ('{"rooms": "0+1"}', 'slots\.rooms must hold rooms in the form 3\+1'),
  ('{"rooms": 3}', 'slots\.rooms must be text'),
  ('{"max_price": 0}', 'slots\.max_price must be a positive whole number of at most 1000000000000'),
  ('{"max_price": -5}', 'slots\.max_price must be a positive whole number'),
  ('{"max_price": 1500000.5}', 'slots\.max_price must be a positive whole number'),
  ('{"max_price": 1000000000001}', 'slots\.max_price must be a positive whole number of at most 1000000000000'),
  ('{"max_price": "13000000"}', 'slots\.max_price must be a positive whole number'),
  ('{"currency": "TL"}', 'slots\.currency must be one of TRY, USD, EUR, GBP'),
  ('{"language": "turkish"}', 'slots\.language must be a two-letter ISO 639-1 code'),
  ('{"language": null}', 'slots\.language cannot be cleared'),
  ('{"intent": "rent", "rooms": "3 + 1"}', 'slots\.rooms must hold rooms')
) as t (s, m);
select matches(pg_temp.set_slots('e1', format('{"district": "%s"}', repeat('x', 101))),
  '^VC001: slots\.district must be a district name of at most 100 characters$', 'a long district: the bound, not the value');
select matches(pg_temp.set_slots('e1', format('{"%s": 1}', repeat('k', 10000))),
  '^VC001: slots\.k{50} is not a known slot$', 'an unknown slot is quoted at most 50 characters');
select row_eq($$select * from pg_temp.slots_of('e1')$$,
  row('buy'::text, 'Üsküdar'::text, null::text, null::text, null::numeric, null::text, 'tr'::text, 0.50::numeric, 'active'::text),
  'a refused update wrote nothing (one bad slot refuses the whole call)');
select is(pg_temp.set_slots('e1', '{"intent": "rent", "rooms": "bad"}'), 'VC001: slots.rooms must hold rooms in the form 3+1 (1+0 for a studio)',
  'a valid slot beside an invalid one is not written either');
select is((pg_temp.slots_of('e1')).intent, 'buy', '... intent is still buy');

-- ===================================================================================== completeness
select is(pg_temp.set_slots('e1', '{"property_type": "daire"}'), 'ok', 'property type set');
select is(pg_temp.completeness('e1'), 0.65, 'intent 0.25 + district 0.25 + property type 0.15');
select is(pg_temp.set_slots('e1', '{"max_price": 13000000}'), 'ok', 'budget set');
select is(pg_temp.completeness('e1'), 0.85, '+ max_price 0.20');
select is(pg_temp.set_slots('e1', '{"rooms": "3+1", "language": "en", "currency": "TRY"}'), 'ok', 'rooms, language, currency');
select is(pg_temp.completeness('e1'), 1.00, 'every slot: 1.00 (language and currency weigh nothing)');
select is(pg_temp.set_slots('e1', '{"rooms": null, "currency": null}'), 'ok', 'a JSON null clears a slot');
select row_eq($$select rooms, currency, qualifying_completeness from pg_temp.slots_of('e1')$$,
  row(null::text, null::text, 0.85::numeric), 'rooms cleared: 0.85');
select is(pg_temp.set_slots('e1', '{"property_type": "arsa"}'), 'ok', 'land');
select is(pg_temp.completeness('e1'), 1.00, 'land has no rooms: they count as known');
select is(pg_temp.set_slots('e1', '{}'), 'ok', 'an empty object changes nothing');
select is(pg_temp.completeness('e1'), 1.00, '... and the completeness stays');
select is(pg_temp.set_slots('e1', '{"property_type": "daire", "rooms": "3+1", "language": "tr"}'), 'ok', 'back to a flat');

-- the database's value on every path: a written value is ignored (the dashboard as postgres, the bot direct)
select pg_temp.act_as_db();
update public.sessions set qualifying_completeness = 0.10 where id = '00000000-0000-0000-0000-0000000005e1';
select is(pg_temp.completeness('e1'), 1.00, 'the dashboard writes 0.10: the database keeps 1.00');
update public.sessions set max_price = null where id = '00000000-0000-0000-0000-0000000005e1';
select is(pg_temp.completeness('e1'), 0.80, 'the dashboard clears the budget: 0.80');
select pg_temp.act_as_bot();
update public.sessions set max_price = 13000000, qualifying_completeness = 0 where id = '00000000-0000-0000-0000-0000000005e1';
select is(pg_temp.completeness('e1'), 1.00, 'the bot writes the table directly: still computed');
insert into public.sessions (id, contact_id, intent, qualifying_completeness)
  values ('00000000-0000-0000-0000-0000000005e5', '00000000-0000-0000-0000-0000000000c4', 'rent', 1);
select is(pg_temp.completeness('e5'), 0.25, 'an insert claiming 1: intent only, 0.25');

-- a direct write meets the district rule too
update public.sessions set district = 'sisli' where id = '00000000-0000-0000-0000-0000000005e5';
select is((pg_temp.slots_of('e5')).district, 'Şişli', 'a direct write stores the reference spelling');
select throws_ok($$update public.sessions set district = 'Atlantis' where id = '00000000-0000-0000-0000-0000000005e5'$$,
  'VC001', 'district: Atlantis is not a district of Turkey', 'a direct write of an unknown district is refused');
select throws_ok($$update public.sessions set max_price = 1500000.5 where id = '00000000-0000-0000-0000-0000000005e5'$$,
  '23514', null, 'a direct write of a fractional budget is refused');

-- ===================================================================================== transitions
select throws_ok($$insert into public.sessions (contact_id, status) values ('00000000-0000-0000-0000-0000000000c2', 'extracted')$$,
  'VC002', 'a session starts active, not extracted', 'the bot cannot create an extracted session');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select throws_ok($$insert into public.sessions (contact_id, status) values ('00000000-0000-0000-0000-0000000000c2', 'closed')$$,
  'VC002', 'a session starts active, not closed', 'nor staff a closed one');
select pg_temp.act_as_bot();
select throws_ok($$update public.sessions set status = 'extracted' where id = '00000000-0000-0000-0000-0000000005e5'$$,
  'VC002', 'session 00000000-0000-0000-0000-0000000005e5 cannot move from active to extracted: no request was made from it',
  'extracted only with a request made from the session');
select row_eq($$select status from public.close_session('00000000-0000-0000-0000-0000000005e2')$$, row('closed'::text),
  'close_session: active -> closed');
select row_eq($$select status from public.close_session('00000000-0000-0000-0000-0000000005e2')$$, row('closed'::text),
  'closing a closed session changes nothing');
select throws_ok($$update public.sessions set status = 'active' where id = '00000000-0000-0000-0000-0000000005e2'$$,
  'VC002', 'session 00000000-0000-0000-0000-0000000005e2 cannot move from closed to active', 'closed -> active refused');
select throws_ok($$update public.sessions set status = 'extracted' where id = '00000000-0000-0000-0000-0000000005e2'$$,
  'VC002', 'session 00000000-0000-0000-0000-0000000005e2 cannot move from closed to extracted', 'closed -> extracted refused');
select is(pg_temp.set_slots('e2', '{"intent": "buy"}'),
  'VC002: session 00000000-0000-0000-0000-0000000005e2 is closed, not active: its slots cannot change',
  'a closed session''s slots do not change (RPC)');
select throws_ok($$update public.sessions set intent = 'buy' where id = '00000000-0000-0000-0000-0000000005e2'$$,
  'VC002', 'session 00000000-0000-0000-0000-0000000005e2 is closed, not active: its slots cannot change',
  'nor through a direct write');
select lives_ok($$update public.sessions set last_message_at = now(), language = 'tr' where id = '00000000-0000-0000-0000-0000000005e2'$$,
  'a closed session''s other columns and unchanged slots may be written (the access matrix writes a slot to itself)');
select pg_temp.act_as_db();
select throws_ok($$update public.sessions set status = 'active' where id = '00000000-0000-0000-0000-0000000005e2'$$,
  'VC002', null, 'the dashboard meets the same status machine');
select lives_ok($$insert into public.sessions (contact_id, status) values ('00000000-0000-0000-0000-0000000000c2', 'closed')$$,
  'the database owner imports a finished session');
select pg_temp.act_as_bot();
select is(pg_temp.err($$select public.close_session('00000000-0000-0000-0000-00000000ffff')$$),
  'VC003: session 00000000-0000-0000-0000-00000000ffff not found', 'the bot learns a session is missing');

-- ===================================================================================== extraction
insert into public.message_log (from_contact, to_contact, direction, content, wa_message_id, session_id, created_at) values
  ('00000000-0000-0000-0000-0000000000c1', null, 'inbound', 'Merhaba, ev bakıyorum', 'wamid.s1.1',
   '00000000-0000-0000-0000-0000000005e1', now() - interval '10 minutes'),
  (null, '00000000-0000-0000-0000-0000000000c1', 'outbound', 'Hangi semtte?', 'wamid.s1.2',
   '00000000-0000-0000-0000-0000000005e1', now() - interval '9 minutes'),
  ('00000000-0000-0000-0000-0000000000c1', null, 'inbound', null, 'wamid.s1.3',
   '00000000-0000-0000-0000-0000000005e1', now() - interval '8 minutes'),
  ('00000000-0000-0000-0000-0000000000c1', null, 'inbound', 'Üsküdar, 3+1, 13 milyona kadar', 'wamid.s1.4',
   '00000000-0000-0000-0000-0000000005e1', now() - interval '7 minutes');
select is(pg_temp.err($$select public.extract_request('00000000-0000-0000-0000-0000000005e3')$$),
  'VC001: session 00000000-0000-0000-0000-0000000005e3 cannot make a request yet: slots intent, district, max_price missing',
  'an empty session: every missing slot named');
select is(pg_temp.set_slots('e3', '{"intent": "rent", "district": "Beşiktaş"}'), 'ok', 'c2: rent in Beşiktaş');
select is(pg_temp.err($$select public.extract_request('00000000-0000-0000-0000-0000000005e3')$$),
  'VC001: session 00000000-0000-0000-0000-0000000005e3 cannot make a request yet: slots max_price missing',
  'the budget is missing');
select is(pg_temp.set_slots('e3', '{"intent": "sell", "max_price": 9000000}'), 'ok', 'c2 wants to sell instead');
select is(pg_temp.err($$select public.extract_request('00000000-0000-0000-0000-0000000005e3')$$),
  'VC001: slots.intent is sell: only a buy or rent session makes a request', 'a seller is no request');
select is((pg_temp.slots_of('e3')).status, 'active', 'a refused extraction leaves the session active');
select is((select count(*)::integer from public.requests), 0, '... and makes no request');

create temporary table t_req as
  select * from public.extract_request('00000000-0000-0000-0000-0000000005e1');
grant select on t_req to authenticated, service_role;
select row_eq($$select customer_id, request_type, status, assigned_agent, criteria, source_session_id from t_req$$,
  row('00000000-0000-0000-0000-0000000000c1'::uuid, 'buy'::text, 'new'::text, null::uuid,
      '{"districts": ["Üsküdar"], "types": ["daire"], "rooms": ["3+1"], "max_price": 13000000}'::jsonb,
      '00000000-0000-0000-0000-0000000005e1'::uuid),
  'extract_request: the session''s contact''s request, its slots as criteria, linked to the session');
select is((pg_temp.slots_of('e1')).status, 'extracted', 'the session is extracted');
select is((select count(*)::integer from public.requests where source_session_id = '00000000-0000-0000-0000-0000000005e1'), 1,
  'one request');
select is(pg_temp.err($$select public.extract_request('00000000-0000-0000-0000-0000000005e1')$$),
  'VC002: session 00000000-0000-0000-0000-0000000005e1 cannot move from extracted to extracted',
  'a session is extracted once');
select is(pg_temp.err($$select public.close_session('00000000-0000-0000-0000-0000000005e1')$$),
  'VC002: session 00000000-0000-0000-0000-0000000005e1 cannot move from extracted to closed', 'extracted -> closed refused');
select is(pg_temp.set_slots('e1', '{"max_price": 20000000}'),
  'VC002: session 00000000-0000-0000-0000-0000000005e1 is extracted, not active: its slots cannot change',
  'an extracted session''s slots are frozen');
select is(pg_temp.drain() > 0, true, 'the matcher takes the new request');
select row_eq($$select source_type, source_id, query_raw, parsed_criteria, match_count from public.market_signals
                where source_type = 'session'$$,
  row('session'::text, '00000000-0000-0000-0000-0000000000c1'::uuid, e'Merhaba, ev bakıyorum\nÜsküdar, 3+1, 13 milyona kadar'::text,
      '{"districts": ["Üsküdar"], "types": ["daire"], "rooms": ["3+1"], "max_price": 13000000}'::jsonb, 0),
  'one session signal: the customer''s words (not the bot''s, not withheld content), the criteria, no listing matched');

-- the rules of create_request hold: an agent's own chat makes no request for the agent
select is(pg_temp.set_slots('e4', '{"intent": "buy", "district": "Kadıköy", "max_price": 5000000}'), 'ok', 'the agent''s chat qualified');
select is(pg_temp.err($$select public.extract_request('00000000-0000-0000-0000-0000000005e4')$$),
  'VC001: customer_id must be a customer contact, not an agent or staff', 'create_request''s parties rule holds');
select is((pg_temp.slots_of('e4')).status, 'active', 'nothing extracted');

-- staff extract too, and a currency slot reaches the criteria
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select row_eq($$select intent, currency, qualifying_completeness from public.update_session_slots('00000000-0000-0000-0000-0000000005e5',
    '{"max_price": 400000, "currency": "EUR", "property_type": "villa"}')$$,
  row('rent'::text, 'EUR'::text, 0.85::numeric), 'staff set slots');
select row_eq($$select customer_id, request_type, criteria from public.extract_request('00000000-0000-0000-0000-0000000005e5')$$,
  row('00000000-0000-0000-0000-0000000000c4'::uuid, 'rent'::text,
      '{"districts": ["Şişli"], "types": ["villa"], "max_price": 400000, "currency": "EUR"}'::jsonb),
  'staff extract: the currency slot is the criteria''s currency');

-- ===================================================================================== who (attacks)
-- the customer itself: reads its sessions, changes nothing, calls none of the bot's RPCs
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c2');
select throws_ok($$select public.update_session_slots('00000000-0000-0000-0000-0000000005e3', '{"max_price": 1}')$$,
  '42501', 'update_session_slots: the bot and staff only', 'a customer cannot set its own session''s slots');
select throws_ok($$select public.extract_request('00000000-0000-0000-0000-0000000005e3')$$,
  '42501', 'extract_request: the bot and staff only', 'nor extract it');
select throws_ok($$select public.close_session('00000000-0000-0000-0000-0000000005e3')$$,
  '42501', 'close_session: the bot and staff only', 'nor close it');
select throws_ok($$select public.update_session_slots('00000000-0000-0000-0000-00000000ffff', '{"bogus": 1}')$$,
  '42501', 'update_session_slots: the bot and staff only', 'refused before the input or the row is judged');
select is_empty($$update public.sessions set max_price = 1, intent = 'buy' where id = '00000000-0000-0000-0000-0000000005e3' returning id$$,
  'a direct write of its own slots changes no row');
select is_empty($$update public.sessions set status = 'extracted' where id = '00000000-0000-0000-0000-0000000005e3' returning id$$,
  'a direct write cannot mark its session extracted');
select is_empty($$update public.sessions set status = 'closed' where id = '00000000-0000-0000-0000-0000000005e3' returning id$$,
  'nor closed');
select throws_ok($$insert into public.sessions (contact_id, intent) values ('00000000-0000-0000-0000-0000000000c2', 'buy')$$,
  '42501', null, 'nor open a session');
select is_empty($$delete from public.sessions where id = '00000000-0000-0000-0000-0000000005e3' returning id$$,
  'nor delete one');
select row_eq($$select intent, max_price, status, missing from public.session_summary('00000000-0000-0000-0000-0000000005e3')$$,
  row('sell'::text, 9000000::numeric, 'active'::text, '{}'::text[]), 'it reads its own session''s summary');
select throws_ok($$select public.session_summary('00000000-0000-0000-0000-0000000005e1')$$,
  '42501', 'session 00000000-0000-0000-0000-0000000005e1: not found or not yours', 'not another''s');
select is_empty($$select 1 from public.sessions where contact_id = '00000000-0000-0000-0000-0000000000c1'$$,
  'nor reads another''s sessions');
select throws_ok($$select public.create_request('buy', '{"districts": ["Kadıköy"]}', null, null, '00000000-0000-0000-0000-0000000005e1')$$,
  'VC001', 'source_session_id must be a session of the request''s customer', 'a request cannot borrow another''s conversation');
select lives_ok($$select public.create_request('rent', '{"districts": ["Kadıköy"]}', null, null, '00000000-0000-0000-0000-0000000005e3')$$,
  'its own session may be named');
-- an agent: none of it
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select throws_ok($$select public.update_session_slots('00000000-0000-0000-0000-0000000005e3', '{"max_price": 1}')$$,
  '42501', null, 'an agent cannot set slots');
select throws_ok($$select public.extract_request('00000000-0000-0000-0000-0000000005e3')$$, '42501', null, 'nor extract');
select throws_ok($$select public.session_summary('00000000-0000-0000-0000-0000000005e3')$$, '42501', null, 'nor read a session');
select is_empty($$update public.sessions set status = 'closed' where id = '00000000-0000-0000-0000-0000000005e3' returning id$$,
  'nor close one directly');
-- anon: no door at all
select pg_temp.act_as_anon();
select throws_ok($$select public.update_session_slots('00000000-0000-0000-0000-0000000005e3', '{}')$$, '42501', null, 'anon: denied');
select throws_ok($$select public.session_summary('00000000-0000-0000-0000-0000000005e3')$$, '42501', null, 'anon: denied');
select pg_temp.act_as_db();
select row_eq($$select intent, max_price, status from pg_temp.slots_of('e3')$$, row('sell'::text, 9000000::numeric, 'active'::text),
  'after every attempt c2''s session is as the bot left it');

-- the bot's summary: what to ask next, and the request made
select pg_temp.act_as_bot();
select row_eq($$select status, missing, request_id, messages from public.session_summary('00000000-0000-0000-0000-0000000005e1')$$,
  row('extracted'::text, '{}'::text[], (select id from t_req), 4), 'the summary names the request made and counts the messages');
select is((select missing from public.session_summary('00000000-0000-0000-0000-0000000005e2')), array['intent', 'district', 'max_price'],
  'an empty session misses intent, district, max_price');

select * from finish();
rollback;

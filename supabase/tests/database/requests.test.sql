-- Requests (docs/matching.md): criteria validated on every write (exactly the keys districts, types,
-- rooms, min_price, max_price, currency; wrong types, unknown keys and min > max rejected with VC001 naming
-- the key), the status machine new -> assigned -> closed and new -> closed (VC002 otherwise, naming both
-- states), assigning sets assigned_agent, and who may do what.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(92);
\ir fixtures/helpers.psql

-- Moda Emlak: agents a1, a3, broker b1. Boğaziçi: agent a2. Admin. Customers c1, c2.
insert into public.contacts (id, phone, contact_type, display_name) values
  ('00000000-0000-0000-0000-0000000000a1', '+905321110001', 'agent', 'Ayşe Yılmaz'),
  ('00000000-0000-0000-0000-0000000000a3', '+905321110003', 'agent', 'Elif Şahin'),
  ('00000000-0000-0000-0000-0000000000b1', '+905321110009', 'agent', 'Kemal Aydın'),
  ('00000000-0000-0000-0000-0000000000a2', '+905322220001', 'agent', 'Can Demir'),
  ('00000000-0000-0000-0000-0000000000ad', '+905320000001', 'staff', 'Deniz Aksoy'),
  ('00000000-0000-0000-0000-0000000000c1', '+905551112233', 'customer', 'Zehra Polat'),
  ('00000000-0000-0000-0000-0000000000c2', '+905551112244', 'customer', 'Ahmet Yıldız');
insert into public.agent_profiles (contact_id, role, office) values
  ('00000000-0000-0000-0000-0000000000a1', 'agent', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000a3', 'agent', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000b1', 'broker', 'Moda Emlak'),
  ('00000000-0000-0000-0000-0000000000a2', 'agent', 'Boğaziçi Gayrimenkul'),
  ('00000000-0000-0000-0000-0000000000ad', 'admin', null);

-- A request of the acting customer with the given criteria: its id, or 'SQLSTATE: message'.
create function pg_temp.req(p_criteria text, p_type text default 'buy') returns text language plpgsql as $$
begin
  return (select id::text from public.create_request(p_request_type => p_type, p_criteria => p_criteria::jsonb));
exception when others then
  return sqlstate || ': ' || sqlerrm;
end
$$;
-- Request ids by name, for the file.
create temporary table t_req (k text primary key, id uuid);
grant select, insert on t_req to authenticated, service_role;
create function pg_temp.r(p_k text) returns uuid language sql as $$ select id from t_req where k = p_k $$;
create function pg_temp.status_of(p_k text) returns table (status text, assigned_agent uuid) language plpgsql as $$
begin
  return query select q.status, q.assigned_agent from public.requests q where q.id = pg_temp.r(p_k);
end
$$;

-- ===================================================================================== valid criteria
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
insert into t_req select 'full', id from public.create_request(p_request_type => 'buy', p_criteria =>
  '{"districts": ["Kadıköy", "Üsküdar"], "types": ["daire", "villa"], "rooms": ["3+1", "4+1"], "min_price": 8000000, "max_price": 13000000, "currency": "TRY"}');
reset role;
select row_eq($$select customer_id, request_type, status, assigned_agent, criteria from public.requests where id = pg_temp.r('full')$$,
  row('00000000-0000-0000-0000-0000000000c1'::uuid, 'buy'::text, 'new'::text, null::uuid,
      '{"districts": ["Kadıköy", "Üsküdar"], "types": ["daire", "villa"], "rooms": ["3+1", "4+1"], "min_price": 8000000, "max_price": 13000000, "currency": "TRY"}'::jsonb),
  'a customer files a request with every key: new, unassigned, the criteria kept');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select doesnt_match(pg_temp.req(c), ': ', format('valid: %s', c))
from unnest(array[
  '{}',
  '{"districts": ["Şişli"]}',
  '{"types": ["daire", "villa", "dukkan", "arsa"]}',
  '{"rooms": ["1+0", "2+1", "10+2"]}',
  '{"min_price": 1}',
  '{"max_price": 999999999999}',
  '{"min_price": 5000000, "max_price": 5000000}',
  '{"currency": "USD"}', '{"currency": "EUR"}', '{"currency": "GBP"}',
  '{"currency": "TRY", "max_price": 40000}'
]) as c;
select doesnt_match(pg_temp.req('{"districts": ["Kadıköy"], "max_price": 40000}', 'rent'), ': ', 'a rent request');

-- ===================================================================================== invalid criteria
-- each rejected with VC001 and a message naming the key
select matches(pg_temp.req(c), format('^VC001: .*%s', k), format('%s rejected: %s', k, c))
from (values
  ('budget', '{"budget": 5000000}'),
  ('district', '{"district": "Kadıköy"}'),
  ('Districts', '{"Districts": ["Kadıköy"]}'),
  ('max_budget', '{"districts": ["Kadıköy"], "max_budget": 1}'),
  ('districts', '{"districts": "Kadıköy"}'),
  ('districts', '{"districts": []}'),
  ('districts', '{"districts": [34]}'),
  ('districts', '{"districts": [null]}'),
  ('districts', '{"districts": [""]}'),
  ('districts', '{"districts": ["Kadıköy", ["Moda"]]}'),
  ('districts', '{"districts": {"0": "Kadıköy"}}'),
  ('districts', '{"districts": null}'),
  ('types', '{"types": "daire"}'),
  ('types', '{"types": ["apartment"]}'),
  ('types', '{"types": ["Daire"]}'),
  ('types', '{"types": ["daire", 1]}'),
  ('rooms', '{"rooms": "3+1"}'),
  ('rooms', '{"rooms": ["3 + 1"]}'),
  ('rooms', '{"rooms": ["3"]}'),
  ('rooms', '{"rooms": ["0+1"]}'),
  ('rooms', '{"rooms": [3]}'),
  ('min_price', '{"min_price": 0}'),
  ('min_price', '{"min_price": -1}'),
  ('min_price', '{"min_price": 1.5}'),
  ('min_price', '{"min_price": "5000000"}'),
  ('min_price', '{"min_price": null}'),
  ('min_price', '{"min_price": true}'),
  ('max_price', '{"max_price": 0}'),
  ('max_price', '{"max_price": -100}'),
  ('max_price', '{"max_price": 12.5}'),
  ('max_price', '{"max_price": "13000000"}'),
  ('max_price', '{"max_price": [13000000]}'),
  ('min_price', '{"min_price": 13000001, "max_price": 13000000}'),
  ('max_price', '{"min_price": 13000001, "max_price": 13000000}'),
  ('currency', '{"currency": "TL"}'),
  ('currency', '{"currency": "try"}'),
  ('currency', '{"currency": 949}'),
  ('currency', '{"currency": ["TRY"]}'),
  ('currency', '{"currency": null}')
) as t (k, c);
select matches(pg_temp.req('["Kadıköy"]'), '^(VC001|23514): .*criteria', 'criteria that are not an object are rejected');
select matches(pg_temp.req('{}', 'sell'), '^VC001: .*request_type', 'request_type sell: VC001 naming request_type');
reset role;
select is((select count(*) from public.requests), 13::bigint, 'only the valid requests were written');
-- the same validation on every write path: the table directly, as the database owner and as the customer
select matches(pg_temp.err($$insert into public.requests (customer_id, request_type, criteria)
                              values ('00000000-0000-0000-0000-0000000000c1', 'buy', '{"budget": 1}')$$),
  '^VC001: .*budget', 'a direct insert is validated too (even by the database owner)');
select matches(pg_temp.err($$update public.requests set criteria = criteria || '{"max_price": "çok"}' where id = pg_temp.r('full')$$),
  '^VC001: .*max_price', 'a direct update is validated too');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select matches(pg_temp.err($$update public.requests set criteria = '{"types": ["yalı"]}' where id = pg_temp.r('full')$$),
  '^VC001: .*types', 'the customer updating the table directly is validated');
select matches(pg_temp.err($$select public.update_request_criteria(pg_temp.r('full'), '{"rooms": ["3+1"], "floor": 3}')$$),
  '^VC001: .*floor', 'update_request_criteria is validated');
select is((select criteria -> 'districts' from public.update_request_criteria(pg_temp.r('full'), '{"districts": ["Beşiktaş", "Kadıköy"]}')),
  '["Beşiktaş", "Kadıköy"]'::jsonb, 'update_request_criteria replaces the criteria');
reset role;
select is((select criteria from public.requests where id = pg_temp.r('full')), '{"districts": ["Beşiktaş", "Kadıköy"]}'::jsonb,
  'the rejected updates changed nothing');

-- ===================================================================================== status machine
-- assign: new -> assigned, assigned_agent set
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select row_eq($$select status, assigned_agent from public.assign_request(pg_temp.r('full'), '00000000-0000-0000-0000-0000000000a1')$$,
  row('assigned'::text, '00000000-0000-0000-0000-0000000000a1'::uuid), 'assigning a new request: assigned, to that agent');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select row_eq($$select status, assigned_agent from public.close_request(pg_temp.r('full'))$$,
  row('closed'::text, '00000000-0000-0000-0000-0000000000a1'::uuid), 'the customer closes it: assigned -> closed');
insert into t_req select 'new', id from public.create_request(p_request_type => 'buy', p_criteria => '{"districts": ["Beykoz"]}');
select is((select status from public.close_request(pg_temp.r('new'))), 'closed', 'new -> closed');
reset role;
select matches(pg_temp.err($$update public.requests set status = 'assigned', assigned_agent = '00000000-0000-0000-0000-0000000000a1' where id = pg_temp.r('new')$$),
  '^VC002: .*closed.*assigned', 'closed -> assigned is rejected, naming both states');
select matches(pg_temp.err($$update public.requests set status = 'new' where id = pg_temp.r('new')$$),
  '^VC002: .*closed.*new', 'closed -> new is rejected');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select matches(pg_temp.err($$select public.assign_request(pg_temp.r('new'), '00000000-0000-0000-0000-0000000000a1')$$),
  '^VC002: .*closed.*assigned', 'assign_request on a closed request: VC002 naming both states');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
insert into t_req select 'c1', id from public.create_request(p_request_type => 'buy', p_criteria => '{"districts": ["Kadıköy"], "types": ["daire"]}');
reset role;
update public.requests set assigned_agent = '00000000-0000-0000-0000-0000000000a3' where id = pg_temp.r('c1');
select row_eq($$select * from pg_temp.status_of('c1')$$, row('assigned'::text, '00000000-0000-0000-0000-0000000000a3'::uuid),
  'giving a new request an agent makes it assigned');
select matches(pg_temp.err($$update public.requests set status = 'new' where id = pg_temp.r('c1')$$),
  '^VC002: .*assigned.*new', 'assigned -> new is rejected');
select throws_ok($$update public.requests set assigned_agent = null where id = pg_temp.r('c1')$$, '23514', null,
  'an assigned request keeps an agent');
select pg_temp.act_as_bot();
select row_eq($$select status, assigned_agent from public.create_request(p_request_type => 'rent', p_criteria => '{}',
                  p_customer_id => '00000000-0000-0000-0000-0000000000c2', p_assigned_agent => '00000000-0000-0000-0000-0000000000a2')$$,
  row('assigned'::text, '00000000-0000-0000-0000-0000000000a2'::uuid), 'a request created with an agent is assigned at once');
select matches(pg_temp.err($$select public.create_request(p_request_type => 'rent', p_criteria => '{}',
                  p_customer_id => '00000000-0000-0000-0000-0000000000c2', p_assigned_agent => '00000000-0000-0000-0000-0000000000c1')$$),
  '^VC001: .*agent', 'only an agent can be assigned');
select matches(pg_temp.err($$select public.create_request(p_request_type => 'rent', p_criteria => '{}')$$),
  '^VC001: .*customer', 'the bot must name the customer');
reset role;

-- ===================================================================================== authority
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select throws_ok($$select public.create_request(p_request_type => 'buy', p_criteria => '{}', p_customer_id => '00000000-0000-0000-0000-0000000000c2')$$,
  '42501', null, 'a customer cannot file a request for another customer');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c2');
select throws_ok($$select public.close_request(pg_temp.r('c1'))$$, '42501', null, 'another customer cannot close it');
select throws_ok($$select public.update_request_criteria(pg_temp.r('c1'), '{}')$$, '42501', null, 'nor change its criteria');
select throws_ok($$select public.assign_request(pg_temp.r('c1'), '00000000-0000-0000-0000-0000000000a1')$$, '42501', null,
  'nor assign it');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select throws_ok($$select public.close_request(pg_temp.r('c1'))$$, '42501', null, 'an agent of another office cannot close it');
select throws_ok($$select public.assign_request(pg_temp.r('c1'))$$, '42501', null, 'nor take it');
select throws_ok($$select public.create_request(p_request_type => 'buy', p_criteria => '{}', p_customer_id => '00000000-0000-0000-0000-0000000000c1',
                                                p_assigned_agent => '00000000-0000-0000-0000-0000000000a2')$$,
  '42501', null, 'an agent cannot file a request for a customer it does not work with');
reset role;
select row_eq($$select * from pg_temp.status_of('c1')$$, row('assigned'::text, '00000000-0000-0000-0000-0000000000a3'::uuid),
  'the refused calls changed nothing');
-- its agent works with it
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a3');
select is((select criteria from public.update_request_criteria(pg_temp.r('c1'), '{"districts": ["Kadıköy"], "types": ["daire"], "max_price": 9000000}')),
  '{"districts": ["Kadıköy"], "types": ["daire"], "max_price": 9000000}'::jsonb, 'the assigned agent changes the criteria');
select row_eq($$select customer_id, status from public.create_request(p_request_type => 'rent', p_criteria => '{"districts": ["Beşiktaş"]}',
                  p_customer_id => '00000000-0000-0000-0000-0000000000c1', p_assigned_agent => '00000000-0000-0000-0000-0000000000a3')$$,
  row('00000000-0000-0000-0000-0000000000c1'::uuid, 'assigned'::text), 'and files another request for its customer');
reset role;
-- brokers assign to their office; agents never take requests, customers never give theirs an agent
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c2');
insert into t_req select 'c2', id from public.create_request(p_request_type => 'buy', p_criteria => '{"districts": ["Beşiktaş"]}');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select throws_ok($$select public.assign_request(pg_temp.r('c2'), '00000000-0000-0000-0000-0000000000a2')$$, '42501', null,
  'a broker cannot assign to an agent of another office');
select row_eq($$select status, assigned_agent from public.assign_request(pg_temp.r('c2'), '00000000-0000-0000-0000-0000000000a1')$$,
  row('assigned'::text, '00000000-0000-0000-0000-0000000000a1'::uuid), 'a broker assigns an unassigned request to its agent');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c2');
insert into t_req select 'c2b', id from public.create_request(p_request_type => 'buy', p_criteria => '{"districts": ["Kadıköy"], "types": ["daire"]}');
select throws_ok($$select public.create_request(p_request_type => 'buy', p_criteria => '{}', p_assigned_agent => '00000000-0000-0000-0000-0000000000a1')$$,
  '42501', null, 'a customer cannot give its request an agent');
select throws_ok($$update public.requests set assigned_agent = '00000000-0000-0000-0000-0000000000a1' where id = pg_temp.r('c2b')$$,
  '42501', null, 'not by a direct update either');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
-- a1 lists a Kadıköy flat: the unassigned request matches and notifies a1, who still may not take it
select lives_ok($$select public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'Moda 2+1', p_district => 'Kadıköy',
                                               p_listed_price => 7000000, p_rooms => '2+1')$$, 'a1 lists a matching flat');
select throws_ok($$select public.assign_request(pg_temp.r('c2b'))$$, '42501', null,
  'an agent cannot take an unassigned request, not even one a match notified it about');
select throws_ok($$select public.create_request(p_request_type => 'buy', p_criteria => '{}', p_customer_id => '00000000-0000-0000-0000-0000000000a1',
                                                p_assigned_agent => '00000000-0000-0000-0000-0000000000a1')$$,
  '42501', null, 'an agent cannot file a request for itself');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a3');
select throws_ok($$update public.requests set assigned_agent = '00000000-0000-0000-0000-0000000000a1' where id = pg_temp.r('c1')$$,
  '42501', null, 'an agent cannot hand its request to another agent');
reset role;
select pg_temp.act_as_bot();
select matches(pg_temp.err($$select public.create_request(p_request_type => 'rent', p_criteria => '{}',
                  p_customer_id => '00000000-0000-0000-0000-0000000000a2', p_assigned_agent => '00000000-0000-0000-0000-0000000000a1')$$),
  '^VC001: customer_id', 'not even the bot files a request with an agent as the customer');
reset role;

select * from finish();
rollback;

-- Matching (docs/matching.md, DOMAIN.md portfolio_request_matches): each hard filter tried in both
-- directions (listing written last, request written last), each score point, updates that break a filter
-- (the match goes) or change the score (the row is updated, nobody notified again), the notified agent, one
-- notification per agent per statement listing all its new matches, the partial grant of a cross-agent
-- match, explain_match (every criterion, pass/fail, points, never a price), request signals and unmet demand.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(127);
\ir fixtures/helpers.psql

-- Moda Emlak: agents a1 (lists), a3, broker b1. Boğaziçi: agent a2. Admin. Customers c1, c2.
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

create sequence pg_temp.seq start 101;
create temporary table t_req (k text primary key, id uuid);
grant select, insert on t_req to authenticated;
create function pg_temp.r(p_k text) returns uuid language sql as $$ select id from t_req where k = p_k $$;
-- Listings created through create_listing (their ids are the current year's), by name.
create temporary table t_l (k text primary key, id text);
grant select, insert on t_l to authenticated;
create function pg_temp.l(p_k text) returns text language sql as $$ select id from t_l where k = p_k $$;

-- One pair, written in both orders in two savepoint-isolated tries: the request first then the listing (and
-- its floor), and the listing (and floor) first then the request. Returns 'A/B', each the pair's score or
-- 'none' ('ERR sqlstate' when the write failed). Nothing of it stays.
create function pg_temp.pair(
  p_district text, p_type text, p_rooms text, p_price bigint, p_floor bigint, p_criteria jsonb,
  p_currency text default 'TRY', p_listing_type text default 'sale', p_status text default 'active',
  p_request_type text default 'buy', p_request_status text default 'new'
) returns text language plpgsql as $$
declare
  v_out text[] := '{}';
  v_order text;
  v_id text;
  v_req uuid;
  v_score text;
begin
  foreach v_order in array array['listing last', 'request last'] loop
    begin
      v_id := '2030-' || nextval('pg_temp.seq');
      v_req := gen_random_uuid();
      if v_order = 'listing last' then
        insert into public.requests (id, customer_id, request_type, criteria, status)
        values (v_req, '00000000-0000-0000-0000-0000000000c1', p_request_type, p_criteria, p_request_status);
      end if;
      insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price, currency, status)
      values (v_id, '00000000-0000-0000-0000-0000000000a1', p_type, p_listing_type, 'İlan', p_district, p_rooms, p_price, p_currency, p_status);
      if p_floor is not null then
        insert into public.portfolio_confidential (portfolio_id, min_price) values (v_id, p_floor);
      end if;
      if v_order = 'request last' then
        insert into public.requests (id, customer_id, request_type, criteria, status)
        values (v_req, '00000000-0000-0000-0000-0000000000c1', p_request_type, p_criteria, p_request_status);
      end if;
      perform pg_temp.drain();  -- the matcher, as a worker would after commit
      v_score := coalesce((select m.match_score::text from public.portfolio_request_matches m
                           where m.portfolio_id = v_id and m.request_id = v_req), 'none');
      raise exception using errcode = 'VCX01', message = v_score;  -- undo the try
    exception
      when sqlstate 'VCX01' then v_out := v_out || sqlerrm;
      when others then v_out := v_out || ('ERR ' || sqlstate || ' ' || sqlerrm);
    end;
  end loop;
  return array_to_string(v_out, ' / ');
end
$$;
-- The match row of a listing and a named request: (score, notified, notified agent, trigger type, id).
create function pg_temp.m(p_portfolio_id text, p_k text)
  returns table (match_score smallint, notified boolean, notified_agent_id uuid, trigger_type text, id uuid)
  language sql as $$
  select m.match_score, m.notified, m.notified_agent_id, m.trigger_type, m.id from public.portfolio_request_matches m
  where m.portfolio_id = p_portfolio_id and m.request_id = pg_temp.r(p_k)
$$;
create function pg_temp.notes(p_agent text) returns bigint language sql as $$
  select count(*) from public.pending_notifications where contact_id = p_agent::uuid and kind = 'match'
$$;

-- ===================================================================================== hard filters, both ways
-- the base pair: a Kadıköy 3+1 flat for sale at 12.500.000 TRY, a buyer of Kadıköy 3+1 flats up to 13.000.000
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, null,
  '{"districts": ["Kadıköy"], "types": ["daire"], "rooms": ["3+1"], "max_price": 13000000, "currency": "TRY"}'),
  '5 / 5', 'the base pair matches with score 5, whichever side is written last');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, null, '{"districts": ["Kadıköy"]}', p_status => 'inactive'),
  'none / none', 'an inactive listing matches nothing');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, null, '{"districts": ["Kadıköy"]}', p_request_status => 'closed'),
  'none / none', 'a closed request matches nothing');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, null, '{"districts": ["Kadıköy"]}', p_request_type => 'rent'),
  'none / none', 'a sale listing is no match for a rent request');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 45000, null, '{"districts": ["Kadıköy"]}', p_listing_type => 'rent'),
  'none / none', 'a rent listing is no match for a buy request');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 45000, null, '{"districts": ["Kadıköy"], "max_price": 50000}',
                       p_listing_type => 'rent', p_request_type => 'rent'),
  '5 / 5', 'rent matches rent');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 400000, null, '{"districts": ["Kadıköy"], "currency": "TRY"}', p_currency => 'USD'),
  'none / none', 'a USD listing is no match for a TRY request');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 400000, null, '{"districts": ["Kadıköy"]}', p_currency => 'EUR'),
  'none / none', 'a request naming no currency is TRY: no EUR listing');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, null, '{"districts": ["Kadıköy"]}'),
  '5 / 5', 'a request naming no currency matches TRY listings');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 400000, null, '{"max_price": 500000, "currency": "GBP"}', p_currency => 'GBP'),
  '5 / 5', 'GBP matches GBP');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, null, '{"districts": ["Beşiktaş", "Şişli"]}'),
  'none / none', 'a district the request does not name: no match');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, null, '{"districts": ["kadikoy"]}'),
  '5 / 5', 'districts compare Turkish-normalised: kadikoy = Kadıköy');
select is(pg_temp.pair('KADIKÖY', 'daire', '3+1', 12500000, null, '{"districts": ["Beşiktaş", "Kadıköy"]}'),
  '5 / 5', 'KADIKÖY on the listing = Kadıköy in the request');
select is(pg_temp.pair('Şişli', 'daire', '3+1', 12500000, null, '{"districts": ["SISLI"]}'),
  '5 / 5', 'SISLI = Şişli');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, null, '{"districts": ["*"]}'),
  'ERR VC001 criteria.districts must name districts (1-100 characters each) / ERR VC001 criteria.districts must name districts (1-100 characters each)',
  'a district named "*" is rejected (it is not a district), never a wildcard');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, null, '{"districts": ["Kadıköy"], "types": ["villa", "arsa"]}'),
  'none / none', 'a type the request does not name: no match');
select is(pg_temp.pair('Kadıköy', 'villa', '5+2', 12500000, null, '{"types": ["villa", "arsa"]}'),
  '5 / 5', 'a type the request names: match');
select is(pg_temp.pair('Adalar', 'arsa', null, 2000000, null, '{}'),
  '5 / 5', 'a request naming nothing matches any sale listing in TRY, with every point');
-- the price: the floor (or the listed price) at most max_price, the listed price at least min_price
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, null, '{"max_price": 12000000}'),
  'none / none', 'no floor: a listed price above the budget is no match');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, 11800000, '{"max_price": 12000000}'),
  '4 / 4', 'a floor within the budget: a match, reachable but not within budget without negotiation');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, 12000000, '{"max_price": 12000000}'),
  '4 / 4', 'a floor equal to the budget is within it');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, 12000001, '{"max_price": 12000000}'),
  '4 / 4', 'a floor a little above the budget is rounded down to its band (a step of 2% of the listed price): a match');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, 12250000, '{"max_price": 12249999}'),
  'none / none', 'a floor whose band is above the budget: no match');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12000000, null, '{"max_price": 12000000}'),
  '5 / 5', 'a listed price equal to the budget is within it');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12000000, 11000000, '{"max_price": 12500000}'),
  '5 / 5', 'a floor below a budget the listed price is within: every point');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, null, '{"min_price": 13000000}'),
  'none / none', 'a listed price below min_price: no match');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 13000000, null, '{"min_price": 13000000, "max_price": 14000000}'),
  '5 / 5', 'a listed price equal to min_price: match');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, 11000000, '{"min_price": 12000000, "max_price": 13000000}'),
  '5 / 5', 'min_price is compared with the listed price, not the floor');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 12500000, 11000000, '{"min_price": 12600000}'),
  'none / none', 'a floor below min_price does not make a listed price below it match');
-- the score points
select is(pg_temp.pair('Kadıköy', 'daire', '2+1', 12500000, null, '{"districts": ["Kadıköy"], "rooms": ["3+1", "4+1"], "max_price": 13000000}'),
  '4 / 4', 'rooms not among the request''s: one point less, still a match');
select is(pg_temp.pair('Kadıköy', 'daire', '4+1', 12500000, null, '{"rooms": ["3+1", "4+1"]}'),
  '5 / 5', 'rooms among the request''s: the point');
select is(pg_temp.pair('Kadıköy', 'dukkan', null, 12500000, null, '{"districts": ["Kadıköy"], "rooms": ["3+1"]}'),
  '4 / 4', 'a shop without rooms for a request naming rooms (and no type): a match without the rooms point');
select is(pg_temp.pair('Kadıköy', 'daire', '2+1', 12500000, 11800000, '{"rooms": ["3+1"], "max_price": 12000000}'),
  '3 / 3', 'rooms off and only reachable by negotiation: 3');
select is(pg_temp.pair('Kadıköy', 'daire', '3+1', 99000000, null, '{"rooms": ["3+1"], "min_price": 1000000}'),
  '5 / 5', 'no max_price: reachable and within budget');

-- ===================================================================================== a pair that lives on
-- a2 (Boğaziçi) works c2's request; a1 (Moda) lists a matching flat through the RPC.
insert into t_req values ('r1', gen_random_uuid());
insert into public.requests (id, customer_id, assigned_agent, request_type, criteria)
values (pg_temp.r('r1'), '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a2', 'buy',
        '{"districts": ["Beşiktaş", "Kadıköy"], "types": ["daire"], "rooms": ["3+1"], "max_price": 13000000}');
select pg_temp.drain();
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
insert into t_l select 'one', id from public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'Moda 3+1',
  p_district => 'Kadıköy', p_listed_price => 12500000, p_rooms => '3+1', p_min_price => 11800000);
select pg_temp.drain();
select matches(pg_temp.l('one'), '^[0-9]{4}-001$', 'a1 lists its first listing of the year (L1), with a floor');
reset role;
select row_eq($$select match_score, notified, notified_agent_id, trigger_type from pg_temp.m(pg_temp.l('one'), 'r1')$$,
  row(5::smallint, true, '00000000-0000-0000-0000-0000000000a2'::uuid, 'portfolio'::text),
  'the new listing matches the request: score 5, notified to the request''s agent, triggered by the listing');
select is((select count(*) from public.portfolio_request_matches where portfolio_id = pg_temp.l('one') and request_id = pg_temp.r('r1')), 1::bigint,
  'one row for the pair');
select row_eq($$select visibility_level, granted_by from public.agent_visibility
                where portfolio_id = pg_temp.l('one') and agent_id = '00000000-0000-0000-0000-0000000000a2'$$,
  row('partial'::text, null::uuid), 'the cross-agent match grants the request''s agent partial visibility (granted by the system)');
select is(pg_temp.notes('00000000-0000-0000-0000-0000000000a2'), 1::bigint, 'the request''s agent gets one match notification');
select ok((select bool_and(body like '%' || pg_temp.l('one') || '%') from public.pending_notifications
           where contact_id = '00000000-0000-0000-0000-0000000000a2'), 'naming the listing');
select is(pg_temp.notes('00000000-0000-0000-0000-0000000000a1'), 0::bigint, 'the listing agent is not notified of a request with an agent');
create temporary table t_m as select * from pg_temp.m(pg_temp.l('one'), 'r1');
-- re-running changes nothing
update public.portfolios set title = title, listed_price = listed_price where id = pg_temp.l('one');
select pg_temp.drain();
update public.requests set criteria = criteria, status = status where id = pg_temp.r('r1');
select pg_temp.drain();
update public.portfolio_confidential set min_price = min_price where portfolio_id = pg_temp.l('one');
select pg_temp.drain();
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok($$select public.update_listing(p_portfolio_id => pg_temp.l('one'), p_title => 'Moda 3+1', p_listed_price => 12500000, p_min_price => 11800000)$$,
  'update_listing with the same values');
select pg_temp.drain();
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select lives_ok($$select public.update_request_criteria(pg_temp.r('r1'), (select criteria from public.requests where id = pg_temp.r('r1')))$$,
  'update_request_criteria with the same criteria');
select pg_temp.drain();
reset role;
select results_eq($$select * from pg_temp.m(pg_temp.l('one'), 'r1')$$, $$select * from t_m$$,
  're-running the matching (no-op updates of both sides) changes nothing in the match');
select is((select count(*) from public.pending_notifications), 1::bigint, 'and notifies nobody again');
-- a change of score updates the row in place, without a new notification
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok($$select public.update_listing(p_portfolio_id => pg_temp.l('one'), p_rooms => '2+1')$$, 'a1 changes the rooms to 2+1');
select pg_temp.drain();
reset role;
select row_eq($$select match_score, notified, notified_agent_id, id from pg_temp.m(pg_temp.l('one'), 'r1')$$,
  row(4::smallint, true, '00000000-0000-0000-0000-0000000000a2'::uuid, (select id from t_m)),
  'the score drops to 4 in the same row, still notified');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select lives_ok($$select public.update_request_criteria(pg_temp.r('r1'), '{"districts": ["Beşiktaş", "Kadıköy"], "types": ["daire"], "rooms": ["2+1", "3+1"], "max_price": 12000000}')$$,
  'a2 accepts 2+1 and lowers the budget below the listed price (above the floor)');
select pg_temp.drain();
reset role;
select row_eq($$select match_score, id from pg_temp.m(pg_temp.l('one'), 'r1')$$, row(4::smallint, (select id from t_m)),
  'rooms point back, negotiation point gone: 4, the same row');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok($$select public.update_listing(p_portfolio_id => pg_temp.l('one'), p_listed_price => 12000000)$$, 'a1 drops the price to the budget');
select pg_temp.drain();
reset role;
select row_eq($$select match_score, id from pg_temp.m(pg_temp.l('one'), 'r1')$$, row(5::smallint, (select id from t_m)), 'score 5, the same row');
select is((select count(*) from public.pending_notifications), 1::bigint, 'score changes notified nobody');
-- the floor decides reachability, from the confidential side
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select lives_ok($$select public.update_request_criteria(pg_temp.r('r1'), '{"districts": ["Kadıköy"], "max_price": 11900000}')$$,
  'a2 lowers the budget to 11.900.000 (the floor is 11.800.000)');
select pg_temp.drain();
reset role;
select is((select match_score from pg_temp.m(pg_temp.l('one'), 'r1')), 4::smallint, 'reachable through the floor: 4');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok($$select public.update_listing(p_portfolio_id => pg_temp.l('one'), p_min_price => 12000000)$$, 'a1 raises the floor (and its band) above the budget');
select pg_temp.drain();
reset role;
select is((select count(*) from pg_temp.m(pg_temp.l('one'), 'r1')), 0::bigint, 'a floor change that breaks the budget removes the match');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok($$update public.portfolio_confidential set min_price = 11900000 where portfolio_id = pg_temp.l('one')$$, 'a1 lowers it to the budget');
select pg_temp.drain();
reset role;
select is((select match_score from pg_temp.m(pg_temp.l('one'), 'r1')), 4::smallint, 'the match is back');
delete from public.portfolio_confidential where portfolio_id = pg_temp.l('one');
select pg_temp.drain();
select is((select count(*) from pg_temp.m(pg_temp.l('one'), 'r1')), 0::bigint, 'without its floor the listed price is used: no match');
insert into public.portfolio_confidential (portfolio_id, min_price) values (pg_temp.l('one'), 11800000);
select pg_temp.drain();
select is((select match_score from pg_temp.m(pg_temp.l('one'), 'r1')), 4::smallint, 'a new confidential row with a floor: match');
-- changes that break a hard filter remove the match, from either side
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok($$select public.update_listing(p_portfolio_id => pg_temp.l('one'), p_district => 'Üsküdar')$$, 'the listing moves to Üsküdar');
select pg_temp.drain();
reset role;  -- the matches of r1 (a2's request) are not the listing agent's to read
select is((select count(*) from pg_temp.m(pg_temp.l('one'), 'r1')), 0::bigint, 'district broken: the match is gone');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok($$select public.update_listing(p_portfolio_id => pg_temp.l('one'), p_district => 'Kadıköy')$$, 'back to Kadıköy');
select pg_temp.drain();
reset role;  -- the matches of r1 (a2's request) are not the listing agent's to read
select is((select count(*) from pg_temp.m(pg_temp.l('one'), 'r1')), 1::bigint, 'matched again');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok($$select public.update_listing(p_portfolio_id => pg_temp.l('one'), p_currency => 'USD', p_listed_price => 400000, p_min_price => 390000)$$,
  'priced in USD');
select pg_temp.drain();
reset role;  -- the matches of r1 (a2's request) are not the listing agent's to read
select is((select count(*) from pg_temp.m(pg_temp.l('one'), 'r1')), 0::bigint, 'currency broken: gone');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok($$select public.update_listing(p_portfolio_id => pg_temp.l('one'), p_currency => 'TRY', p_listed_price => 12000000, p_min_price => 11800000)$$,
  'back in TRY');
select pg_temp.drain();
select lives_ok($$select public.deactivate_listing(pg_temp.l('one'))$$, 'deactivated');
select pg_temp.drain();
reset role;  -- the matches of r1 (a2's request) are not the listing agent's to read
select is((select count(*) from pg_temp.m(pg_temp.l('one'), 'r1')), 0::bigint, 'an inactive listing leaves its matches');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select lives_ok($$select public.reactivate_listing(pg_temp.l('one'))$$, 'reactivated');
select pg_temp.drain();
reset role;  -- the matches of r1 (a2's request) are not the listing agent's to read
select is((select count(*) from pg_temp.m(pg_temp.l('one'), 'r1')), 1::bigint, 'and is matched again');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
reset role;
-- the next day: a2's daily budget changes start again
delete from private.request_budget_changes where request_id = pg_temp.r('r1');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select lives_ok($$select public.update_request_criteria(pg_temp.r('r1'), '{"districts": ["Kadıköy"], "types": ["villa"]}')$$,
  'a2 asks for villas only');
select pg_temp.drain();
select is((select count(*) from pg_temp.m(pg_temp.l('one'), 'r1')), 0::bigint, 'type broken from the request side: gone');
select lives_ok($$select public.update_request_criteria(pg_temp.r('r1'), '{"districts": ["Kadıköy"], "types": ["daire"], "min_price": 12000001}')$$,
  'a2 asks for flats of at least 12.000.001');
select pg_temp.drain();
select is((select count(*) from pg_temp.m(pg_temp.l('one'), 'r1')), 0::bigint, 'min_price broken: gone');
select lives_ok($$select public.update_request_criteria(pg_temp.r('r1'), '{"districts": ["Kadıköy"], "types": ["daire"]}')$$, 'a2 relaxes');
select pg_temp.drain();
select is((select match_score from pg_temp.m(pg_temp.l('one'), 'r1')), 5::smallint, 'matched, score 5');
select lives_ok($$select public.close_request(pg_temp.r('r1'))$$, 'a2 closes the request');
select pg_temp.drain();
select is((select count(*) from pg_temp.m(pg_temp.l('one'), 'r1')), 0::bigint, 'a closed request leaves its matches');
reset role;
select is((select visibility_level from public.agent_visibility where portfolio_id = pg_temp.l('one') and agent_id = '00000000-0000-0000-0000-0000000000a2'),
  'partial', 'visibility granted by the match stays when the match goes');

-- ===================================================================================== who is notified, who sees
delete from public.pending_notifications;
-- unassigned request: the listing agent acts
insert into t_req values ('unassigned', gen_random_uuid()), ('own', gen_random_uuid()), ('a3', gen_random_uuid()), ('full', gen_random_uuid());
insert into public.requests (id, customer_id, assigned_agent, request_type, criteria) values
  (pg_temp.r('unassigned'), '00000000-0000-0000-0000-0000000000c1', null, 'buy', '{"districts": ["Ataşehir"], "types": ["villa"]}'),
  (pg_temp.r('own'), '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1', 'buy', '{"districts": ["Ataşehir"], "types": ["villa"]}'),
  (pg_temp.r('a3'), '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a3', 'buy', '{"districts": ["Ataşehir"], "types": ["villa"]}'),
  (pg_temp.r('full'), '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a2', 'buy', '{"districts": ["Ataşehir"], "types": ["villa"]}');
select pg_temp.drain();
insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price, status)
values ('2026-200', '00000000-0000-0000-0000-0000000000a1', 'villa', 'sale', 'Ataşehir villa', 'Ataşehir', '5+2', 30000000, 'inactive');
select pg_temp.drain();
insert into public.agent_visibility (portfolio_id, agent_id, visibility_level, granted_by)
values ('2026-200', '00000000-0000-0000-0000-0000000000a2', 'full', '00000000-0000-0000-0000-0000000000a1');
update public.portfolios set status = 'active' where id = '2026-200';
select pg_temp.drain();
select results_eq($$select (select k from t_req where id = m.request_id), m.notified, m.notified_agent_id from public.portfolio_request_matches m
                    where m.portfolio_id = '2026-200' order by 1$$,
  $$values ('a3'::text, true, '00000000-0000-0000-0000-0000000000a3'::uuid),
           ('full'::text, true, '00000000-0000-0000-0000-0000000000a2'::uuid),
           ('own'::text, true, '00000000-0000-0000-0000-0000000000a1'::uuid),
           ('unassigned'::text, true, '00000000-0000-0000-0000-0000000000a1'::uuid)$$,
  'notified: the request''s agent, or the listing agent when the request has none');
select is((select count(*) from public.agent_visibility where portfolio_id = '2026-200' and agent_id = '00000000-0000-0000-0000-0000000000a1'),
  0::bigint, 'the listing agent is granted nothing on its own listing');
select is((select visibility_level from public.agent_visibility where portfolio_id = '2026-200' and agent_id = '00000000-0000-0000-0000-0000000000a3'),
  'partial', 'another agent of the same office working the request is granted partial');
select is((select visibility_level from public.agent_visibility where portfolio_id = '2026-200' and agent_id = '00000000-0000-0000-0000-0000000000a2'),
  'full', 'a full grant is never lowered by a match');
select results_eq($$select contact_id, count(*) from public.pending_notifications group by contact_id order by contact_id$$,
  $$values ('00000000-0000-0000-0000-0000000000a1'::uuid, 1::bigint), ('00000000-0000-0000-0000-0000000000a2'::uuid, 1::bigint),
           ('00000000-0000-0000-0000-0000000000a3'::uuid, 1::bigint)$$,
  'one notification per agent for the statement, a1''s covering its two matches');
-- one notification per agent per statement, listing all its new matches
delete from public.pending_notifications;
insert into t_req values ('b1', gen_random_uuid()), ('b2', gen_random_uuid()), ('b3', gen_random_uuid());
insert into public.requests (id, customer_id, assigned_agent, request_type, criteria)
select pg_temp.r(k), '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a2', 'buy',
       format('{"districts": ["Beykoz"], "types": ["daire"], "max_price": %s}', p)::jsonb
from (values ('b1', 10000000), ('b2', 20000000), ('b3', 30000000)) as t (k, p);
select pg_temp.drain();
insert into public.portfolios (id, agent_id, type, listing_type, title, district, rooms, listed_price) values
  ('2026-301', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Beykoz 1', 'Beykoz', '2+1', 9000000),
  ('2026-302', '00000000-0000-0000-0000-0000000000a1', 'daire', 'sale', 'Beykoz 2', 'Beykoz', '3+1', 19000000);
select pg_temp.drain();
select is(pg_temp.notes('00000000-0000-0000-0000-0000000000a2'), 1::bigint,
  'two listings inserted in one statement matching five of a2''s requests: one notification');
select ok((select body like '%2026-301%' and body like '%2026-302%' from public.pending_notifications
           where contact_id = '00000000-0000-0000-0000-0000000000a2'), 'naming both listings');
delete from public.pending_notifications;
insert into t_req values ('b4', gen_random_uuid());
insert into public.requests (id, customer_id, assigned_agent, request_type, criteria)
values (pg_temp.r('b4'), '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a2', 'buy',
        '{"districts": ["Beykoz", "Ataşehir"]}');
select pg_temp.drain();
select is(pg_temp.notes('00000000-0000-0000-0000-0000000000a2'), 1::bigint, 'a new request matching three listings: one notification');
select ok((select body like '%2026-301%' and body like '%2026-302%' and body like '%2026-200%' from public.pending_notifications
           where contact_id = '00000000-0000-0000-0000-0000000000a2'), 'listing all three matches');
select is((select trigger_type from public.portfolio_request_matches where portfolio_id = '2026-301' and request_id = pg_temp.r('b4')),
  'request', 'a match created by a new request is triggered by the request');
-- one call of create_listing is one event, its floor included
delete from public.pending_notifications;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
insert into t_l select 'beykoz3', id from public.create_listing(p_type => 'daire', p_listing_type => 'sale', p_title => 'Beykoz 3',
  p_district => 'Beykoz', p_listed_price => 10500000, p_rooms => '2+1', p_min_price => 9500000);
select pg_temp.drain();
select ok(pg_temp.l('beykoz3') is not null, 'a1 lists Beykoz 3 (B3) at 10.500.000 with a floor of 9.500.000');
reset role;
select is((select count(*) from public.portfolio_request_matches where portfolio_id = pg_temp.l('beykoz3')), 4::bigint,
  'it matches b1 (through its floor), b2, b3 and b4');
select is(pg_temp.notes('00000000-0000-0000-0000-0000000000a2'), 1::bigint,
  'one notification for a2 for the whole create_listing call, the match found through the floor included');

-- ===================================================================================== explain_match
insert into t_req values ('x', gen_random_uuid());
insert into public.requests (id, customer_id, assigned_agent, request_type, criteria)
values (pg_temp.r('x'), '00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a2', 'buy',
        '{"districts": ["Beykoz"], "types": ["daire"], "rooms": ["3+1"], "max_price": 10000000}');
select pg_temp.drain();
-- B3: Beykoz daire 2+1 at 10.500.000, floor 9.500.000: reachable, not within budget, rooms off: 3
select is((select match_score from pg_temp.m(pg_temp.l('beykoz3'), 'x')), 3::smallint, 'B3 x the request: score 3');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select set_eq($$select criterion from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('x'))$$,
  array['open', 'listing_type', 'currency', 'district', 'type', 'rooms', 'reachable_within_budget',
        'within_budget_without_negotiation'], 'explain_match returns every criterion of the spec');
select is((select sum(points)::integer from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('x'))
           where criterion in ('open', 'listing_type', 'currency')), 0, 'the hard filters give no points');
select set_eq($$select criterion, passed from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('x')) where not passed$$,
  $$values ('rooms'::text, false), ('within_budget_without_negotiation', false)$$, 'the failed ones: rooms and the negotiation point');
select is((select sum(points)::integer from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('x'))), 3, 'the points add up to the score');
select results_eq($$select criterion, points from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('x'))
                    where criterion in ('district', 'type', 'rooms', 'reachable_within_budget', 'within_budget_without_negotiation')
                    order by criterion$$,
  $$values ('district'::text, 1), ('reachable_within_budget', 1), ('rooms', 0), ('type', 1), ('within_budget_without_negotiation', 0)$$,
  'one point per passed scoring criterion, none for a failed one');
select is((select passed from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('b3')) where criterion = 'within_budget_without_negotiation'),
  true, 'within budget without negotiation when the listed price is');
select set_eq($$select criterion from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('x')) where hard_filter$$,
  array['open', 'listing_type', 'currency', 'district', 'type', 'reachable_within_budget'],
  'the hard filters are named by the database: the first six criteria of the spec');
select set_eq($$select criterion from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('x')) where scored$$,
  array['district', 'type', 'rooms', 'reachable_within_budget', 'within_budget_without_negotiation'],
  'the five scored criteria');
select set_eq($$select matched, score, max_score, verdict from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('x'))$$,
  $$values (true, 3, 5, 'match')$$, 'every row carries the verdict: a match, score 3 of 5 (the stored match_score)');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a2');
select results_eq($$select * from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('x')) order by criterion$$,
  $$select * from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('x')) order by criterion$$,
  'the request''s agent explains the match it was notified of');
select ok((select bool_and(points between 0 and 1 and criterion !~ '[0-9]') from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('x'))),
  'no price in any value it returns (points are 0 or 1, criteria are names)');
select is((select count(*) from information_schema.routines r join information_schema.parameters p using (specific_schema, specific_name)
           where r.routine_schema = 'public' and r.routine_name = 'explain_match' and p.parameter_mode = 'OUT'
             and p.data_type not in ('text', 'boolean', 'integer')), 0::bigint, 'its result has no column a price could travel in');
select throws_ok($$select * from public.explain_match(pg_temp.l('one'), pg_temp.r('x'))$$, '42501', null,
  'the request''s agent cannot explain a pair that does not match');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a3');
select throws_ok($$select * from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('x'))$$, '42501', null,
  'another agent of the listing''s office who is not its manager cannot explain it');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c2');
select throws_ok($$select * from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('x'))$$, '42501', null, 'nor the customer');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select results_eq($$select criterion, passed from public.explain_match('2026-200', pg_temp.r('x')) where not passed order by criterion$$,
  $$values ('district'::text, false), ('reachable_within_budget', false), ('rooms', false), ('type', false),
           ('within_budget_without_negotiation', false)$$, 'staff explain a pair that does not match: what failed');
select set_eq($$select matched, score, verdict from public.explain_match('2026-200', pg_temp.r('x'))$$,
  $$values (false, 0, 'no match: district, type, reachable_within_budget')$$,
  'its verdict: no match, naming the failed hard filters in the order of the spec (never a price)');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select throws_ok($$select * from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('x'))$$, '42501',
  format('match of listing %s and request %s: not found or not yours', pg_temp.l('beykoz3'), pg_temp.r('x')),
  'the listing agent cannot explain its listing against another office''s assigned request');
select throws_ok($$select * from public.explain_match(pg_temp.l('beykoz3'), '00000000-0000-0000-0000-00000000dead')$$, '42501',
  format('match of listing %s and request %s: not found or not yours', pg_temp.l('beykoz3'), '00000000-0000-0000-0000-00000000dead'),
  'the same error for a request that does not exist');
reset role;
insert into t_req values ('cheap', gen_random_uuid());
insert into public.requests (id, customer_id, request_type, criteria)
values (pg_temp.r('cheap'), '00000000-0000-0000-0000-0000000000c2', 'buy', '{"districts": ["Beykoz"], "min_price": 11000000, "currency": "USD"}');
select pg_temp.drain();
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select throws_ok($$select * from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('cheap'))$$, '42501', null,
  'the listing agent explains an unassigned request only once it matches');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
select results_eq($$select criterion, passed from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('cheap')) where not passed order by criterion$$,
  $$values ('currency'::text, false), ('reachable_within_budget', false)$$,
  'currency fails by name; a listed price below min_price is not reachable within the budget');
select is((select distinct verdict from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('cheap'))),
  'no match: currency, reachable_within_budget', 'the verdict names both');
select ok((select bool_and(not matched) from public.explain_match(pg_temp.l('beykoz3'), pg_temp.r('cheap'))), 'not matched');
reset role;

-- ===================================================================================== signals, unmet demand
select results_eq($$select source_type, source_id, match_count from public.market_signals
                    where parsed_criteria = (select criteria from public.requests where id = pg_temp.r('b4'))$$,
  $$values ('request'::text, '00000000-0000-0000-0000-0000000000c2'::uuid, 3)$$, 'a new request records a signal with its match count');
delete from public.market_signals;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000c1');
select lives_ok($$select public.create_request(p_request_type => 'buy', p_criteria => '{"districts": ["Adalar"], "types": ["villa"], "max_price": 40000000}')$$,
  'a request nothing matches');
select pg_temp.drain();
reset role;
insert into public.market_signals (source_type, source_id, query_raw, parsed_criteria, match_count, created_at) values
  ('search', '00000000-0000-0000-0000-0000000000a1', 'kadıköy daire', '{"districts": ["Kadıköy"], "types": ["daire"], "max_price": 5200000}', 0, now() - interval '1 day'),
  ('request', '00000000-0000-0000-0000-0000000000c1', null, '{"districts": ["Kadıköy"], "types": ["daire"], "max_price": 6000000}', 0, now() - interval '2 days'),
  ('session', '00000000-0000-0000-0000-0000000000c2', null, '{"districts": ["kadikoy"], "types": ["daire"], "max_price": 7000000}', 0, now() - interval '3 days'),
  ('request', '00000000-0000-0000-0000-0000000000c1', null, '{"districts": ["Kadıköy"], "types": ["daire"], "max_price": 6000000}', 2, now() - interval '1 day'),
  ('request', '00000000-0000-0000-0000-0000000000c1', null, '{"districts": ["Kadıköy"], "types": ["daire"], "max_price": 6000000}', 0, now() - interval '40 days'),
  ('search', '00000000-0000-0000-0000-0000000000a2', 'şişli villa', '{"districts": ["Şişli"], "types": ["villa"], "max_price": 60000000, "currency": "USD"}', 0, now() - interval '1 day');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000ad');
create temporary table t_unmet as select * from public.unmet_demand(now() - interval '30 days', now() + interval '1 minute');
reset role;
select results_eq($$select district, type, currency, price_band_min, price_band_max, signals from t_unmet where district in ('Şişli', 'Adalar') order by district$$,
  $$values ('Adalar'::text, 'villa'::text, 'TRY'::text, 30000000::bigint, 50000000::bigint, 1),
           ('Şişli', 'villa', 'USD', 50000000, 75000000, 1)$$,
  'unmet demand by district, type, currency and price band of the budget, the new request''s signal included');
select is((select sum(signals)::integer from t_unmet where district in ('Kadıköy', 'kadikoy')), 3,
  'zero-match signals of the period only (not the one with matches, not the one before the period)');
select is((select count(*) from t_unmet where district in ('Kadıköy', 'kadikoy')), 1::bigint,
  'Kadıköy and kadikoy are one district in the report');
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select is((select count(*) from public.unmet_demand(now() - interval '30 days', now() + interval '1 minute')), (select count(*) from t_unmet),
  'a broker reads the report');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000a1');
select ok(coalesce(pg_temp.err($$select public.unmet_demand(now() - interval '30 days', now())$$) like '42501%', false)
          or (select count(*) = 0 from public.unmet_demand(now() - interval '30 days', now())), 'an agent does not');
reset role;
select pg_temp.act_as('00000000-0000-0000-0000-0000000000b1');
select is((select count(*) from public.market_signals), 0::bigint, 'a broker reads no raw signal (customer ids, criteria): only the report');
select matches(pg_temp.err($$insert into public.market_signals (source_type, source_id, match_count) values ('search', '00000000-0000-0000-0000-0000000000b1', 0)$$),
  '^42501', 'and records none itself: only the database does');
select matches(pg_temp.err($$select public.unmet_demand(now(), now() - interval '1 day')$$), '^VC001', 'from after to: VC001');
reset role;

select * from finish();
rollback;

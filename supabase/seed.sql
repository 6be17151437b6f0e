-- Demo seed: two Istanbul offices, their agents, customers, listings with confidential rows and photos,
-- requests and a bot session. Fixed ids; re-runnable (existing rows are left alone).
-- Used by `make demo` (vic db seed) and by `supabase db reset`.

-- Contacts: platform owner, two offices (broker + agents), customers and property owners.
insert into public.contacts (id, phone, bsuid, contact_type, display_name, onboarding_status,
                             consent_transfer, consent_training, consent_marketing) values
  ('00000000-0000-4000-8000-000000000001', '+905320000001', null, 'staff', 'Deniz Aksoy (VIC)', 'active', true, false, false),
  ('00000000-0000-4000-8000-000000000101', '+905321110001', null, 'agent', 'Ayşe Yılmaz', 'active', true, false, true),
  ('00000000-0000-4000-8000-000000000102', '+905321110002', null, 'agent', 'Mehmet Öztürk', 'active', true, false, true),
  ('00000000-0000-4000-8000-000000000103', '+905321110003', null, 'agent', 'Elif Şahin', 'active', true, true, true),
  ('00000000-0000-4000-8000-000000000201', '+905322220001', null, 'agent', 'Can Demir', 'active', true, false, true),
  ('00000000-0000-4000-8000-000000000202', '+905322220002', null, 'agent', 'Zeynep Arslan', 'active', true, false, true),
  ('00000000-0000-4000-8000-000000000203', '+905322220003', null, 'agent', 'Burak Çelik', 'active', true, false, false),
  ('00000000-0000-4000-8000-000000000301', '+905551230001', null, 'customer', 'Selin Koç', 'active', true, true, true),
  ('00000000-0000-4000-8000-000000000302', '+905551230002', null, 'customer', 'Emre Aydın', 'active', true, false, false),
  ('00000000-0000-4000-8000-000000000303', '+447700900123', null, 'customer', 'James Whitfield', 'active', true, false, true),
  ('00000000-0000-4000-8000-000000000304', null, 'TR.8f3a91c2', 'lead', 'Gökhan', 'profiling', true, false, false),
  ('00000000-0000-4000-8000-000000000305', '+905551230005', null, 'lead', null, 'consent_pending', false, false, false),
  ('00000000-0000-4000-8000-000000000401', '+905301110001', null, 'property_owner', 'Hasan Kaya', 'active', true, false, false),
  ('00000000-0000-4000-8000-000000000402', '+905301110002', null, 'property_owner', 'Fatma Güneş', 'active', true, false, false)
on conflict do nothing;

insert into public.agent_profiles (contact_id, role, office, specialty, territory, target_monthly, active) values
  ('00000000-0000-4000-8000-000000000001', 'owner', null, null, null, null, true),
  ('00000000-0000-4000-8000-000000000101', 'broker', 'Moda Emlak', 'Konut', 'Kadıköy, Üsküdar, Ataşehir', 4, true),
  ('00000000-0000-4000-8000-000000000102', 'agent', 'Moda Emlak', 'Kiralık daire', 'Kadıköy, Maltepe', 3, true),
  ('00000000-0000-4000-8000-000000000103', 'agent', 'Moda Emlak', 'Lüks konut', 'Kadıköy, Üsküdar', 2, true),
  ('00000000-0000-4000-8000-000000000201', 'broker', 'Boğaziçi Gayrimenkul', 'Villa, yalı', 'Beşiktaş, Sarıyer', 3, true),
  ('00000000-0000-4000-8000-000000000202', 'agent', 'Boğaziçi Gayrimenkul', 'Konut', 'Şişli, Beşiktaş', 4, true),
  ('00000000-0000-4000-8000-000000000203', 'agent', 'Boğaziçi Gayrimenkul', 'Dükkan, arsa', 'Beyoğlu, Şişli', 2, false)
on conflict do nothing;

-- Listings (portföy).
insert into public.portfolios (id, agent_id, type, listing_type, title, description, district, rooms, listed_price, currency, status) values
  ('2026-001', '00000000-0000-4000-8000-000000000101', 'daire', 'sale', 'Moda''da deniz manzaralı 3+1',
   'Moda sahiline 5 dakika, 140 m², asansörlü, otoparklı.', 'Kadıköy', '3+1', 12500000, 'TRY', 'active'),
  ('2026-002', '00000000-0000-4000-8000-000000000102', 'daire', 'rent', 'Kadıköy merkezde eşyalı 1+1',
   'Metroya yürüme mesafesi, yeni binada.', 'Kadıköy', '1+1', 32000, 'TRY', 'active'),
  ('2026-003', '00000000-0000-4000-8000-000000000103', 'villa', 'sale', 'Kuzguncuk''ta bahçeli tarihi köşk',
   'Boğaz''a yakın, restore edilmiş, 4 katlı.', 'Üsküdar', '5+2', 1850000, 'USD', 'active'),
  ('2026-004', '00000000-0000-4000-8000-000000000102', 'daire', 'sale', 'Ataşehir''de site içinde 2+1',
   'Havuzlu site, 24 saat güvenlik.', 'Ataşehir', '2+1', 8900000, 'TRY', 'active'),
  ('2026-005', '00000000-0000-4000-8000-000000000201', 'villa', 'sale', 'Sarıyer Zekeriyaköy''de müstakil villa',
   'Orman manzaralı, 600 m² arsa içinde.', 'Sarıyer', '6+2', 2400000, 'USD', 'active'),
  ('2026-006', '00000000-0000-4000-8000-000000000202', 'daire', 'sale', 'Nişantaşı''nda klasik bina 4+1',
   'Yüksek tavanlı, şömineli, Teşvikiye camisine yakın.', 'Şişli', '4+1', 27500000, 'TRY', 'active'),
  ('2026-007', '00000000-0000-4000-8000-000000000202', 'daire', 'rent', 'Beşiktaş Abbasağa''da 2+1',
   'Parka bakan, yeni boyalı.', 'Beşiktaş', '2+1', 45000, 'TRY', 'active'),
  ('2026-008', '00000000-0000-4000-8000-000000000203', 'dukkan', 'rent', 'İstiklal Caddesi''nde köşe dükkan',
   'Yüksek yaya trafiği, 85 m².', 'Beyoğlu', null, 180000, 'TRY', 'active'),
  ('2026-009', '00000000-0000-4000-8000-000000000203', 'arsa', 'sale', 'Çatalca''da imarlı arsa',
   '1.200 m², yola cepheli.', 'Çatalca', null, 6500000, 'TRY', 'inactive'),
  ('2026-010', '00000000-0000-4000-8000-000000000101', 'daire', 'sale', 'Fenerbahçe''de bahçe katı 3+1',
   'Parka yakın, geniş bahçe.', 'Kadıköy', '3+1', 14200000, 'TRY', 'sold'),
  ('2026-011', '00000000-0000-4000-8000-000000000201', 'daire', 'sale', 'Bebek''te Boğaz manzaralı 3+1',
   'Sahile 2 dakika, kapalı otopark.', 'Beşiktaş', '3+1', 950000, 'EUR', 'active'),
  ('2026-012', '00000000-0000-4000-8000-000000000103', 'daire', 'rent', 'Üsküdar Çengelköy''de 3+1',
   'Boğaz''a nazır, aile apartmanı.', 'Üsküdar', '3+1', 60000, 'TRY', 'active')
on conflict do nothing;

insert into public.portfolio_confidential (portfolio_id, owner_name, owner_phone, min_price, commission_rate, private_notes) values
  ('2026-001', 'Hasan Kaya', '+905301110001', 11800000, 2.00, 'Mal sahibi acele satmak istiyor.'),
  ('2026-003', 'Fatma Güneş', '+905301110002', 1700000, 3.00, null),
  ('2026-004', 'Hasan Kaya', '+905301110001', 8500000, 2.00, null),
  ('2026-005', 'Orhan Er', '+905301110003', 2250000, 2.50, 'Takas düşünür.'),
  ('2026-006', 'Leyla Tan', '+905301110004', 26000000, 2.00, null),
  ('2026-011', 'Kemal Sezer', '+905301110005', 900000, 2.00, null),
  ('2026-002', 'Nur Ateş', '+905301110006', null, 100.00, 'Bir kira bedeli komisyon.')
on conflict do nothing;

-- (sort_order's unique key is deferrable for atomic reorders, so ON CONFLICT cannot use it)
insert into public.portfolio_media (portfolio_id, media_type, storage_path, sort_order, uploaded_by)
select v.portfolio_id, v.media_type, v.storage_path, v.sort_order, v.uploaded_by::uuid
from (values
    ('2026-001', 'photo', 'portfolios/2026-001/salon.jpg', 0, '00000000-0000-4000-8000-000000000101'),
    ('2026-001', 'photo', 'portfolios/2026-001/manzara.jpg', 1, '00000000-0000-4000-8000-000000000101'),
    ('2026-001', 'video', 'portfolios/2026-001/tur.mp4', 2, '00000000-0000-4000-8000-000000000101'),
    ('2026-003', 'photo', 'portfolios/2026-003/bahce.jpg', 0, '00000000-0000-4000-8000-000000000103'),
    ('2026-006', 'photo', 'portfolios/2026-006/cephe.jpg', 0, '00000000-0000-4000-8000-000000000202')
) as v (portfolio_id, media_type, storage_path, sort_order, uploaded_by)
where not exists (select 1 from public.portfolio_media m where m.portfolio_id = v.portfolio_id and m.sort_order = v.sort_order);

-- A bot session that produced a request.
insert into public.sessions (id, contact_id, status, last_message_at, intent, district, property_type, rooms, max_price, language, qualifying_completeness) values
  ('00000000-0000-4000-8000-000000000501', '00000000-0000-4000-8000-000000000301', 'extracted', now() - interval '2 hours',
   'buy', 'Kadıköy', 'daire', '3+1', 13000000, 'tr', 1.00),
  ('00000000-0000-4000-8000-000000000502', '00000000-0000-4000-8000-000000000304', 'active', now() - interval '10 minutes',
   'rent', 'Beşiktaş', null, null, null, 'tr', 0.50)
on conflict do nothing;

-- (created_at is the WhatsApp time; the messages set each contact's interaction_tracker row, its 24-hour window)
insert into public.message_log (from_contact, to_contact, direction, message_type, content, wa_message_id, session_id, processed_at, created_at) values
  ('00000000-0000-4000-8000-000000000301', null, 'inbound', 'text', 'Merhaba, Kadıköy''de 3+1 satılık daire arıyorum, bütçem 13 milyon.',
   'wamid.seed.0001', '00000000-0000-4000-8000-000000000501', now() - interval '2 hours', now() - interval '2 hours'),
  (null, '00000000-0000-4000-8000-000000000301', 'outbound', 'text', 'Teşekkürler Selin Hanım, kriterlerinize uyan ilanlara bakıyorum.',
   'wamid.seed.0002', '00000000-0000-4000-8000-000000000501', null, now() - interval '119 minutes'),
  ('00000000-0000-4000-8000-000000000304', null, 'inbound', 'text', 'Beşiktaş''ta kiralık ev var mı?',
   'wamid.seed.0003', '00000000-0000-4000-8000-000000000502', null, now() - interval '10 minutes')
on conflict do nothing;

-- Requests (talepler).
insert into public.requests (id, customer_id, assigned_agent, request_type, criteria, status, source_session_id) values
  ('00000000-0000-4000-8000-000000000601', '00000000-0000-4000-8000-000000000301', '00000000-0000-4000-8000-000000000102', 'buy',
   '{"districts": ["Kadıköy", "Üsküdar"], "types": ["daire"], "rooms": ["3+1"], "min_price": 9000000, "max_price": 13000000, "currency": "TRY"}',
   'assigned', '00000000-0000-4000-8000-000000000501'),
  ('00000000-0000-4000-8000-000000000602', '00000000-0000-4000-8000-000000000302', '00000000-0000-4000-8000-000000000202', 'rent',
   '{"districts": ["Beşiktaş", "Şişli"], "types": ["daire"], "rooms": ["2+1", "3+1"], "max_price": 50000, "currency": "TRY"}',
   'assigned', null),
  ('00000000-0000-4000-8000-000000000603', '00000000-0000-4000-8000-000000000303', null, 'buy',
   '{"districts": ["Beşiktaş", "Sarıyer"], "types": ["villa", "daire"], "max_price": 1000000, "currency": "EUR"}',
   'new', null),
  ('00000000-0000-4000-8000-000000000604', '00000000-0000-4000-8000-000000000302', null, 'buy',
   '{"districts": ["Ataşehir"], "types": ["daire"], "rooms": ["2+1"], "max_price": 9000000, "currency": "TRY"}',
   'new', null)
on conflict do nothing;

-- Co-broking grants: what Boğaziçi's agents may see of Moda Emlak's listings (the rest: anonymous cards).
insert into public.agent_visibility (portfolio_id, agent_id, visibility_level, granted_by) values
  ('2026-001', '00000000-0000-4000-8000-000000000202', 'partial', '00000000-0000-4000-8000-000000000101'),
  ('2026-003', '00000000-0000-4000-8000-000000000201', 'full', '00000000-0000-4000-8000-000000000101')
on conflict do nothing;

-- The matcher turns the seed's listings and requests into matches now (a worker would within a second).
select public.process_match_events(100000);

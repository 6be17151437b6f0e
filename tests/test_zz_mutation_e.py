import pytest
from tests.world import load, act
from tests import test_adversarial as A

MUTATIONS = {
    "conf true": 'alter policy "Listing managers read confidential data" on public.portfolio_confidential using (true)',
    "history true": 'alter policy "Listing managers read history" on public.portfolio_history using (true)',
    "portfolios rls off": 'alter table public.portfolios disable row level security',
    "leakproof off-order": 'alter policy "Listing managers read confidential data" on public.portfolio_confidential using (portfolio_id in (select p.id from public.portfolios p) or min_price = 11800000)',
}

@pytest.mark.parametrize("m", MUTATIONS)
def test_mut(db, m):
    load(db); db.execute(A.EXTRA_SQL.encode()); db.execute(MUTATIONS[m])
    att = A.ATTACKERS[0]
    with act(db, att.actor, rollback=True):
        outs = A.probe_direct_select(db, A.public_relations(db))
        counts = [A.attempt(db, l, s) for l, s, _ in A.COUNTS]
        side = [A.attempt(db, l, s) for l, s in A.SIDE_CHANNELS]
    print(m, len(A.leaks(outs, att.secrets())), [o.label for o in counts if o.rows and o.rows[0][0]][:3],
          [o.label for o in side if o.error and o.sqlstate != '42501'][:3])

"""Data that looks like Istanbul (../shared/BENCH.md), generated with numpy from a fixed seed.

Every chunk of rows is drawn from its own generator, keyed by (seed, purpose, first row), so two runs
load the same rows whatever the order or the chunk sizes of the load, and a data set grown from 10k
to 1M rows holds at 1M exactly the rows it would hold if loaded at once.

Shapes:
- 39 districts with a skewed share (Kadıköy, Beşiktaş, Üsküdar, Ataşehir, Şişli heavier) and a price
  level each; types mostly daire; rooms 1+1 … 5+1; prices log-normal per district, type and rooms;
  80% TRY; sale/rent 70/30; listings 85% active.
- requests buy/rent 70/30, naming 1–3 districts and 1–2 types, rooms named in 60%, a budget around
  the price level of their first district and type (max always, min in 40%), 10% closed.

The *scaling* data set is the same distribution with every row that would pass the probe's hard
filters changed, in one of the ways real rows fail (another district, another currency, another type,
a budget too low / a price too high), except the first PASSING rows, which pass by construction.
"""
from __future__ import annotations

import dataclasses
import json
import zlib
from collections.abc import Iterator

import numpy as np

SEED = 20260501

# ---------------------------------------------------------------------------------- the city
# (district, share weight, price level relative to the Istanbul median)
DISTRICTS: list[tuple[str, float, float]] = [
    ("Kadıköy", 7.0, 1.8), ("Beşiktaş", 5.5, 2.2), ("Üsküdar", 5.0, 1.4), ("Ataşehir", 5.0, 1.4),
    ("Şişli", 5.0, 1.7), ("Esenyurt", 4.0, 0.55), ("Sarıyer", 3.5, 2.4), ("Bakırköy", 3.5, 1.8),
    ("Maltepe", 3.5, 1.2), ("Ümraniye", 3.5, 1.1), ("Beylikdüzü", 3.5, 0.8), ("Kartal", 3.0, 1.0),
    ("Pendik", 3.0, 0.9), ("Başakşehir", 3.0, 1.0), ("Küçükçekmece", 3.0, 0.85), ("Beyoğlu", 2.5, 1.5),
    ("Fatih", 2.5, 1.1), ("Bahçelievler", 2.5, 0.95), ("Kağıthane", 2.5, 1.1), ("Eyüpsultan", 2.0, 1.0),
    ("Çekmeköy", 2.0, 1.0), ("Sancaktepe", 2.0, 0.8), ("Tuzla", 2.0, 0.9), ("Avcılar", 2.0, 0.75),
    ("Bağcılar", 2.0, 0.7), ("Beykoz", 1.5, 1.6), ("Büyükçekmece", 1.5, 0.8), ("Zeytinburnu", 1.5, 1.0),
    ("Gaziosmanpaşa", 1.5, 0.7), ("Sultangazi", 1.0, 0.6), ("Esenler", 1.0, 0.6), ("Güngören", 1.0, 0.75),
    ("Bayrampaşa", 1.0, 0.8), ("Sultanbeyli", 1.0, 0.55), ("Arnavutköy", 1.0, 0.6), ("Silivri", 1.0, 0.7),
    ("Çatalca", 0.5, 0.8), ("Şile", 0.5, 1.1), ("Adalar", 0.3, 1.6),
]
assert len(DISTRICTS) == 39 and len({d for d, _, _ in DISTRICTS}) == 39
DISTRICT_NAMES = [d for d, _, _ in DISTRICTS]
DISTRICT_P = np.array([w for _, w, _ in DISTRICTS]) / sum(w for _, w, _ in DISTRICTS)
DISTRICT_LEVEL = np.array([lv for _, _, lv in DISTRICTS])
D = {name: i for i, name in enumerate(DISTRICT_NAMES)}

TYPES = ["daire", "villa", "dukkan", "arsa"]
T = {name: i for i, name in enumerate(TYPES)}
TYPE_P = np.array([0.78, 0.07, 0.09, 0.06])
TYPE_LEVEL = np.array([1.0, 3.5, 1.3, 1.6])
TYPE_WORD = ["daire", "villa", "dükkan", "arsa"]

ROOMS = ["1+1", "2+1", "3+1", "4+1", "5+1"]
R = {name: i for i, name in enumerate(ROOMS)}
ROOMS_P = {"daire": np.array([0.22, 0.35, 0.28, 0.11, 0.04]),
           "villa": np.array([0.0, 0.05, 0.30, 0.40, 0.25])}
ROOMS_LEVEL = np.array([0.65, 1.0, 1.35, 1.8, 2.4])

CURRENCIES = ["TRY", "USD", "EUR", "GBP"]
C = {name: i for i, name in enumerate(CURRENCIES)}
CURRENCY_P = np.array([0.80, 0.10, 0.08, 0.02])
TRY_PER_UNIT = np.array([1.0, 41.0, 47.0, 55.0])  # what one unit of the currency costs in lira

MEDIAN_SALE_TRY = 6_500_000  # a 2+1 daire at price level 1.0
RENT_DIVISOR = 240  # monthly rent ≈ sale price / 240
PRICE_SIGMA = 0.40

LISTING_TYPES = ["sale", "rent"]  # matched with request types buy, rent
REQUEST_TYPES = ["buy", "rent"]
LISTING_STATUS = ["active", "inactive", "sold"]
LISTING_STATUS_P = np.array([0.85, 0.10, 0.05])
REQUEST_STATUS = ["new", "assigned", "closed"]
REQUEST_STATUS_P = np.array([0.35, 0.55, 0.10])

OFFICES = 100
AGENTS_PER_OFFICE = 10  # the first of each office is its broker
AGENTS = OFFICES * AGENTS_PER_OFFICE

# Words of real listing titles and descriptions; the first ones are the commonest.
FEATURES = [
    "asansörlü", "otoparklı", "site içinde", "metroya yakın", "doğalgazlı", "balkonlu", "yeni binada",
    "eşyalı", "deniz manzaralı", "bahçeli", "güvenlikli", "merkezi konumda", "krediye uygun",
    "okullara yakın", "ebeveyn banyolu", "havuzlu", "teraslı", "Boğaz manzaralı", "yerden ısıtmalı",
    "geniş salonlu", "ankastre mutfaklı", "köşe başı", "cadde üzeri", "şömineli", "akıllı ev sistemli",
    "sahile yürüme mesafesinde", "marmaraya yakın", "giyinme odalı", "çift cepheli", "tapulu",
]
FEATURE_P = 1.0 / np.arange(1, len(FEATURES) + 1) ** 0.8
FEATURE_P /= FEATURE_P.sum()
SENTENCES = [
    "Ulaşımı kolay, çarşıya yakın.", "Aile apartmanında, bakımlı.", "Yatırıma uygun.",
    "Hemen taşınmaya hazır.", "Sessiz bir sokakta.", "Manzarası kapanmaz.", "Takas düşünülebilir.",
    "Aidatı düşük.", "Kapalı otoparkı var.", "Yeni boyandı.",
]

# ---------------------------------------------------------------------------------- the probes
# Scaling: this new listing must pass the hard filters of exactly PASSING requests; this new request
# those of exactly PASSING listings. Every other row fails them in a realistic way.
PASSING = 50
PROBE_LISTING = dict(type="daire", listing_type="sale", district="Kadıköy", rooms="3+1",
                     listed_price=12_000_000, min_price=11_000_000, currency="TRY",
                     title="Kadıköy'de asansörlü 3+1 satılık daire",
                     description="135 m², asansörlü, otoparklı, metroya yakın. Hemen taşınmaya hazır.")
PROBE_REQUEST = dict(request_type="buy", districts=["Kadıköy", "Üsküdar"], types=["daire"], rooms=["3+1"],
                     min_price=6_000_000, max_price=12_000_000, currency="TRY")


CHUNK = 10_000  # rows are generated in fixed chunks of this size, each from its own generator


def rng_for(purpose: str, start: int = 0) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(purpose.encode()), start])


def chunked(generate, first: int, last: int):
    """Rows first..last-1 of a generated set, from whole fixed chunks (so any split loads the same rows)."""
    for start in range(first - first % CHUNK, last, CHUNK):
        part = generate(start, CHUNK)
        a, b = max(first, start) - start, min(last, start + CHUNK) - start
        yield part if (a, b) == (0, CHUNK) else part.take(a, b)


# ---------------------------------------------------------------------------------- ids
def agent_id(i: int) -> str:
    return f"00000000-0000-4000-b000-{i:012x}"


def customer_id(i: int) -> str:
    return f"00000000-0000-4000-a000-{i:012x}"


def request_id(i: int) -> str:
    return f"00000000-0000-4000-9000-{i:012x}"


def listing_id(i: int) -> str:
    # last year's listings: the current year's counter is left to the measured inserts
    return f"2025-{i + 1:03d}"


def customer_of_request(i: int) -> int:
    return i // 2  # two requests per customer on average


def agent_of_customer(c: int) -> int:
    return (c * 7919) % AGENTS


def is_broker(a: int) -> bool:
    return a % AGENTS_PER_OFFICE == 0


def locative(district: str) -> str:
    """Kadıköy'de, Beşiktaş'ta, Üsküdar'da, Şişli'de: vowel harmony and consonant assimilation."""
    last_vowel = next((ch for ch in reversed(district.lower()) if ch in "aıoueiöü"), "e")
    vowel = "a" if last_vowel in "aıou" else "e"
    cons = "t" if district[-1] in "çfhkpsştÇFHKPSŞT" else "d"
    return f"{district}'{cons}{vowel}"


# ---------------------------------------------------------------------------------- listings
@dataclasses.dataclass
class Listings:
    start: int
    type: np.ndarray  # index in TYPES
    listing_type: np.ndarray  # 0 sale, 1 rent
    district: np.ndarray
    rooms: np.ndarray  # -1: none (dukkan, arsa)
    currency: np.ndarray
    listed_price: np.ndarray  # int64
    floor: np.ndarray  # int64, 0: no confidential floor
    status: np.ndarray
    agent: np.ndarray
    area: np.ndarray  # m²
    features: np.ndarray  # (n, 3) indices in FEATURES
    sentence: np.ndarray

    def __len__(self) -> int:
        return len(self.type)

    def slice(self, j: int) -> Listings:
        """Row j alone (keeping its row number)."""
        return self.take(j, j + 1)

    def take(self, a: int, b: int) -> Listings:
        return Listings(self.start + a, *(getattr(self, f.name)[a:b] for f in dataclasses.fields(self)[1:]))


def _price_level(district: np.ndarray, type_: np.ndarray, rooms: np.ndarray, rent: np.ndarray,
                 currency: np.ndarray) -> np.ndarray:
    rooms_level = np.where(rooms >= 0, ROOMS_LEVEL[np.maximum(rooms, 0)], 1.0)
    level = MEDIAN_SALE_TRY * DISTRICT_LEVEL[district] * TYPE_LEVEL[type_] * rooms_level
    level = np.where(rent, level / RENT_DIVISOR, level)
    return level / TRY_PER_UNIT[currency]


def _round_price(p: np.ndarray, rent: np.ndarray, currency: np.ndarray) -> np.ndarray:
    # sale in lira to 10 000, rent to 500; foreign currencies to 1 000 / 50
    step = np.where(currency == 0, np.where(rent, 500, 10_000), np.where(rent, 50, 1_000))
    return np.maximum(step, np.round(p / step) * step).astype(np.int64)


def _rooms_for(rng: np.random.Generator, type_: np.ndarray) -> np.ndarray:
    rooms = np.full(len(type_), -1, dtype=np.int64)
    for name, p in ROOMS_P.items():
        sel = type_ == T[name]
        rooms[sel] = rng.choice(len(ROOMS), size=int(sel.sum()), p=p)
    return rooms


def istanbul_listings(start: int, n: int, purpose: str = "listings") -> Listings:
    rng = rng_for(purpose, start)
    type_ = rng.choice(len(TYPES), size=n, p=TYPE_P)
    listing_type = (rng.random(n) < 0.30).astype(np.int64)
    district = rng.choice(len(DISTRICTS), size=n, p=DISTRICT_P)
    rooms = _rooms_for(rng, type_)
    currency = rng.choice(len(CURRENCIES), size=n, p=CURRENCY_P)
    rent = listing_type == 1
    price = _price_level(district, type_, rooms, rent, currency) * rng.lognormal(0.0, PRICE_SIGMA, n)
    listed = _round_price(price, rent, currency)
    has_floor = rng.random(n) < 0.60
    floor = np.where(has_floor, np.floor(listed * rng.uniform(0.85, 0.98, n)), 0).astype(np.int64)
    floor = np.where(has_floor, np.maximum(floor, 1), 0)
    status = rng.choice(len(LISTING_STATUS), size=n, p=LISTING_STATUS_P)
    agent = rng.integers(0, AGENTS, n)
    area = np.where(rooms >= 0, 45 + 30 * np.maximum(rooms, 0), 60) * rng.uniform(0.8, 1.3, n)
    area = np.where(type_ == T["arsa"], area * 10, area).astype(np.int64)
    features = rng.choice(len(FEATURES), size=(n, 3), p=FEATURE_P)
    sentence = rng.integers(0, len(SENTENCES), n)
    return Listings(start, type_, listing_type, district, rooms, currency, listed, floor, status, agent,
                    area, features, sentence)


def floor_band(floor, listed):
    """The floor the matcher compares budgets with: rounded down to a step of 2% of the listed price
    (guard.floor_band, docs/matching.md), exact in integers."""
    return (np.asarray(floor, dtype=np.int64) * 50 // listed) * listed // 50


def listings_passing(ls: Listings, probe: dict = PROBE_REQUEST) -> np.ndarray:
    """Rows that pass the probe request's hard filters (docs/matching.md)."""
    reach = np.where(ls.floor > 0, floor_band(ls.floor, ls.listed_price), ls.listed_price)
    ok = (ls.status == 0) & (ls.listing_type == REQUEST_TYPES.index(probe["request_type"]))
    ok &= ls.currency == C[probe["currency"]]
    ok &= np.isin(ls.district, [D[d] for d in probe["districts"]])
    ok &= np.isin(ls.type, [T[t] for t in probe["types"]])
    ok &= reach <= probe["max_price"]
    ok &= ls.listed_price >= probe["min_price"]
    return ok


def scaling_listings(start: int, n: int) -> Listings:
    """Istanbul listings that fail PROBE_REQUEST, but for rows 0..PASSING-1, which pass it."""
    ls = istanbul_listings(start, n, "scaling-listings")
    rng = rng_for("scaling-listings-repair", start)
    probe = PROBE_REQUEST
    bad = listings_passing(ls)
    idx = np.flatnonzero(bad)
    reason = rng.integers(0, 4, len(idx))
    others = [i for i in range(len(DISTRICTS)) if DISTRICT_NAMES[i] not in probe["districts"]]
    # 0: another district
    sel = idx[reason == 0]
    ls.district[sel] = rng.choice(others, size=len(sel))
    # 1: another currency (the price converted)
    sel = idx[reason == 1]
    cur = rng.integers(1, len(CURRENCIES), len(sel))
    ls.listed_price[sel] = np.maximum(1, ls.listed_price[sel] // TRY_PER_UNIT[cur].astype(np.int64))
    ls.floor[sel] = np.where(ls.floor[sel] > 0, np.maximum(1, ls.floor[sel] // TRY_PER_UNIT[cur].astype(np.int64)), 0)
    ls.floor[sel] = np.minimum(ls.floor[sel], ls.listed_price[sel])
    ls.currency[sel] = cur
    # 2: another type (rooms kept sensible)
    sel = idx[reason == 2]
    new_type = rng.choice([T["villa"], T["dukkan"], T["arsa"]], size=len(sel))
    ls.type[sel] = new_type
    ls.rooms[sel] = np.where(new_type == T["villa"], np.maximum(ls.rooms[sel], R["3+1"]), -1)
    # 3: out of budget: too dear (even the floor) or too cheap
    sel = idx[reason == 3]
    dear = rng.random(len(sel)) < 0.6
    price = np.where(dear, probe["max_price"] * rng.uniform(1.05, 2.0, len(sel)),
                     probe["min_price"] * rng.uniform(0.5, 0.95, len(sel)))
    ls.listed_price[sel] = (np.round(price / 10_000) * 10_000).astype(np.int64)
    ls.floor[sel] = np.where(ls.floor[sel] > 0, (ls.listed_price[sel] * 0.97).astype(np.int64), 0)
    # even the floor's band (the floor rounded down by up to 2% of the price) above the budget
    ls.floor[sel] = np.where(dear & (ls.floor[sel] > 0),
                             np.maximum(ls.floor[sel], probe["max_price"] + ls.listed_price[sel] // 50 + 10_000),
                             ls.floor[sel])
    ls.floor[sel] = np.minimum(ls.floor[sel], ls.listed_price[sel])
    # the fixed passing rows
    if start < PASSING:
        k = PASSING - start
        p = np.arange(k)
        ls.status[:k] = 0
        ls.listing_type[:k] = 0
        ls.currency[:k] = C["TRY"]
        ls.district[:k] = np.where(p % 3 == 0, D["Üsküdar"], D["Kadıköy"])
        ls.type[:k] = T["daire"]
        ls.rooms[:k] = np.array([R["2+1"], R["3+1"], R["3+1"], R["4+1"]])[p % 4]
        # some above the budget but with a floor within it (reachable by negotiation)
        ls.listed_price[:k] = 6_500_000 + (p * 113_000) % 5_000_000 + (p % 4 == 0) * 1_500_000
        ls.floor[:k] = np.where(p % 2 == 0, (ls.listed_price[:k] * 0.93).astype(np.int64), 0)
        ls.floor[:k] = np.minimum(ls.floor[:k], probe["max_price"])
    expect = np.zeros(len(ls), dtype=bool)
    expect[: max(0, min(n, PASSING - start))] = True
    assert (listings_passing(ls) == expect).all(), "scaling listings: passing rows are not exactly the probe's"
    return ls


def listing_rows(ls: Listings) -> Iterator[tuple[str, ...]]:
    """portfolios rows: id, agent_id, type, listing_type, title, description, district, rooms,
    listed_price, currency, status, match_floor (the copy of the confidential floor the matcher reads, which
    a trigger on portfolio_confidential keeps; written here directly because that trigger is off during
    the load)."""
    for j in range(len(ls)):
        t = TYPES[ls.type[j]]
        district = DISTRICT_NAMES[ls.district[j]]
        rooms = ROOMS[ls.rooms[j]] if ls.rooms[j] >= 0 else None
        f = ls.features[j]
        kind = "satılık" if ls.listing_type[j] == 0 else "kiralık"
        title = f"{locative(district)} {FEATURES[f[0]]} {rooms + ' ' if rooms else ''}{kind} {TYPE_WORD[ls.type[j]]}"
        desc = (f"{ls.area[j]} m², {FEATURES[f[1]]}, {FEATURES[f[2]]}. {SENTENCES[ls.sentence[j]]}")
        yield (listing_id(ls.start + j), agent_id(int(ls.agent[j])), t, LISTING_TYPES[ls.listing_type[j]],
               title, desc, district, rooms, str(int(ls.listed_price[j])), CURRENCIES[ls.currency[j]],
               LISTING_STATUS[ls.status[j]], str(int(ls.floor[j])) if ls.floor[j] > 0 else None)


def confidential_rows(ls: Listings) -> Iterator[tuple[str, ...]]:
    """portfolio_confidential rows: portfolio_id, owner_name, owner_phone, min_price, commission_rate."""
    for j in np.flatnonzero(ls.floor > 0):
        i = ls.start + int(j)
        yield (listing_id(i), f"Mal Sahibi {i}", f"+90533{i % 10_000_000:07d}", str(int(ls.floor[j])), "2.00")


def new_listing_params(ls: Listings, j: int) -> dict:
    """Arguments of create_listing for row j of a generated set (a 'new' listing)."""
    row = next(listing_rows(ls.slice(j)))
    _, agent, t, lt, title, desc, district, rooms, price, cur, _, _ = row
    return dict(agent=agent, type=t, listing_type=lt, title=title, description=desc, district=district,
                rooms=rooms, listed_price=int(price), currency=cur,
                min_price=int(ls.floor[j]) if ls.floor[j] > 0 else None)


# ---------------------------------------------------------------------------------- requests
@dataclasses.dataclass
class Requests:
    start: int
    request_type: np.ndarray  # 0 buy, 1 rent
    districts: np.ndarray  # (n, 3), -1 padded
    types: np.ndarray  # (n, 2), -1 padded
    rooms: np.ndarray  # (n, 2), -1 padded
    currency: np.ndarray
    min_price: np.ndarray  # 0: none
    max_price: np.ndarray
    status: np.ndarray

    def __len__(self) -> int:
        return len(self.request_type)

    def take(self, a: int, b: int) -> Requests:
        return Requests(self.start + a, *(getattr(self, f.name)[a:b] for f in dataclasses.fields(self)[1:]))


def _distinct_draw(rng: np.random.Generator, n: int, k: int, p: np.ndarray) -> np.ndarray:
    """k distinct categories per row, drawn with weights p (Gumbel top-k)."""
    keys = np.log(p)[None, :] + rng.gumbel(size=(n, len(p)))
    return np.argsort(-keys, axis=1)[:, :k]


def istanbul_requests(start: int, n: int, purpose: str = "requests") -> Requests:
    rng = rng_for(purpose, start)
    request_type = (rng.random(n) < 0.30).astype(np.int64)
    nd = rng.choice([1, 2, 3], size=n, p=[0.50, 0.35, 0.15])
    districts = _distinct_draw(rng, n, 3, DISTRICT_P)
    districts = np.where(np.arange(3)[None, :] < nd[:, None], districts, -1)
    nt = rng.choice([1, 2], size=n, p=[0.75, 0.25])
    types = _distinct_draw(rng, n, 2, TYPE_P)
    types = np.where(np.arange(2)[None, :] < nt[:, None], types, -1)
    # rooms only for homes: 60% name one or two adjacent counts
    first_type = types[:, 0]
    r0 = _rooms_for(rng, first_type)
    named = (rng.random(n) < 0.60) & (r0 >= 0)
    two = named & (rng.random(n) < 0.4) & (r0 < len(ROOMS) - 1)
    rooms = np.stack([np.where(named, r0, -1), np.where(two, r0 + 1, -1)], axis=1)
    currency = rng.choice(len(CURRENCIES), size=n, p=CURRENCY_P)
    rent = request_type == 1
    level = _price_level(districts[:, 0], first_type, r0, rent, currency)
    max_price = _round_price(level * rng.lognormal(0.05, 0.35, n), rent, currency)
    has_min = rng.random(n) < 0.40
    min_price = np.where(has_min, _round_price(max_price * rng.uniform(0.4, 0.8, n), rent, currency), 0)
    min_price = np.minimum(min_price, max_price)
    status = rng.choice(len(REQUEST_STATUS), size=n, p=REQUEST_STATUS_P)
    return Requests(start, request_type, districts, types, rooms, currency, min_price, max_price, status)


def requests_passing(rq: Requests, probe: dict = PROBE_LISTING) -> np.ndarray:
    """Rows whose hard filters the probe listing passes (docs/matching.md)."""
    reach = int(floor_band(probe["min_price"], probe["listed_price"])) if probe["min_price"] else probe["listed_price"]
    ok = (rq.status != 2) & (rq.request_type == LISTING_TYPES.index(probe["listing_type"]))
    ok &= rq.currency == C[probe["currency"]]
    ok &= (rq.districts == D[probe["district"]]).any(axis=1) | (rq.districts < 0).all(axis=1)
    ok &= (rq.types == T[probe["type"]]).any(axis=1) | (rq.types < 0).all(axis=1)
    ok &= (rq.max_price == 0) | (reach <= rq.max_price)
    ok &= (rq.min_price == 0) | (probe["listed_price"] >= rq.min_price)
    return ok


def scaling_requests(start: int, n: int) -> Requests:
    """Istanbul requests that PROBE_LISTING fails, but for rows 0..PASSING-1, which it passes."""
    rq = istanbul_requests(start, n, "scaling-requests")
    rng = rng_for("scaling-requests-repair", start)
    probe = PROBE_LISTING
    idx = np.flatnonzero(requests_passing(rq))
    reason = rng.integers(0, 4, len(idx))
    home = D[probe["district"]]
    # 0: other districts
    sel = idx[reason == 0]
    for j in sel:
        row = rq.districts[j]
        others = [d for d in rng.choice(len(DISTRICTS), size=4, replace=False, p=DISTRICT_P) if d != home]
        rq.districts[j] = np.where(row >= 0, others[: 3] + [-1] * (3 - len(others[:3])), -1)[:3]
    # 1: another currency (the budget converted)
    sel = idx[reason == 1]
    cur = rng.integers(1, len(CURRENCIES), len(sel))
    per = TRY_PER_UNIT[cur].astype(np.int64)
    rq.max_price[sel] = np.maximum(1, rq.max_price[sel] // per)
    rq.min_price[sel] = np.where(rq.min_price[sel] > 0, np.maximum(1, rq.min_price[sel] // per), 0)
    rq.currency[sel] = cur
    # 2: another type
    sel = idx[reason == 2]
    rq.types[sel, 0] = rng.choice([T["villa"], T["dukkan"], T["arsa"]], size=len(sel))
    rq.types[sel, 1] = -1
    # 3: budget too low for the floor
    sel = idx[reason == 3]
    reach = probe["min_price"]
    rq.max_price[sel] = (np.round(reach * rng.uniform(0.45, 0.97, len(sel)) / 10_000) * 10_000).astype(np.int64)
    rq.min_price[sel] = np.minimum(rq.min_price[sel], rq.max_price[sel])
    if start < PASSING:
        k = PASSING - start
        p = np.arange(k)
        rq.status[:k] = np.where(p % 3 == 0, 0, 1)
        rq.request_type[:k] = 0
        rq.currency[:k] = C["TRY"]
        rq.districts[:k] = -1
        rq.districts[:k, 0] = D[probe["district"]]
        rq.districts[:k, 1] = np.where(p % 2 == 0, D["Üsküdar"], -1)
        rq.types[:k] = -1
        rq.types[:k, 0] = T["daire"]
        rq.rooms[:k] = -1
        rq.rooms[:k, 0] = np.array([-1, R["3+1"], R["2+1"], R["3+1"]])[p % 4]
        # budgets between the floor and well above the price (some need negotiation)
        rq.max_price[:k] = 11_000_000 + (p * 250_000) % 6_000_000
        rq.min_price[:k] = np.where(p % 3 == 0, 7_000_000, 0)
    expect = np.zeros(len(rq), dtype=bool)
    expect[: max(0, min(n, PASSING - start))] = True
    assert (requests_passing(rq) == expect).all(), "scaling requests: passing rows are not exactly the probe's"
    return rq


def criteria_json(rq: Requests, j: int) -> str:
    parts = []
    ds = [DISTRICT_NAMES[d] for d in rq.districts[j] if d >= 0]
    if ds:
        parts.append('"districts": [' + ", ".join(f'"{d}"' for d in ds) + "]")
    ts = [TYPES[t] for t in rq.types[j] if t >= 0]
    if ts:
        parts.append('"types": [' + ", ".join(f'"{t}"' for t in ts) + "]")
    rs = [ROOMS[r] for r in rq.rooms[j] if r >= 0]
    if rs:
        parts.append('"rooms": [' + ", ".join(f'"{r}"' for r in rs) + "]")
    if rq.min_price[j] > 0:
        parts.append(f'"min_price": {int(rq.min_price[j])}')
    if rq.max_price[j] > 0:
        parts.append(f'"max_price": {int(rq.max_price[j])}')
    parts.append(f'"currency": "{CURRENCIES[rq.currency[j]]}"')
    return "{" + ", ".join(parts) + "}"


def request_agent(rq: Requests, j: int) -> str | None:
    if rq.status[j] == 0:
        return None
    if rq.status[j] == 2 and (rq.start + j) % 2:
        return None  # closed without an agent
    return agent_id(agent_of_customer(customer_of_request(rq.start + j)))


def request_rows(rq: Requests) -> Iterator[tuple[str | None, ...]]:
    """requests rows: id, customer_id, assigned_agent, request_type, criteria, status."""
    for j in range(len(rq)):
        i = rq.start + j
        yield (request_id(i), customer_id(customer_of_request(i)), request_agent(rq, j),
               REQUEST_TYPES[rq.request_type[j]], criteria_json(rq, j), REQUEST_STATUS[rq.status[j]])


def new_request_params(rq: Requests, j: int) -> dict:
    """Arguments of create_request for row j of a generated set (a 'new' request)."""
    return dict(request_type=REQUEST_TYPES[rq.request_type[j]], criteria=json.loads(criteria_json(rq, j)))


# ---------------------------------------------------------------------------------- contacts
CONTACT_COLUMNS = "id, phone, contact_type, display_name, onboarding_status, consent_transfer"


def agent_rows() -> Iterator[tuple[str, ...]]:
    """contacts rows for agents (CONTACT_COLUMNS)."""
    for a in range(AGENTS):
        yield (agent_id(a), f"+90532{a:07d}", "agent", f"Emlakçı {a}", "active", "true")


def agent_profile_rows() -> Iterator[tuple[str, ...]]:
    """agent_profiles rows: contact_id, role, office."""
    for a in range(AGENTS):
        yield (agent_id(a), "broker" if is_broker(a) else "agent", f"Ofis {a // AGENTS_PER_OFFICE:03d}")


def customer_rows(first: int, last: int) -> Iterator[tuple[str, ...]]:
    """contacts rows for customers first..last-1 (CONTACT_COLUMNS)."""
    for c in range(first, last):
        yield (customer_id(c), f"+90555{c:07d}", "customer", f"Müşteri {c}", "active", "true")


# ---------------------------------------------------------------------------------- history
# What a platform that has run for a while also holds: matches written in the past (the matcher's own
# queries and the notification step read these tables by agent), and delivered notifications. Loaded
# straight into the tables, never through the matcher.
HISTORY_START = np.datetime64("2025-01-01T00:00:00")
HISTORY_SECONDS = 365 * 24 * 3600


def _stamps(rng: np.random.Generator, n: int) -> np.ndarray:
    return HISTORY_START + rng.integers(0, HISTORY_SECONDS, n).astype("timedelta64[s]")


def match_rows(start: int, a: int, b: int, per_listing: int) -> Iterator[tuple[str | None, ...]]:
    """portfolio_request_matches rows for listings a..b-1 of the chunk at `start`, per_listing each; listing i
    is paired with requests among 0..i (which exist whenever listing i does, in every data set here):
    portfolio_id, request_id, match_score, trigger_type, notified, notified_agent_id, created_at, updated_at."""
    rng = rng_for("history-matches", start)
    base = rng.integers(0, 2**31, CHUNK)
    score = rng.integers(1, 6, (CHUNK, per_listing))
    trig = rng.random((CHUNK, per_listing)) < 0.5
    agent = rng.integers(0, AGENTS, (CHUNK, per_listing))
    when = _stamps(rng, CHUNK * per_listing).reshape(CHUNK, per_listing)
    for j in range(a - start, b - start):
        i = start + j
        pid = listing_id(i)
        for k in range(min(per_listing, i + 1)):
            t = str(when[j, k]) + "+00"
            yield (pid, request_id(int((base[j] + k) % (i + 1))), str(int(score[j, k])),
                   "portfolio" if trig[j, k] else "request", "true", agent_id(int(agent[j, k])), t, t)


def notification_rows(start: int, a: int, b: int) -> Iterator[tuple[str, ...]]:
    """Delivered pending_notifications, one per listing a..b-1 of the chunk at `start` whose number ends in 0:
    contact_id, kind, body, delivered_at, created_at."""
    rng = rng_for("history-notifications", start)
    agent = rng.integers(0, AGENTS, CHUNK)
    when = _stamps(rng, CHUNK)
    for j in range(a - start, b - start):
        if (start + j) % 10 == 0:
            t = str(when[j]) + "+00"
            yield (agent_id(int(agent[j])), "match", f"1 yeni eşleşme: ilan {listing_id(start + j)}", t, t)

"""`vic listing …`: Listings (portföy): create, update, (de)activate, media, search."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import typer

from vic.cli.common import (
    amount_option, as_json, client, emit, local_time, matching_client, money, PortfolioIdArg, price, reported,
    show_cards, show_row, show_rows,
)

app = typer.Typer(no_args_is_help=True, help="Listings (portföy): create, update, (de)activate, media, search.")


# The fields of a portfolios or requests row that the CLI prints: the rest are the database's own
# derived columns (search vector, matching keys, and the copy of the floor price, which is never shown).
LISTING_FIELDS = ("id", "agent_id", "type", "listing_type", "title", "description", "city", "district", "rooms",
                  "listed_price", "currency", "status", "created_at", "updated_at")


def _show_listing(row: Mapping[str, Any]) -> None:
    """A portfolios row: its own fields only."""
    show_row(f"listing {row.get('id', '')}", {k: row[k] for k in LISTING_FIELDS if k in row})


def _show_media(rows: Sequence[Mapping[str, Any]]) -> None:
    show_rows("Media, in display order",
               {"order": "sort_order", "type": "media_type", "storage path": "storage_path", "id": "id"}, rows)


# The confidential row's options, the same on create and update.
OwnerName = Annotated[str | None, typer.Option(help="Confidential: the owner's name.")]
OwnerPhone = Annotated[str | None, typer.Option(help="Confidential: the owner's phone, E.164.")]
Floor = Annotated[str | None, typer.Option("--floor", metavar="AMOUNT", show_default=False,
                                           help="Confidential: the floor price (min_price, dip fiyat).")]
CommissionRate = Annotated[float | None, typer.Option(help="Confidential: commission in percent.")]
PrivateNotes = Annotated[str | None, typer.Option(help="Confidential: notes for the agent and brokers.")]


@app.command("create")
def listing_create(
    ctx: typer.Context,
    type: Annotated[str, typer.Option("--type", help="daire, villa, dukkan or arsa.", show_default=False)],
    listing_type: Annotated[str, typer.Option("--for", help="sale or rent.", show_default=False)],
    title: Annotated[str, typer.Option(help="The headline.", show_default=False)],
    district: Annotated[str, typer.Option(help="District (ilçe), e.g. Kadıköy.", show_default=False)],
    price: Annotated[
        str,
        typer.Option(metavar="AMOUNT", help="Listed price in whole units, e.g. 12500000 or 12.500.000.",
                     show_default=False),
    ],
    currency: Annotated[str | None, typer.Option(help="TRY (the database's default), USD, EUR or GBP.")] = None,
    rooms: Annotated[str | None, typer.Option(help="Rooms like 3+1 (required for daire and villa).")] = None,
    description: Annotated[str | None, typer.Option(help="The listing text.")] = None,
    city: Annotated[str | None, typer.Option(help="City (il); the database's default: İstanbul.")] = None,
    agent_id: Annotated[
        str | None, typer.Option(help="The listing agent (brokers, staff, bot); default: the acting agent.")
    ] = None,
    owner_name: OwnerName = None,
    owner_phone: OwnerPhone = None,
    floor: Floor = None,
    commission_rate: CommissionRate = None,
    private_notes: PrivateNotes = None,
) -> None:
    """Create a listing; the database allocates its id, and it is matched at once (create_listing, then the matcher)."""
    with reported(), matching_client(ctx) as vic:
        row = vic.create_listing(
            type=type, listing_type=listing_type, title=title, district=district, listed_price=price,
            currency=currency, rooms=rooms, description=description, city=city, agent_id=agent_id,
            owner_name=owner_name, owner_phone=owner_phone, min_price=floor,
            commission_rate=commission_rate, private_notes=private_notes,
        )
    _show_listing(row)


@app.command("update")
def listing_update(
    ctx: typer.Context,
    portfolio_id: PortfolioIdArg,
    title: Annotated[str | None, typer.Option(help="The headline.")] = None,
    description: Annotated[str | None, typer.Option(help="The listing text.")] = None,
    district: Annotated[str | None, typer.Option(help="District (ilçe).")] = None,
    rooms: Annotated[str | None, typer.Option(help="Rooms like 3+1.")] = None,
    price: Annotated[
        str | None, typer.Option(metavar="AMOUNT", help="Listed price in whole units.", show_default=False)
    ] = None,
    currency: Annotated[str | None, typer.Option(help="TRY, USD, EUR or GBP.")] = None,
    owner_name: OwnerName = None,
    owner_phone: OwnerPhone = None,
    floor: Floor = None,
    commission_rate: CommissionRate = None,
    private_notes: PrivateNotes = None,
) -> None:
    """Change a listing; what is not given is kept (update_listing)."""
    with reported(), matching_client(ctx) as vic:
        row = vic.update_listing(
            portfolio_id=portfolio_id, title=title, description=description, district=district, rooms=rooms,
            listed_price=price, currency=currency, owner_name=owner_name, owner_phone=owner_phone,
            min_price=floor, commission_rate=commission_rate, private_notes=private_notes,
        )
    _show_listing(row)


@app.command("deactivate")
def listing_deactivate(ctx: typer.Context, portfolio_id: PortfolioIdArg) -> None:
    """Take a listing off the market; its matches go (deactivate_listing)."""
    with reported(), matching_client(ctx) as vic:
        row = vic.deactivate_listing(portfolio_id=portfolio_id)
    _show_listing(row)


@app.command("reactivate")
def listing_reactivate(ctx: typer.Context, portfolio_id: PortfolioIdArg) -> None:
    """Put an inactive listing back on the market; it is matched again (reactivate_listing)."""
    with reported(), matching_client(ctx) as vic:
        row = vic.reactivate_listing(portfolio_id=portfolio_id)
    _show_listing(row)


@app.command("media-add")
def listing_media_add(
    ctx: typer.Context,
    portfolio_id: PortfolioIdArg,
    media_type: Annotated[str, typer.Argument(metavar="MEDIA_TYPE", help="photo or video.", show_default=False)],
    storage_path: Annotated[
        str, typer.Argument(metavar="STORAGE_PATH", help="Object path in Supabase Storage.", show_default=False)
    ],
) -> None:
    """Append a photo or video after the listing's last one (add_media)."""
    with reported(), client(ctx) as vic:
        row = vic.add_media(portfolio_id=portfolio_id, media_type=media_type, storage_path=storage_path)
    emit(row, lambda: _show_media([row]))


@app.command("media-reorder")
def listing_media_reorder(
    ctx: typer.Context,
    portfolio_id: PortfolioIdArg,
    media_ids: Annotated[
        list[str],
        typer.Argument(metavar="MEDIA_ID...", help="Every media id of the listing, in the new order.",
                       show_default=False),
    ],
) -> None:
    """Put a listing's media in a new order, all at once (reorder_media)."""
    with reported(), client(ctx) as vic:
        rows = vic.reorder_media(portfolio_id=portfolio_id, media_ids=media_ids)
    _show_media(rows)


@app.command("search")
def listing_search(
    ctx: typer.Context,
    query: Annotated[
        str | None,
        typer.Argument(metavar="[QUERY]", help="Words to find, e.g. 'kadikoy daire' (accents optional).",
                       show_default=False),
    ] = None,
    district: Annotated[str | None, typer.Option(help="Only this district.")] = None,
    type: Annotated[str | None, typer.Option("--type", help="Only this type: daire, villa, dukkan or arsa.")] = None,
    rooms: Annotated[str | None, typer.Option(help="Only these rooms, e.g. 3+1.")] = None,
    min_price: Annotated[
        str | None, amount_option("Priced from (the price band for a listing you see anonymously)")
    ] = None,
    max_price: Annotated[
        str | None, amount_option("Priced up to (the price band for a listing you see anonymously)")
    ] = None,
    currency: Annotated[str | None, typer.Option(help="TRY, USD, EUR or GBP.")] = None,
    listing_type: Annotated[str | None, typer.Option("--for", help="sale or rent.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many (the database's default: 20).")] = None,
    offset: Annotated[int | None, typer.Option(help="Skip this many first (default 0).")] = None,
) -> None:
    """Search listings, best first, as cards at the caller's level (search_portfolios)."""
    with reported(), client(ctx) as vic:
        rows = vic.search_portfolios(
            query=query, district=district, type=type, rooms=rooms, min_price=min_price,
            max_price=max_price, currency=currency, listing_type=listing_type, limit=limit, offset=offset,
        )
    show_cards(rows, f"Search: {query}" if query else "Search", rank=True)


# ------------------------------------------------------------------------------------- reads
CONFIDENTIAL = ("owner_name", "owner_phone", "min_price", "commission_rate", "private_notes")


@app.command("show")
def listing_show(ctx: typer.Context, portfolio_id: PortfolioIdArg) -> None:
    """One listing at your visibility level; owner, floor price, commission rate and private notes only if you
    may see them: its agent, the office's broker, staff (listing_summary)."""
    with reported(), client(ctx) as vic:
        row = vic.listing_summary(portfolio_id=portfolio_id)
    media = row.get("media") or []
    fields: dict[str, Any] = {
        "level": row.get("visibility_level"),
        "what": " ".join(str(row[k]) for k in ("type", "rooms") if row.get(k)) + (
            f" for {row['listing_type']}" if row.get("listing_type") else ""),
        "where": ", ".join(str(row[k]) for k in ("district", "city") if row.get(k)),
        "price": price(row),
        "status": row.get("status"),
        "title": row.get("title"),
        "description": row.get("description"),
        "media": f"{len(media)} item{'' if len(media) == 1 else 's'}" if row.get("listed_price") is not None else None,
        "agent": row.get("agent_name"),
        "agent phone": row.get("agent_phone"),
        "matches": row.get("match_count"),
        "listed": local_time(row.get("created_at")),
        "updated": local_time(row.get("updated_at")),
    }
    # the confidential row comes back only to those who may read it: shown only then
    if any(row.get(k) is not None for k in CONFIDENTIAL):
        fields.update({
            "owner (confidential)": " ".join(str(row[k]) for k in ("owner_name", "owner_phone") if row.get(k)) or None,
            "floor price (confidential)": None if row.get("min_price") is None
            else money(row["min_price"], row.get("currency")),
            "commission rate (confidential)": None if row.get("commission_rate") is None
            else f"{row['commission_rate']}%",
            "private notes (confidential)": row.get("private_notes"),
        })
    # with --json, the row as the database returned it
    show_row(f"listing {row.get('portfolio_id') or portfolio_id}", row if as_json() else fields)

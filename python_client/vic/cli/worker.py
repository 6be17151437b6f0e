"""`vic demo` and `vic worker`: admin commands on the database URL's own user (the worker as --service-role when
given), registered on the root command."""

from __future__ import annotations

from typing import Annotated

import typer

from vic import demo as demo_view
from vic import worker as worker_loop
from vic.cli.common import fail, interval, out, reported, root, target


def demo(ctx: typer.Context) -> None:
    """Print what the database holds: tables, agents by office, listings, requests, and the cards an agent of the
    other office sees (as the database owner)."""
    url = target(ctx)
    with reported():
        demo_view.show(url)


def worker(
    ctx: typer.Context,
    batch: Annotated[int | None, typer.Option(min=1, max=100_000, help="Match events per process_match_events "
                                              "call; the database's default: 500.", show_default=False)] = None,
    poll: Annotated[
        float, typer.Option(min=0.1, help="Seconds between drains when no notification comes (a fallback).")
    ] = 5.0,
    jobs_every: Annotated[
        float, typer.Option(min=1, help="Seconds between runs of the periodic jobs (stale deals, follow-ups).")
    ] = 300.0,
    stale_after: Annotated[
        str | None, typer.Option(metavar="IDLE", help="A deal idle for longer than this is stale: days or an "
                                 "interval; the database's default: 7 days.", show_default=False)
    ] = None,
    remind_after: Annotated[
        str | None, typer.Option(metavar="AGE", help="Remind closing sides unconfirmed for longer than this: days or "
                                 "an interval; the database's default: 1 day.", show_default=False)
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Drain once, run the jobs once, exit.")] = False,
) -> None:
    """Run the matcher and the periodic jobs until Ctrl-C or SIGTERM: woken by LISTEN vic_match_events, polling
    as a fallback (as the URL's own user, or with --service-role as service_role)."""
    acting = root(ctx)
    if acting.contact_id:
        fail("the worker runs as the URL's own user or as --service-role, not as a contact (--as)")
    options = worker_loop.Options(batch=batch, poll=poll, jobs_every=jobs_every,
                                  stale_after=interval(stale_after, "days", "--stale-after"),
                                  remind_after=interval(remind_after, "days", "--remind-after"), once=once)
    with reported():
        worker_loop.Worker(target(ctx), service_role=acting.service_role, options=options, console=out).run()

"""`vic agent …`: Agent profiles: roles, specialty, territory, target."""

from __future__ import annotations

from typing import Annotated

import typer

from vic.cli.common import client, ContactIdArg, reported, show_row

app = typer.Typer(no_args_is_help=True, help="Agent profiles: roles, specialty, territory, target.")


@app.command("set-role")
def agent_set_role(
    ctx: typer.Context,
    contact_id: ContactIdArg,
    role: Annotated[str, typer.Argument(metavar="ROLE", help="agent, broker, admin or owner.", show_default=False)],
    office: Annotated[str | None, typer.Option(help="The office the agent works for.")] = None,
    active: Annotated[
        bool | None,
        typer.Option(
            "--active/--inactive",
            show_default=False,
            help="Whether the profile is active (the database's default: active, even for a profile now inactive).",
        ),
    ] = None,
) -> None:
    """Give a contact an agent profile or change its role, office, active (set_agent_role)."""
    with reported(), client(ctx) as vic:
        row = vic.set_agent_role(contact_id=contact_id, role=role, office=office, active=active)
    show_row("agent profile", row)


@app.command("update")
def agent_update(
    ctx: typer.Context,
    specialty: Annotated[str | None, typer.Option(help="What the agent specialises in.")] = None,
    territory: Annotated[str | None, typer.Option(help="Districts covered, e.g. 'Kadıköy, Üsküdar'.")] = None,
    target_monthly: Annotated[int | None, typer.Option(help="Monthly target (closings).")] = None,
) -> None:
    """The acting agent edits its own specialty, territory, target (update_agent_profile)."""
    with reported(), client(ctx) as vic:
        row = vic.update_agent_profile(specialty=specialty, territory=territory, target_monthly=target_monthly)
    show_row("agent profile", row)

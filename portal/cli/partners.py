"""`flask --app wsgi partners import-upstream`: partners from the upstream network's affiliates (upstream mode)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.affiliate.factory import upstream_client
from portal.domain.errors import UpstreamUnavailable
from portal.services.upstream_links import import_affiliates

PAGE_SIZE = 500
MAX_PAGES = 1_000


@click.group("partners")
def partners() -> None:
    """Partner accounts."""


@partners.command("import-upstream")
@with_appcontext
def import_upstream() -> None:
    """Create a partner, linked, for every affiliate of the upstream network not linked yet (safe to run
    again: an affiliate already linked is left as it is). Reads POST /v1/networks/affiliates/table."""
    if not current_app.config.get("UPSTREAM_URL"):
        raise click.ClickException("Upstream mode is off: set PORTAL_UPSTREAM_URL and PORTAL_UPSTREAM_API_KEY")
    client = upstream_client(current_app.config)
    affiliates: list[dict] = []
    try:
        for page in range(1, MAX_PAGES + 1):
            answer = client.post("/v1/networks/affiliates/table",
                                 {"filters": {}, "paging": {"page": page, "page_size": PAGE_SIZE}},
                                 params={"page": page, "page_size": PAGE_SIZE}) or {}
            found = [a for a in answer.get("affiliates") or [] if isinstance(a, dict)]
            affiliates.extend(found)
            paging = answer.get("paging") if isinstance(answer.get("paging"), dict) else {}
            total = paging.get("total_count")
            if len(found) < PAGE_SIZE or (isinstance(total, int) and len(affiliates) >= total):
                break
    except UpstreamUnavailable as err:  # UpstreamRefused too
        raise click.ClickException(f"{err.message} (HTTP {err.status})") from None
    result = import_affiliates(affiliates)
    click.echo(f"Upstream affiliates read: {len(affiliates)}; partners created: {len(result.created)}; "
               f"already linked: {result.already_linked}; skipped (no id or name): {result.skipped}")

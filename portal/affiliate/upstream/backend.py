"""UpstreamBackend: the affiliate façade's data from an Everflow-compatible network API, for one partner.

Built per scope for one partner's upstream affiliate id (Partner.upstream_affiliate_id); the partner id
the façade passes to each method is the local one and names nothing upstream. Every request carries the
affiliate filter (bodies.filters); every object that comes back is checked (mapping.belongs): a foreign
one asked for by id is "not found", exactly as in local mode, and a list holding one means the upstream
ignored the filter, which fails the whole answer (UpstreamRefused) rather than show a partial page.
Report rows carry no object to check, so every report asks for the `affiliate` column too: a row of
another affiliate (or one that names none) fails the whole answer, and the column is dropped before the
partner sees the rows. An id outside SAFE_ID is "not found" without asking (it could be read as a path).
An answer that cannot be mapped (mapping.refused) is UpstreamRefused, never a 500.

Shapes relied on (Everflow's network API): POST reporting/entity/table → {table: [{columns, reporting}],
summary?, incomplete_results}; POST reporting/conversions?page&page_size → {conversions, paging:
{total_count}}; GET reporting/conversions/{id}; POST reporting/clicks/stream → {clicks}; GET
reporting/clicks/{transaction_id}. Pixels and offers are in the mixins beside this module.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from portal.affiliate.backend import LocalAccounts
from portal.affiliate.upstream import bodies
from portal.affiliate.upstream import export as upstream_export
from portal.affiliate.upstream import mapping
from portal.affiliate.upstream.client import UpstreamClient
from portal.affiliate.upstream.offers import UpstreamOffersMixin
from portal.affiliate.upstream.pixels import UpstreamPixelsMixin
from portal.domain.accounts import PeriodFigures
from portal.domain.criteria import MAX_REPORT_ROWS, TIME_COLUMNS, ClickQuery, ConversionQuery, Page, Paged, ReportQuery
from portal.domain.errors import NotServedUpstream, UpstreamNotLinked, UpstreamRefused
from portal.domain.offers import OfferDetail
from portal.domain.records import (CONVERSION_FIELDS, Cell, ClickRecord, ClickResult, ConversionRecord, ExportRows,
                                   Metrics, ReportResult, ReportRow)

log = logging.getLogger(__name__)

NETWORKS = "/v1/networks"
EXPORT_PAGE_ROWS = 2_000  # Everflow's largest conversions page
EXPORT_PAGES_IN_FLIGHT = 4  # pages of an export asked for at once (each spends the upstream budget)
FOREIGN = "The network's tracking platform answered with another affiliate's data; nothing is shown"
UNREADABLE_REPORT = "The network's tracking platform sent a report this portal cannot read"
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.~-]{0,127}")  # conversion ids and transaction ids


def _safe_id(value: object) -> bool:
    return isinstance(value, str) and SAFE_ID.fullmatch(value) is not None


class UpstreamBackend(UpstreamPixelsMixin, UpstreamOffersMixin):
    def __init__(self, client: UpstreamClient, affiliate_id: int | None, *, timezone: str = "UTC",
                 currency: str = "USD", accounts: LocalAccounts | None = None) -> None:
        self.client = client
        self._affiliate_id = affiliate_id
        self.timezone = timezone
        self.currency = currency
        self.accounts = accounts  # where changes confirmed upstream are audited (this portal's own records)

    @property
    def affiliate_id(self) -> int:
        """The partner's upstream id; a partner staff have not linked yet has no data to show."""
        if self._affiliate_id is None:
            raise UpstreamNotLinked()
        return self._affiliate_id

    def _own(self, objects: object, key: str) -> list[dict]:
        """The list under `key`, every object checked to be this affiliate's (else the answer fails)."""
        found = objects.get(key) if isinstance(objects, dict) else None
        if found is None:
            return []
        if not isinstance(found, list) or not all(mapping.belongs(o, self.affiliate_id) for o in found):
            log.error("upstream: a %s list held objects of another affiliate (or unreadable ones)", key)
            raise UpstreamRefused(FOREIGN)
        return found

    # --- reports ------------------------------------------------------------------------------------

    def _report_entries(self, body: dict) -> tuple[list[tuple[dict[str, dict], object]], dict]:
        """POST reporting/entity/table with the `affiliate` column added: each row's columns by type and its
        `reporting`, every row checked to be this affiliate's; and the whole answer."""
        columns = body["columns"]
        if not any(c["column"] == "affiliate" for c in columns):
            body = {**body, "columns": [*columns, {"column": "affiliate"}]}
        answer = self.client.post(f"{NETWORKS}/reporting/entity/table", body) or {}
        table = answer.get("table")
        if table is None:
            table = []
        if not isinstance(table, list):
            raise UpstreamRefused(UNREADABLE_REPORT)
        entries = []
        for entry in table:
            if not isinstance(entry, dict):
                raise UpstreamRefused(UNREADABLE_REPORT)
            found = entry.get("columns") if isinstance(entry.get("columns"), list) else []
            by_type = {str(c.get("column_type")): c for c in found if isinstance(c, dict)}
            owner = by_type.get("affiliate", {}).get("id")
            if mapping.affiliate_of({"network_affiliate_id": owner}) != self.affiliate_id:
                log.error("upstream: a report row of another affiliate (or of none)")
                raise UpstreamRefused(FOREIGN)
            entries.append((by_type, entry.get("reporting")))
        return entries, answer

    def report(self, partner_id: int, query: ReportQuery, currency: str) -> ReportResult:
        window = query.window
        hourly = bodies.equivalent(window.timezone, window.first_day, window.last_day) is None
        asked = (*query.columns, "hour") if hourly and "hour" not in query.columns else query.columns
        body = bodies.report(self.affiliate_id, window, asked, query.filters, currency, query.include_test)
        entries, answer = self._report_entries(body)
        with mapping.refused():
            if hourly:
                rows = _regrouped(entries, query.columns, window.timezone, window.first_day, window.last_day)
            else:
                rows, values = [], []
                for by_type, reporting in entries:
                    # Exactly the requested columns, in order: a network-only column (the affiliate asked
                    # for the check above) never passes, a missing one is empty.
                    cells = tuple(mapping.cell(by_type[name], window.timezone) if name in by_type
                                  else Cell(name, "", "", sort_key="") for name in query.columns)
                    numbers = mapping.metric_values(reporting)
                    values.append(numbers)
                    rows.append(ReportRow(cells, Metrics(*numbers)))
            # Our own sum of the rows, column by column over plain integers: the figures shown add up.
            summary = (Metrics(*map(sum, zip(*values))) if not hourly and values
                       else sum((row.metrics for row in rows), Metrics()))
            upstream_cut = bool(answer.get("incomplete_results"))
            if upstream_cut and not hourly and isinstance(answer.get("summary"), dict):
                summary = mapping.metrics(answer["summary"])  # the rows received are only part of the total
        if query.time_column in TIME_COLUMNS:
            rows.sort(key=lambda row: tuple(str(c.sort_key) for c in row.cells))
        else:
            rows.sort(key=lambda row: (-row.metrics.total_click, -row.metrics.revenue_cents,
                                       tuple(str(c.sort_key) for c in row.cells)))
        incomplete = upstream_cut or len(rows) > MAX_REPORT_ROWS
        return ReportResult(columns=query.columns, rows=rows[:MAX_REPORT_ROWS], summary=summary,
                            incomplete_results=incomplete, currency=currency)

    def period_figures(self, partner_id: int, start: datetime, end: datetime) -> PeriodFigures:
        tz = ZoneInfo(self.timezone)
        first = start.astimezone(tz).date()
        last = (end - timedelta(microseconds=1)).astimezone(tz).date()
        hourly = bodies.equivalent(self.timezone, first, last) is None
        body = {**bodies.days(first, last, self.timezone), "currency_id": self.currency,
                "columns": [{"column": "hour" if hourly else "year"}],
                "query": {"filters": bodies.filters(self.affiliate_id)}}
        entries, answer = self._report_entries(body)
        with mapping.refused():
            if hourly:  # asked in UTC: the hours inside [start, end)
                total = sum((mapping.metrics(reporting) for by_type, reporting in entries
                             if start <= _hour_of(by_type) < end), Metrics())
            else:
                total = sum((mapping.metrics(reporting) for _, reporting in entries), Metrics())
            if answer.get("incomplete_results") and not hourly and isinstance(answer.get("summary"), dict):
                total = mapping.metrics(answer["summary"])
        return PeriodFigures(clicks=total.total_click, conversions=total.cv, earnings_cents=total.revenue_cents,
                             events=total.event, impressions=total.imp)

    # --- conversions ----------------------------------------------------------------------------------

    def _conversion_page(self, query: ConversionQuery, page: int, page_size: int) -> tuple[list[ConversionRecord], int]:
        if query.on_hold_status is not None:
            raise NotServedUpstream("The on-hold conversions list")
        answer = self.client.post(f"{NETWORKS}/reporting/conversions", bodies.conversions(self.affiliate_id, query),
                                  params={"page": page, "page_size": page_size, **bodies.order(query)}) or {}
        with mapping.refused():
            rows = [mapping.conversion(o, self.currency) for o in self._own(answer, "conversions")]
        paging = answer.get("paging") if isinstance(answer.get("paging"), dict) else {}
        total = paging.get("total_count")
        return rows, total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else len(rows)

    def conversions(self, partner_id: int, query: ConversionQuery, page: Page) -> Paged:
        rows, total = self._conversion_page(query, page.page, page.page_size)
        return Paged(items=rows, page=page, total_count=total)

    def conversion_count(self, partner_id: int, query: ConversionQuery) -> int:
        return self._conversion_page(query, 1, 1)[1]

    def conversion_export(self, partner_id: int, query: ConversionQuery, batch_size: int) -> ExportRows:
        """One streamed request to the upstream's conversion export (the affiliate filter injected), read as
        it arrives (portal.affiliate.upstream.export). The count is the export's own (X-Row-Count, counted
        in the rows' snapshot) or, from an upstream that sends none (Everflow), the conversion search's
        total. An upstream without the export (404, 405) is paged through instead."""
        if query.on_hold_status is not None:
            raise NotServedUpstream("The on-hold conversions list")
        body = {**bodies.conversions(self.affiliate_id, query), "currency_id": self.currency, "format": "json"}
        response = self.client.stream("POST", f"{NETWORKS}/reporting/conversions/export", body,
                                      params=bodies.order(query), accept=upstream_export.ACCEPT)
        if response is None:
            return self._paged_export(query, batch_size)
        try:
            total = upstream_export.row_count(response)
            if total is None:
                total = self._conversion_page(query, 1, 1)[1]
        except BaseException:
            response.close()
            raise
        return ExportRows(total, upstream_export.batches(response, self.affiliate_id, self.currency,
                                                         max(1, batch_size)))

    def _paged_export(self, query: ConversionQuery, batch_size: int) -> ExportRows:
        """The first page now (for the count), the rest as the file is written: one upstream page per batch,
        EXPORT_PAGES_IN_FLIGHT of them fetched ahead while earlier ones are written (memory stays at those
        few pages; the pages come back in order)."""
        size = max(1, min(batch_size, EXPORT_PAGE_ROWS))
        first, total = self._conversion_page(query, 1, size)
        pages = -(-total // size)

        def shaped(rows: list[ConversionRecord]) -> list[tuple]:
            return [tuple(getattr(r, name) for name in CONVERSION_FIELDS) for r in rows]

        def batches() -> Iterator[list[tuple]]:
            yield shaped(first)
            if len(first) < size or pages <= 1:
                return
            with ThreadPoolExecutor(EXPORT_PAGES_IN_FLIGHT, thread_name_prefix="upstream-export") as pool:
                pending: deque[Future] = deque()
                following = 2
                try:
                    while following <= pages or pending:
                        while following <= pages and len(pending) < EXPORT_PAGES_IN_FLIGHT:
                            pending.append(pool.submit(self._conversion_page, query, following, size))
                            following += 1
                        rows = pending.popleft().result()[0]
                        yield shaped(rows)
                        if len(rows) < size:
                            return  # fewer rows than counted: the export's row-count check reports it
                finally:
                    for future in pending:
                        future.cancel()

        return ExportRows(total, batches())

    def conversion(self, partner_id: int, conversion_id: str) -> ConversionRecord | None:
        if not _safe_id(conversion_id):
            return None  # an id no upstream issues, such as "..": never sent
        found = self.client.get(f"{NETWORKS}/reporting/conversions/{quote(conversion_id, safe='')}")
        if not mapping.belongs(found, self.affiliate_id):
            return None  # missing and another affiliate's look the same
        with mapping.refused():
            return mapping.conversion(found, self.currency)

    # --- clicks ----------------------------------------------------------------------------------------

    def clicks(self, partner_id: int, query: ClickQuery, limit: int) -> ClickResult:
        body = {**bodies.instants(query.window.start, query.window.end), "include_test_data": query.include_test,
                "query": {"filters": bodies.filters(self.affiliate_id, query.filters)}}
        answer = self.client.post(f"{NETWORKS}/reporting/clicks/stream", body) or {}
        with mapping.refused():
            clicks = [mapping.click(o) for o in self._own(answer, "clicks")]
        if not query.include_test:
            clicks = [c for c in clicks if not c.is_test]
        clicks.sort(key=lambda c: c.created_at, reverse=True)
        return ClickResult(clicks=clicks[:limit], incomplete_results=len(clicks) > limit)

    def click(self, partner_id: int, transaction_id: str) -> ClickRecord | None:
        if not _safe_id(transaction_id):
            return None
        found = self.client.get(f"{NETWORKS}/reporting/clicks/{quote(transaction_id, safe='')}")
        if not mapping.belongs(found, self.affiliate_id):
            return None
        with mapping.refused():
            return mapping.click(found)

    def has_clicks(self, partner_id: int) -> bool:
        today = datetime.now(UTC).date()
        return self.period_figures(partner_id, datetime.combine(today - timedelta(days=364), datetime.min.time(), UTC),
                                   datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC)).clicks > 0

    # --- offers: offers.py maps them; an answer it cannot read is the upstream's fault, never a 500 -------

    def offers(self, *args, **kwargs) -> Paged:
        with mapping.refused():
            return super().offers(*args, **kwargs)

    def offer_categories(self, *args, **kwargs) -> list[str]:
        with mapping.refused():
            return super().offer_categories(*args, **kwargs)

    def offer(self, *args, **kwargs) -> OfferDetail | None:
        with mapping.refused():
            return super().offer(*args, **kwargs)

    def runnable_offers(self, *args, **kwargs) -> list[tuple[int, str]]:
        with mapping.refused():
            return super().runnable_offers(*args, **kwargs)

    # --- billing: the upstream's invoices are the network's own business, not served through this portal ----

    def billing_balances(self, partner_id: int, currency: str):
        raise NotServedUpstream("Billing balances")

    def invoices(self, *args, **kwargs) -> Paged:
        raise NotServedUpstream("Invoices")

    def invoice(self, *args, **kwargs):
        raise NotServedUpstream("Invoices")

    def listed_invoices(self, *args, **kwargs) -> Paged:
        raise NotServedUpstream("Invoices")


def _hour_of(by_type: dict[str, dict]) -> datetime:
    """The UTC hour a row of an hourly report (asked in UTC) starts at: a Unix timestamp id, or a label
    such as 2026-11-01 13:00 (this portal's own network API)."""
    cell = by_type.get("hour") or {}
    ident, label = str(cell.get("id") if cell.get("id") is not None else ""), str(cell.get("label") or "")
    when = mapping.instant(ident) if mapping.digits(ident) else None
    if when is None:
        when = datetime.strptime((label or ident)[:16], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)  # else ValueError
    return when


def _regrouped(entries: list[tuple[dict[str, dict], object]], columns: tuple[str, ...], tz_name: str,
               first: date, last: date) -> list[ReportRow]:
    """Hourly rows asked in UTC, regrouped into the partner's local days: rows of hours outside first..last
    (local) are left out, time columns are labelled in the partner's zone, the other columns as sent.
    A zone whose offset is not whole hours splits an hour at its midnight: that hour counts where it starts."""
    tz = ZoneInfo(tz_name)
    grouped: dict[tuple, tuple[tuple[Cell, ...], Metrics]] = {}
    for by_type, reporting in entries:
        when = _hour_of(by_type)
        if not first <= when.astimezone(tz).date() <= last:
            continue
        stamp = str(int(when.timestamp()))
        cells = tuple(mapping.cell({"column_type": name, "id": stamp}, tz_name) if name in TIME_COLUMNS
                      else mapping.cell(by_type[name], tz_name) if name in by_type
                      else Cell(name, "", "", sort_key="") for name in columns)
        key = tuple((c.id, c.label) for c in cells)
        before = grouped.get(key)
        metrics = mapping.metrics(reporting)
        grouped[key] = (cells, before[1] + metrics if before else metrics)
    return [ReportRow(cells, metrics) for cells, metrics in grouped.values()]

"""The built-in backend: this application's own SQL tables."""

from __future__ import annotations

from datetime import datetime

from portal.affiliate.sql_billing import SqlBillingMixin
from portal.affiliate.sql_offers import SqlOffersMixin
from portal.affiliate.sql_reports import build_report
from portal.delivery.outbox import conversion_values
from portal.domain.accounts import PeriodFigures
from portal.domain.actors import Actor
from portal.domain.criteria import ClickQuery, ConversionQuery, Page, Paged, ReportQuery
from portal.domain.errors import NotSent
from portal.domain.postbacks import AttemptView, DeliveryView, PostbackFilters, PostbackView, shape
from portal.domain.records import ClickRecord, ClickResult, ConversionRecord, ExportRows, ReportResult
from portal.domain.traffic import TrafficControlView
from portal.queries import clicks as click_queries
from portal.queries import conversions as conversion_queries
from portal.queries import dashboard
from portal.queries import postbacks as postback_queries
from portal.queries import traffic_controls as traffic_queries
from portal.services import postbacks as postback_service


class SqlBackend(SqlOffersMixin, SqlBillingMixin):
    def period_figures(self, partner_id: int, start: datetime, end: datetime) -> PeriodFigures:
        conversions, events, earnings = dashboard.conversion_totals(partner_id, start, end)
        clicks, click_earnings = dashboard.click_totals(partner_id, start, end)
        return PeriodFigures(clicks=clicks, conversions=conversions, earnings_cents=earnings + click_earnings,
                             events=events, impressions=dashboard.impression_count(partner_id, start, end))

    def report(self, partner_id: int, query: ReportQuery, currency: str) -> ReportResult:
        return build_report(partner_id, query, currency)

    def conversions(self, partner_id: int, query: ConversionQuery, page: Page) -> Paged:
        rows = conversion_queries.page(partner_id, query, page.offset, page.page_size)
        return Paged(items=[ConversionRecord(*row) for row in rows], page=page,
                     total_count=conversion_queries.count(partner_id, query))

    def conversion_count(self, partner_id: int, query: ConversionQuery) -> int:
        return conversion_queries.count(partner_id, query)

    def conversion_export(self, partner_id: int, query: ConversionQuery, batch_size: int) -> ExportRows:
        return conversion_queries.export(partner_id, query, batch_size)

    def conversion(self, partner_id: int, conversion_id: str) -> ConversionRecord | None:
        row = conversion_queries.by_id(partner_id, conversion_id)
        return ConversionRecord(*row) if row else None

    def clicks(self, partner_id: int, query: ClickQuery, limit: int) -> ClickResult:
        window = query.window
        rows = click_queries.newest(partner_id, window.start, window.end, query.filters.by_type,
                                    query.include_test, limit + 1)
        converted = click_queries.converted(partner_id, [row[0] for row in rows[:limit]])
        return ClickResult(clicks=[ClickRecord(*row, converted=row[0] in converted) for row in rows[:limit]],
                           incomplete_results=len(rows) > limit)

    def click(self, partner_id: int, transaction_id: str) -> ClickRecord | None:
        row = click_queries.by_transaction_id(partner_id, transaction_id)
        if row is None:
            return None
        return ClickRecord(*row, converted=bool(click_queries.converted(partner_id, [transaction_id])))

    def has_clicks(self, partner_id: int) -> bool:
        return click_queries.any_click(partner_id)

    # --- postbacks ----------------------------------------------------------------------------------

    def postback_count(self, partner_id: int) -> int:
        return postback_queries.count(partner_id)

    def postbacks(self, partner_id: int, filters: PostbackFilters, page: Page) -> Paged:
        where = dict(offer_id=filters.offer_id, status=filters.status, postback_type=filters.postback_type,
                     delivery_method=filters.delivery_method, search=filters.search)
        total = postback_queries.count(partner_id, **where)
        rows = postback_queries.page(partner_id, page.offset, page.page_size, **where)
        return Paged(items=[shape(PostbackView, row, offer_name=name) for row, name in rows], page=page,
                     total_count=total)

    def postback(self, partner_id: int, postback_id: int) -> PostbackView | None:
        found = postback_queries.with_offer_name(partner_id, postback_id)
        return shape(PostbackView, found[0], offer_name=found[1]) if found else None

    def runnable_offers(self, partner_id: int) -> list[tuple[int, str]]:
        return postback_queries.runnable_offers(partner_id)

    def offer_runnable(self, partner_id: int, offer_id: int) -> bool:
        return postback_queries.offer_runnable(partner_id, offer_id)

    def deliveries(self, partner_id: int, postback_id: int, page: Page, failed_only: bool) -> Paged:
        total, rows = postback_queries.deliveries(partner_id, postback_id, page.offset, page.page_size,
                                                  failed_only=failed_only)
        logs: dict[int, list[AttemptView]] = {row.id: [] for row in rows}
        for attempt in postback_queries.attempts(partner_id, postback_id, list(logs)):
            logs[attempt.delivery_id].append(shape(AttemptView, attempt))
        return Paged(items=[shape(DeliveryView, row, log=tuple(logs[row.id])) for row in rows], page=page,
                     total_count=total)

    def delivery(self, partner_id: int, postback_id: int, delivery_id: int) -> DeliveryView | None:
        row = postback_queries.delivery(partner_id, postback_id, delivery_id)
        return shape(DeliveryView, row, log=()) if row is not None else None

    def postback_attempt(self, partner_id: int, postback_id: int, attempt_id: int) -> AttemptView | None:
        row = postback_queries.attempt(partner_id, postback_id, attempt_id)
        return shape(AttemptView, row) if row is not None else None

    def latest_conversion_values(self, partner_id: int, offer_id: int | None) -> tuple[str, dict[str, str]] | None:
        found = postback_queries.latest_conversion(partner_id, offer_id)
        if found is None:
            return None
        conversion, offer = found
        return conversion.conversion_id, conversion_values(conversion, offer)

    def create_postback(self, partner_id: int, values: dict, limit: int, actor: Actor | None) -> int | None:
        return postback_service.create_postback(partner_id, values, limit, actor)

    def update_postback(self, partner_id: int, postback_id: int, values: dict, actor: Actor | None) -> bool:
        return postback_service.update_postback(partner_id, postback_id, values, actor)

    def delete_postback(self, partner_id: int, postback_id: int, actor: Actor | None) -> bool:
        return postback_service.delete_postback(partner_id, postback_id, actor)

    def enqueue_test(self, partner_id: int, postback_id: int) -> int | None:
        return postback_service.enqueue_test(partner_id, postback_id)

    def send_delivery(self, partner_id: int, delivery_id: int) -> AttemptView | None:
        # Imported here, not at the top: only the two manual sends need the outbound-HTTP machinery.
        from portal.delivery.worker import DeliveryError

        try:
            attempt = postback_service.send_now(partner_id, delivery_id)
        except DeliveryError as err:
            raise NotSent(str(err)) from None
        return shape(AttemptView, attempt) if attempt is not None else None

    def traffic_controls(self, partner_id: int, now: datetime) -> list[TrafficControlView]:
        return traffic_queries.for_partner(partner_id, now)

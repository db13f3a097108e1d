"""The staff form of a partner's payout details: the review of the tax form."""

from __future__ import annotations

from wtforms import SelectChoice, SelectField

from portal.domain.payouts import TAX_STATUSES
from portal.web.forms import PageForm


class TaxStatusForm(PageForm):
    tax_status = SelectField("Tax form status", choices=[SelectChoice(k, v) for k, v in TAX_STATUSES.items()])

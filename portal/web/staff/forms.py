"""Staff console forms."""

from wtforms import BooleanField, EmailField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional

from portal.domain import timezones
from portal.services.upstream_links import MAX_UPSTREAM_ID
from portal.web.forms import PageForm


class NetworkSettingsForm(PageForm):
    network_name = StringField("Network name", validators=[DataRequired(), Length(max=200)])
    logo_url = StringField("Logo URL", validators=[Optional(), URL(require_tld=False), Length(max=500)])
    support_email = EmailField("Support email", validators=[Optional(), Email(check_deliverability=False)])
    timezone = SelectField("Timezone", choices=sorted(timezones.IANA_NAMES))
    currency = StringField("Currency (ISO 4217)", validators=[DataRequired(), Length(min=3, max=3)])
    partner_postbacks_enabled = BooleanField("Partners may manage their own postbacks")
    staff_require_two_factor = BooleanField(
        "Staff must use two-factor sign-in",
        description="Staff who sign in with a password are sent to set up two-factor before any other page opens "
                    "(yourself included). Single sign-on is exempt: your identity provider does its own.")
    # Choices are the offers, filled in by the view; 0 stands for "none".
    network_api_offer_id = SelectField("Offer for Network API transactions", coerce=int,
                                       choices=[SelectChoice(0, "None")],
                                       description="Transactions that name no offer (product_key) are recorded on "
                                                   "this offer; its payout rule makes the partner's reward.")
    payment_terms_days = IntegerField("Payment terms (net days)", validators=[Optional(), NumberRange(min=0, max=365)],
                                      description="An invoice is due this many days after it is issued.")
    minimum_payout_cents = IntegerField("Minimum payout (minor units, e.g. cents)",
                                        validators=[Optional(), NumberRange(min=0, max=10**12)],
                                        description="A partner owed less in a currency (counted in that currency's "
                                                    "minor units) is not invoiced in it; it carries to the next run.")


class UpstreamLinkForm(PageForm):
    upstream_affiliate_id = IntegerField("Upstream affiliate id",
                                         validators=[Optional(), NumberRange(min=1, max=MAX_UPSTREAM_ID)],
                                         description="The partner's affiliate id on the network's tracking "
                                                     "platform; leave empty to unlink.")

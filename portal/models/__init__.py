"""The data model, one module per aggregate; importing this package registers every table."""

from portal.models.accounts import KEY_PERMISSIONS, PERMISSIONS, PartnerUser, SignInSession, StaffUser
from portal.models.audit import AuditEvent
from portal.models.billing import (ADJUSTMENT_KINDS, INVOICE_STATUSES, PAYMENT_METHODS, BillingAdjustment, Invoice,
                                   InvoiceLine, Payment)
from portal.models.customers import Customer, Transaction
from portal.models.keys import NETWORK_KEY_MODES, ApiKey, EverflowNetworkKey, NetworkApiKey
from portal.models.offers import (ACCESS_STATUSES, OFFER_STATUSES, OFFER_VISIBILITY, PAYOUT_TYPES, Advertiser,
                                  CouponCode, Creative, Offer, OfferAccess, OfferUrl, PartnerNotice, ProductFeed)
from portal.models.partners import Partner, PartnerGroup, PartnerKeyReservation
from portal.models.payouts import PayoutDetails
from portal.models.postbacks import Postback, PostbackAttempt, PostbackDelivery
from portal.models.reporting import ROLLUP_METRICS, ReportRollup
from portal.models.settings import SETTINGS_ROW_ID, NetworkSettings
from portal.models.throttles import SignInThrottle
from portal.models.tokens import Invitation, PasswordReset
from portal.models.tracking import CONVERSION_STATUSES, Click, Conversion, Impression
from portal.models.traffic import TrafficControl, TrafficControlOffer, TrafficControlPartner
from portal.models.two_factor import PendingSignIn, RecoveryCode, TwoFactorSecret
from portal.models.usage import ALERT_KINDS, ApiUsage, KeyAlert

__all__ = [
    "KEY_PERMISSIONS", "PERMISSIONS", "PartnerUser", "SignInSession", "StaffUser", "AuditEvent", "ApiKey", "Offer",
    "Partner", "PartnerKeyReservation", "PayoutDetails", "Postback", "PostbackAttempt", "PostbackDelivery", "SETTINGS_ROW_ID",
    "NetworkSettings", "ROLLUP_METRICS", "ReportRollup", "CONVERSION_STATUSES", "Click", "Conversion",
    "ALERT_KINDS", "ApiUsage", "KeyAlert", "NETWORK_KEY_MODES", "Customer", "NetworkApiKey", "PartnerGroup", "Transaction",
    "PendingSignIn", "RecoveryCode", "SignInThrottle", "TwoFactorSecret",
    "Invitation", "PasswordReset", "ACCESS_STATUSES", "OFFER_STATUSES", "OFFER_VISIBILITY", "PAYOUT_TYPES",
    "ADJUSTMENT_KINDS", "INVOICE_STATUSES", "PAYMENT_METHODS", "BillingAdjustment", "Invoice", "InvoiceLine", "Payment",
    "Advertiser", "CouponCode", "Creative", "EverflowNetworkKey", "OfferAccess", "OfferUrl", "PartnerNotice", "ProductFeed", "Impression",
    "TrafficControl", "TrafficControlOffer", "TrafficControlPartner",
]

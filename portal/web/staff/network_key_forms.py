"""Forms of Settings → Integrations (Network API key pairs, Everflow-style network keys)."""

from wtforms import RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from portal.services.keys import MAX_LABEL
from portal.web.forms import PageForm


class IssuePairForm(PageForm):
    # No default: a production pair reaches real partnerships, so the mode is always chosen on purpose.
    mode = RadioField("Mode", choices=[SelectChoice("test", "Test: reaches test partnerships only"),
                                       SelectChoice("production", "Production: your live back end")],
                      validators=[InputRequired(message="Choose test or production.")])
    label = StringField("Label (the system that uses this pair)", validators=[
        DataRequired(message="Give the key pair a label naming the system that uses it, e.g. 'Billing back end'."),
        Length(max=MAX_LABEL, message=f"The label must be at most {MAX_LABEL} characters.")])


class IssueEflowKeyForm(PageForm):
    label = StringField("Label (the system that uses this key)", validators=[
        DataRequired(message="Give the key a label naming the system that uses it, e.g. 'BI warehouse'."),
        Length(max=MAX_LABEL, message=f"The label must be at most {MAX_LABEL} characters.")])

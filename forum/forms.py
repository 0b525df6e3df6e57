"""Web forms. Labels and messages are lazy so they follow the reader's language."""

from __future__ import annotations

from flask_babel import get_translations, gettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)
from wtforms.widgets import CheckboxInput, ListWidget

from . import inputs


class _Translations:
    """WTForms' own messages ("Not a valid integer value.", …) through our catalogs,
    so they follow the reader's language like every other string."""

    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        # Not flask_babel.ngettext: it fills in %(num)s itself and so fails on
        # WTForms' "'%(value)s' is not a valid choice", which WTForms fills in after.
        return get_translations().ngettext(singular, plural, n)


# WTForms' built-in messages that our forms can show, listed so that extraction puts
# them in the catalogs.
BUILTIN_MESSAGES = [
    _l("This field is required."),
    _l("Not a valid integer value."),
    _l("Not a valid datetime value."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Choices cannot be None."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("The CSRF token is missing."),
    _l("The CSRF token is invalid."),
    _l("The CSRF token has expired."),
    # WTForms asks for these with ngettext, so they are listed as plurals.
    _ln(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
        1,
    ),
    _ln(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        1,
    ),
    _ln(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    ),
    _ln(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
        1,
    ),
    _ln(
        "Field must be between %(min)d and %(max)d characters long.",
        "Field must be between %(min)d and %(max)d characters long.",
        1,
    ),
]


class Form(FlaskForm):
    """Every form of the app: CSRF from Flask-WTF, messages from our catalogs, and no
    field takes text that a database cannot keep (``inputs.storable``: a NUL
    character, an unpaired surrogate); such a field shows why instead."""

    class Meta:
        def get_translations(self, form):
            return _Translations()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if not inputs.text_ok(field.raw_data):
                field.errors = [*field.errors, inputs.unstorable_message()]
                valid = False
        return valid


class LoginForm(Form):
    username = StringField(
        _l("Username"), validators=[DataRequired(_l("Please enter your username.")), Length(max=64)]
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=256)],
    )
    submit = SubmitField(_l("Sign in"))


class CodeForm(Form):
    code = StringField(
        _l("Access code"),
        validators=[DataRequired(_l("Please enter the code from your teacher.")), Length(max=32)],
    )
    submit = SubmitField(_l("Enter"))


class LogoutForm(Form):
    submit = SubmitField(_l("Sign out"))


class ConfirmForm(Form):
    """A bare form: a button and its CSRF token."""

    submit = SubmitField(_l("Confirm"))


class RevealForm(Form):
    """Show reviewers the students' names (``reveal`` 1) or pseudonyms again (0)."""

    reveal = StringField(validators=[AnyOf(["0", "1"])])


class ExchangeDecisionForm(Form):
    """An answer or decision on an exchange (``action``), with an optional comment (the
    outcome summary when completing it)."""

    action = StringField(
        validators=[
            AnyOf(
                [
                    "accept",
                    "decline",
                    "approve",
                    "return",
                    "reject",
                    "withdraw",
                    "resubmit",
                    "complete",
                ]
            )
        ]
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class RosterForm(Form):
    file = FileField(
        _l("CSV file with a display_name column"),
        validators=[FileRequired(_l("Choose a CSV file."))],
    )
    submit = SubmitField(_l("Import and issue codes"))


class StudentForm(Form):
    display_name = StringField(
        _l("Display name"),
        validators=[DataRequired(_l("A display name is required.")), Length(max=100)],
    )
    submit = SubmitField(_l("Add student"))


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (a fieldset on the page): every choice
    in sight, and no Ctrl-click, which touch screens cannot do."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ExchangeForm(Form):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("A title is required.")), Length(max=200)]
    )
    class_id = SelectField(_l("Your class"), coerce=int, validators=[InputRequired()])
    # A partner class agreed with, or the country where the Alliance should find one
    # (``exchanges.propose`` says which is missing).
    partner_class_ids = CheckboxesField(_l("Partner class"), coerce=int, validators=[Optional()])
    partner_country = SelectField(
        _l("Or: the country where the Alliance should find a partner class"),
        validators=[Optional()],
    )
    sdgs = CheckboxesField(
        _l("SDG focus"),
        coerce=int,
        validators=[DataRequired(_l("Choose one or more goals, numbered 1 to 17."))],
    )
    mode = SelectField(
        _l("Mode"), choices=lambda: [("online", _l("Online")), ("in_person", _l("In person"))]
    )
    starts_on = StringField(
        _l("Planned start"), render_kw={"type": "date"}, validators=[Optional()]
    )
    ends_on = StringField(_l("Planned end"), render_kw={"type": "date"}, validators=[Optional()])
    goals = TextAreaField(
        _l("What the classes want to learn together"), validators=[Optional(), Length(max=4000)]
    )
    submit = SubmitField(_l("Create exchange"))


class _Scheduled(Form):
    """What every scheduled session has: a title, its goals, when it starts and ends."""

    title = StringField(
        _l("Title"), validators=[DataRequired(_l("A title is required.")), Length(max=200)]
    )
    sdgs = CheckboxesField(
        _l("SDGs"),
        coerce=int,
        validators=[DataRequired(_l("Choose one or more goals, numbered 1 to 17."))],
    )
    starts_at = DateTimeLocalField(
        _l("Starts"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("A date and time is required."))],
    )
    ends_at = DateTimeLocalField(
        _l("Ends"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("A date and time is required."))],
    )


class SessionForm(_Scheduled):
    exchange_id = SelectField(_l("Exchange"), coerce=int, validators=[InputRequired()])
    board_template = SelectField(_l("Board"))
    board_columns = TextAreaField(
        _l("My own columns, one title per line"), validators=[Length(max=600)]
    )
    video_url = StringField(
        _l("Video call link (optional)"),
        render_kw={"type": "url", "inputmode": "url", "placeholder": "https://meet.jit.si/…"},
        validators=[Optional(), Length(max=500)],
    )
    submit = SubmitField(_l("Save"))


class ShowcaseForm(_Scheduled):
    """The Alliance schedules a showcase (case-sharing) session (``forum.exchanges.showcases``)."""

    description = TextAreaField(
        _l("Description (optional)"), validators=[Optional(), Length(max=2000)]
    )
    presenting_class_ids = CheckboxesField(
        _l("Presenting classes"),
        coerce=int,
        validators=[DataRequired(_l("Choose the presenting classes."))],
    )
    submit = SubmitField(_l("Schedule the showcase"))


class PreferencesForm(Form):
    language = SelectField(_l("Language"))
    timezone = SelectField(_l("Time zone"))
    submit = SubmitField(_l("Save"))


class ReviewForm(Form):
    # A callable: WTForms 3.3 deprecates (value, label) tuples given to the constructor.
    # No verdict is chosen for the reviewer: they pick one (the first option is empty).
    state = SelectField(
        _l("Verdict"),
        choices=lambda: [
            ("", _l("Choose a verdict…")),
            ("verified", _l("Verified: the exchange took place as recorded")),
            ("flagged", _l("Flagged: something needs attention")),
        ],
        validators=[AnyOf(["verified", "flagged"], message=_l("Choose a verdict."))],
    )
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Record my review"))


class VerifyForm(Form):
    file = FileField(
        _l("Transcript file (.json)"), validators=[FileRequired(_l("Choose a transcript file."))]
    )
    submit = SubmitField(_l("Verify"))


class ClassForm(Form):
    name = StringField(
        _l("Class name"),
        validators=[DataRequired(_l("A class name is required.")), Length(max=100)],
    )
    grade = IntegerField(
        _l("Grade (1–12)"), validators=[Optional(), NumberRange(1, 12, _l("A grade from 1 to 12."))]
    )
    submit = SubmitField(_l("Create class"))


class MouForm(Form):
    """An MOU; ``mous.record`` and ``mous.update`` check it (one place for the rules)."""

    region = StringField(
        _l("Region (prefecture, county or city)"), validators=[Optional(), Length(max=100)]
    )
    country = SelectField(_l("Country"), validators=[Optional()])
    authority = StringField(_l("Partner authority"), validators=[Optional(), Length(max=200)])
    status = SelectField(
        _l("Status"), choices=lambda: [("planned", _l("Planned")), ("signed", _l("Signed"))]
    )
    signed_on = StringField(_l("Signed on"), render_kw={"type": "date"}, validators=[Optional()])
    academic_year = IntegerField(_l("Academic year (ROC, e.g. 113)"), validators=[Optional()])
    submit = SubmitField(_l("Save"))


class TrainingForm(Form):
    """A training event; ``training.record`` and ``training.update`` check it."""

    kind = SelectField(_l("Kind of training"))
    title = StringField(_l("Title (optional)"), validators=[Optional(), Length(max=200)])
    held_on = StringField(_l("Date"), render_kw={"type": "date"}, validators=[Optional()])
    online = BooleanField(_l("Held online"))
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    file = FileField(_l("Participants: a CSV file (UTF-8) with the columns name and school"))
    head_count = IntegerField(
        _l("Or, where names are not kept: how many educators took part"), validators=[Optional()]
    )
    submit = SubmitField(_l("Save"))


class DeskDecisionForm(ExchangeDecisionForm):
    """The Alliance's decision from its desk; ``back`` keeps the desk's filters."""

    action = StringField(validators=[AnyOf(["approve", "return", "reject"])])
    back = StringField(validators=[Optional(), Length(max=500)])


class SchoolForm(Form):
    """A school: its short name (fixed once made), names in the four languages,
    country, region, city and time zone (``administration`` checks them)."""

    slug = StringField(
        _l("Short name (for addresses and files)"),
        validators=[Length(max=64)],
        render_kw={"placeholder": "shizuoka-aoi"},
    )
    name_en = StringField(
        _l("Name in English"),
        validators=[DataRequired(_l("This field is required.")), Length(max=200)],
    )
    name_zh_tw = StringField(_l("Name in Traditional Chinese"), validators=[Length(max=200)])
    name_ja = StringField(_l("Name in Japanese"), validators=[Length(max=200)])
    name_ko = StringField(_l("Name in Korean"), validators=[Length(max=200)])
    country = SelectField(_l("Country"))
    region = StringField(
        _l("Region (prefecture, county or city)"),
        validators=[DataRequired(_l("This field is required.")), Length(max=100)],
    )
    city = StringField(_l("City"), validators=[Length(max=100)])
    timezone = SelectField(_l("Time zone"))
    submit = SubmitField(_l("Save"))


class StaffForm(Form):
    """A new staff account; an empty password means one is generated and shown once."""

    username = StringField(
        _l("Username"), validators=[DataRequired(_l("This field is required.")), Length(max=64)]
    )
    display_name = StringField(
        _l("Display name"),
        validators=[DataRequired(_l("A display name is required.")), Length(max=100)],
    )
    role = SelectField(
        _l("Role"),
        choices=lambda: [("teacher", _l("Teacher")), ("reviewer", _l("Alliance reviewer"))],
    )
    school = SelectField(_l("School"))
    password = PasswordField(
        _l("Password (leave empty to generate one)"), validators=[Optional(), Length(max=256)]
    )
    submit = SubmitField(_l("Create account"))


class PasswordResetForm(Form):
    password = PasswordField(
        _l("New password (leave empty to generate one)"), validators=[Optional(), Length(max=256)]
    )
    submit = SubmitField(_l("Reset the password"))


class ActiveForm(Form):
    """Deactivate (``active`` 0) or reactivate (1) an account."""

    active = StringField(validators=[AnyOf(["0", "1"])])


class WordsForm(Form):
    """Words to add to one language's list of words that hold a message."""

    lang = SelectField(_l("Language"))  # choices: the view's (``words.LANGUAGES``)
    words = TextAreaField(
        _l("Words or phrases, one a line"), validators=[DataRequired(), Length(max=20000)]
    )
    submit = SubmitField(_l("Add to the list"))


class WordRemoveForm(Form):
    """Take one word off its list (the button beside it)."""

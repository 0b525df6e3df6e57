"""Web forms. Labels and messages are lazy so they follow the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    IntegerField,
    DateTimeLocalField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Please enter your username.")), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Please enter your password.")), Length(max=256)])
    submit = SubmitField(_l("Sign in"))


class CodeForm(FlaskForm):
    code = StringField(_l("Access code"), validators=[
        DataRequired(_l("Please enter the code from your teacher.")), Length(max=32)])
    submit = SubmitField(_l("Enter"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Sign out"))


class ConfirmForm(FlaskForm):
    """A bare form: a button and its CSRF token."""

    submit = SubmitField(_l("Confirm"))


class RosterForm(FlaskForm):
    file = FileField(_l("CSV file with a display_name column"), validators=[
        FileRequired(_l("Choose a CSV file."))])
    submit = SubmitField(_l("Import and issue codes"))


class StudentForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[
        DataRequired(_l("A display name is required.")), Length(max=100)])
    submit = SubmitField(_l("Add student"))


class ExchangeForm(FlaskForm):
    title = StringField(_l("Title"), validators=[
        DataRequired(_l("A title is required.")), Length(max=200)])
    class_id = SelectField(_l("Your class"), coerce=int, validators=[InputRequired()])
    partner_class_ids = SelectMultipleField(_l("Partner class"), coerce=int, validators=[
        DataRequired(_l("Choose a partner class."))])
    sdgs = SelectMultipleField(_l("SDG focus"), coerce=int, validators=[
        DataRequired(_l("Choose one or more goals, numbered 1 to 17."))])
    mode = SelectField(_l("Mode"), choices=[
        ("online", _l("Online")), ("in_person", _l("In person"))])
    submit = SubmitField(_l("Create exchange"))


class SessionForm(FlaskForm):
    exchange_id = SelectField(_l("Exchange"), coerce=int, validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[
        DataRequired(_l("A title is required.")), Length(max=200)])
    sdgs = SelectMultipleField(_l("SDGs"), coerce=int, validators=[
        DataRequired(_l("Choose one or more goals, numbered 1 to 17."))])
    starts_at = DateTimeLocalField(_l("Starts"), format="%Y-%m-%dT%H:%M", validators=[
        DataRequired(_l("A date and time is required."))])
    ends_at = DateTimeLocalField(_l("Ends"), format="%Y-%m-%dT%H:%M", validators=[
        DataRequired(_l("A date and time is required."))])
    board_template = SelectField(_l("Board"))
    board_columns = TextAreaField(_l("My own columns, one title per line"),
                                  validators=[Length(max=600)])
    submit = SubmitField(_l("Save"))


class PreferencesForm(FlaskForm):
    language = SelectField(_l("Language"))
    timezone = SelectField(_l("Time zone"))
    submit = SubmitField(_l("Save"))


class ReviewForm(FlaskForm):
    state = SelectField(_l("Verdict"), choices=[
        ("verified", _l("Verified: the exchange took place as recorded")),
        ("flagged", _l("Flagged: something needs attention")),
    ])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Record my review"))


class VerifyForm(FlaskForm):
    file = FileField(_l("Transcript file (.json)"), validators=[
        FileRequired(_l("Choose a transcript file."))])
    submit = SubmitField(_l("Verify"))


class ClassForm(FlaskForm):
    name = StringField(_l("Class name"), validators=[
        DataRequired(_l("A class name is required.")), Length(max=100)])
    grade = IntegerField(_l("Grade (1–12)"), validators=[
        Optional(), NumberRange(1, 12, _l("A grade from 1 to 12."))])
    submit = SubmitField(_l("Create class"))

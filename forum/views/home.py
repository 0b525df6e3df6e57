"""The home page (my sessions) and personal preferences."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import exchanges, i18n
from ..extensions import db
from ..forms import PreferencesForm
from ..models import Role
from ..people import proofs
from ..schedule import needs, sessions

bp = Blueprint("home", __name__)

COMMON_ZONES = [
    "Asia/Taipei",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Hong_Kong",
    "Asia/Singapore",
    "Asia/Bangkok",
    "Asia/Kolkata",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
]


@bp.route("/")
def index():
    """What needs me, then my sessions: live now, upcoming, past; times in my zone and
    the partner's."""
    if not current_user.is_authenticated:
        return render_template("home/welcome.html")
    groups = sessions.my_sessions(current_user)
    managed = (
        sessions.exchanges_managed_by(current_user)
        if current_user.role in (Role.TEACHER, Role.ADMIN)
        else []
    )
    return render_template(
        "home/index.html",
        groups=groups,
        managed=managed,
        needs=needs.for_user(current_user),
        waiting_on=exchanges.waiting_on,
    )


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for it whatever the page says."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    """Interface language, time zone and the private calendar feed."""
    form = PreferencesForm()
    form.language.choices = [(lang.code, lang.native_name) for lang in i18n.LANGUAGES]
    zone = current_user.timezone or ""
    school_zone = current_user.school.timezone if current_user.school else i18n.DEFAULT_TIMEZONE
    zones = [("", _("My school's time zone (%(zone)s)", zone=school_zone))]
    zones += [(z, z.replace("_", " ")) for z in COMMON_ZONES]
    if zone and zone not in COMMON_ZONES:
        zones.append((zone, zone))
    form.timezone.choices = zones
    if form.validate_on_submit():
        lang = i18n.language_for(form.language.data) or i18n.DEFAULT
        current_user.locale = lang.locale
        current_user.timezone = form.timezone.data or None
        db.session.commit()
        flash(_("Your preferences are saved."), "success")
        return redirect(url_for("home.preferences", lang=lang.code))
    if not form.is_submitted():
        form.language.data = i18n.current_language().code
        form.timezone.data = zone
    feed = url_for("calendar.feed", key=proofs.calendar_feed_key(current_user), _external=True)
    return render_template("home/preferences.html", form=form, feed_url=feed)

import zoneinfo
from functools import lru_cache
from html import escape

from django import forms
from django.conf import settings
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe

from imports.models import DATE_FORMAT_CHOICES, AuditEvent, Connection, Team
from imports.schedule.columns import MAPPABLE
from imports.states import ImportState, label_for
from imports.wfm.talkdesk.fields import account_name_problem, base_url_problem

DETECT = ""
# What the portal takes as one event type name; Talkdesk's own are short.
EVENT_TYPE_MAX_CHARS = 200


# In the system's zone database but no zone Talkdesk takes: "localtime" is
# this machine's own copy, "Factory" a placeholder meaning none.
NOT_TIME_ZONES = frozenset({"localtime", "Factory"})


@lru_cache(maxsize=1)
def time_zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones() - NOT_TIME_ZONES)


def _clean_time_zone(value: str) -> str:
    value = (value or "").strip()
    if value not in time_zone_names():
        raise forms.ValidationError(
            f"{value!r} is not an IANA time zone. Use a name such as America/New_York, Europe/Lisbon or UTC."
        )
    return value


class UploadForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label=None)
    file = forms.FileField(label="Schedule file (.csv, .xlsx, .xls or .ods)")
    time_zone = forms.CharField(max_length=64, help_text="The time zone of the times in the file.")
    date_format = forms.ChoiceField(choices=[(DETECT, "Detect from the file")] + DATE_FORMAT_CHOICES, required=False)
    published = forms.BooleanField(
        required=False,
        label="Publish the schedule in Genesys Cloud",
        help_text="Left unticked, Genesys Cloud imports it as an unpublished draft. The team's default is preset.",
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def clean_time_zone(self):
        return _clean_time_zone(self.cleaned_data["time_zone"])

    def clean_file(self):
        # A file over UPLOAD_MAX_BYTES never gets here: imports.uploads stops it
        # while it streams in.
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload


class RecheckForm(forms.Form):
    time_zone = forms.CharField(max_length=64)
    sheet = forms.CharField(max_length=255, required=False)
    date_format = forms.ChoiceField(choices=[(DETECT, "Detect from the file")] + DATE_FORMAT_CHOICES, required=False)
    discard_changes = forms.BooleanField(required=False)

    def clean_time_zone(self):
        return _clean_time_zone(self.cleaned_data["time_zone"])


class ColumnMappingForm(forms.Form):
    """One select per field, listing the file's columns; Date only for a
    file whose start and end columns hold times of day alone."""

    save_as = forms.CharField(max_length=100, required=False, label="Save this mapping for the team as")

    def __init__(self, *args, header: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(name.strip(), name.strip()) for name in header if name.strip()]
        for field in MAPPABLE:
            self.fields[mapping_field_name(field)] = forms.ChoiceField(choices=choices, required=False, label=field)

    def columns(self) -> dict[str, str]:
        return {field: self.cleaned_data.get(mapping_field_name(field)) or "" for field in MAPPABLE}


def mapping_field_name(field: str) -> str:
    return "column_" + field.lower().replace(" ", "_")


class ConfirmForm(forms.Form):
    acknowledge_warnings = forms.BooleanField(required=False)
    valid_rows_only = forms.BooleanField(required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Say why it is rejected: the uploader reads the reason.",
            "max_length": "Keep the reason under 500 characters.",
        },
    )


class QuickSelect(forms.Select):
    """A select whose options are written with plain string formatting:
    Django's template per option took 80 ms for the 500 people an admin can
    filter the history by, and format_html per option still 10 ms."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = "".join(
            f'<option value="{escape(str(key))}"{" selected" if str(key) in chosen else ""}>{escape(str(label))}</option>'
            for key, label in self.choices
        )
        # Every value above went through escape(); the speed is the point.
        return mark_safe(  # noqa: S308
            f'<select name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>{options}</select>'
        )


class HistoryFilterForm(forms.Form):
    """Team and uploader come as (id, name) pairs handed to the widgets as
    they are and checked against a set: a choice field would normalise each
    of an admin's 500 people, and a model choice field read the teams
    through a server-side cursor, on every page of the history."""

    team = forms.IntegerField(required=False, widget=QuickSelect)
    # Imports of every kind of WFM are listed: the states by a name that fits
    # them all; refused files only when asked for.
    state = forms.ChoiceField(
        choices=[("", "All but refused")]
        + [(value, label_for(label, wfm="WFM")) for value, label in ImportState.choices],
        required=False,
    )
    uploader = forms.IntegerField(required=False, widget=QuickSelect)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    held = forms.BooleanField(required=False, label="Held rows back")

    def __init__(self, *args, teams, uploaders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].widget.choices = [("", "All teams"), *teams]
        self.fields["uploader"].widget.choices = [("", "Anyone"), *uploaders]

    def clean_team(self):
        return self._one_of("team", "That team is not one you can see.")

    def clean_uploader(self):
        return self._one_of("uploader", "Nobody by that id uploaded an import you can see.")

    def _one_of(self, name: str, message: str) -> int | None:
        value = self.cleaned_data[name]
        if value is not None and value not in {key for key, _ in self.fields[name].widget.choices[1:]}:
            raise forms.ValidationError(f"Select a valid choice. {message}")
        return value


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(choices=[("", "Any action")] + list(AuditEvent.Action.choices), required=False)
    username = forms.CharField(required=False, max_length=150, label="User")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_username(self):
        return self.cleaned_data["username"].strip()


class ConnectionForm(forms.ModelForm):
    base_url = forms.URLField(
        required=False,
        assume_scheme="https",
        help_text="Only for a custom region, such as the built-in simulator.",
    )
    client_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted and never shown again. Leave empty to keep the current secret.",
    )
    event_types_text = forms.CharField(
        required=False,
        label="Event types",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One per line, exactly as named in Talkdesk WFM. Leave empty to skip this check.",
    )

    class Meta:
        model = Connection
        fields = [
            "name",
            "kind",
            "account",
            "region",
            "base_url",
            "client_id",
            "business_unit_id",
            "default_time_zone",
            "default_date_format",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].required = False
        self.fields["event_types_text"].initial = "\n".join(self.instance.event_types or [])
        if not self.instance.pk:
            self.fields["client_secret"].required = True
            self.fields["client_secret"].help_text = "Stored encrypted and never shown again."

    def clean_default_time_zone(self):
        return _clean_time_zone(self.cleaned_data["default_time_zone"])

    def clean_kind(self):
        # A form from before there were kinds (or an API client) meant Talkdesk.
        return self.cleaned_data.get("kind") or Connection.Kind.TALKDESK

    def clean_account(self):
        return (self.cleaned_data.get("account") or "").strip()

    def clean_base_url(self):
        base_url = (self.cleaned_data.get("base_url") or "").strip()
        if base_url:
            problem = base_url_problem(base_url, plain_http_hosts=settings.TALKDESK_PLAIN_HTTP_HOSTS)
            if problem:
                raise forms.ValidationError(problem)
        return base_url.rstrip("/")

    def clean_client_id(self):
        client_id = self.cleaned_data["client_id"].strip()
        if any(ch.isspace() or not ch.isprintable() for ch in client_id):
            raise forms.ValidationError(
                "An OAuth client ID has no spaces: copy it again from where the WFM lists its API clients."
            )
        return client_id

    def clean_event_types_text(self):
        names = [line.strip() for line in self.cleaned_data["event_types_text"].splitlines() if line.strip()]
        for number, name in enumerate(names, start=1):
            if len(name) > EVENT_TYPE_MAX_CHARS:
                raise forms.ValidationError(
                    f"Event type {number} ({name[:40]}…) is {len(name)} characters long; "
                    f"the portal takes names of at most {EVENT_TYPE_MAX_CHARS}."
                )
            if not name.isprintable():
                raise forms.ValidationError(f"Event type {number} ({name[:40]!r}) holds a control character.")
        return list(dict.fromkeys(names))

    def clean(self):
        cleaned = super().clean()
        kind, region = cleaned.get("kind"), cleaned.get("region")
        if region == Connection.Region.CUSTOM and not cleaned.get("base_url") and "base_url" not in self.errors:
            self.add_error("base_url", "A custom region needs its base URL.")
        talkdesk_region = region in Connection.TALKDESK_REGIONS
        if kind == Connection.Kind.TALKDESK:
            if region and not talkdesk_region:
                self.add_error(
                    "region", "Choose a Talkdesk region (United States, Europe, Canada) or a custom base URL."
                )
            if not cleaned.get("account"):
                self.add_error("account", "A Talkdesk connection needs the account name.")
            elif problem := account_name_problem(cleaned["account"]):
                self.add_error("account", problem)
        if kind == Connection.Kind.GENESYS:
            if region and talkdesk_region and region != Connection.Region.CUSTOM:
                self.add_error("region", "Choose a Genesys Cloud region, or a custom base URL.")
            if not cleaned.get("business_unit_id"):
                self.add_error("business_unit_id", "A Genesys Cloud connection needs the id of its business unit.")
        self.instance.event_types = cleaned.get("event_types_text") or []
        return cleaned


class PersonSettingsForm(forms.Form):
    time_zone = forms.CharField(max_length=64, required=False)

    def clean_time_zone(self):
        value = (self.cleaned_data["time_zone"] or "").strip()
        return _clean_time_zone(value) if value else ""

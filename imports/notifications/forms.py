from django import forms

from imports.notifications.models import Kind, Preference


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = Preference
        fields = [kind.value for kind in Kind]
        labels = {kind.value: kind.label for kind in Kind}

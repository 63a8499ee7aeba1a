"""State labels in the words of the import's own WFM: the states say
"Talkdesk is processing", and an import to Genesys Cloud must not."""

from django import template

from imports.states import label_for

register = template.Library()


@register.filter
def for_wfm(label: str, connection) -> str:
    """{{ job.get_state_display|for_wfm:job.connection }}"""
    return label_for(label, wfm=connection.get_kind_display())

"""Connects the import's state machine to the webhooks: each move of an
import that an endpoint may want owes it a message, written in the move's
own transaction."""

from django.dispatch import receiver

from imports.signals import import_moved
from imports.states import ImportState
from imports.webhooks.services import webhook_messages_for_move


@receiver(import_moved, dispatch_uid="webhooks_for_import_moves")
def _owe_webhooks(sender, transition, **kwargs):
    webhook_messages_for_move(
        import_id=transition.import_job_id,
        from_state=transition.from_state,
        to_state=ImportState(transition.to_state),
    )

"""What other parts of the portal may listen to, without the lifecycle
knowing them: e-mail notifications (imports/notifications/) and, later,
webhooks subscribe to an import's moves here."""

from django.dispatch import Signal

# Sent by imports.lifecycle inside the transaction that moved an import, once
# per move that happened, with `transition` (the Transition just recorded).
# A receiver that must act outside the database does so on commit, so a move
# rolled back never notifies anyone.
import_moved = Signal()

"""What circulation tells the rest of the system, without knowing who listens.

Notices sit above circulation in the layers (they read loans and holds), so a
hold that becomes ready is announced here and the notices app connects to it;
circulation never imports notices. Each signal is sent from
`transaction.on_commit`, so a rolled-back check-in tells nobody.

Arguments are plain values read inside the deciding transaction, never a model
instance a listener might save back.
"""

from django.dispatch import Signal

# A hold is on the hold shelf at its pickup branch.
# kwargs: hold_id (int), patron_id (int), title (str), pickup_branch (str, the
# branch's name), ready_until (datetime.date, the last day it is kept).
hold_ready = Signal()

# A ready hold was not collected in time and was removed (it names nobody once gone).
# kwargs: patron_id (int), title (str), pickup_branch (str).
hold_expired = Signal()

"""What the audit trail records about facilities records that hold no patron data.

Incidents, bans, stills, requests and releases can name or describe a person:
the inventory registers them, their free text masked (privacy.inventory).
Recordings are not registered: their purge writes one summary entry per batch
instead (facilities.retention), and who watched them is logged by
facilities.access. Cameras name no one.
"""

from auditlog.registry import auditlog

from facilities.models import Camera

auditlog.register(Camera)

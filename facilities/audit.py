"""What the audit trail records about facilities records: ids and which fields changed.

Free-text fields (descriptions, notes, names of requesters) are masked: they
can describe or name a person, and the trail is kept forever. Recordings are
not registered: their purge writes one summary entry per batch instead
(facilities.retention), and who watched them is logged by facilities.access.
"""

from auditlog.registry import auditlog

from facilities.models import (
    Ban,
    Camera,
    FootageOrderScope,
    FootageRelease,
    Incident,
    IncidentPerson,
    OutsideRequest,
    PoliceIdentityRelease,
    RecordingHold,
    Still,
)

auditlog.register(Camera)
auditlog.register(Incident, mask_fields=["description", "area"])
auditlog.register(IncidentPerson, mask_fields=["description"])
auditlog.register(Ban, mask_fields=["note"], m2m_fields={"branches"})
auditlog.register(RecordingHold)
auditlog.register(FootageOrderScope, m2m_fields={"cameras"})
auditlog.register(Still, mask_fields=["caption"])
auditlog.register(OutsideRequest, mask_fields=["requester_name", "contact", "footage_wanted"])
auditlog.register(FootageRelease, mask_fields=["recipient_name", "reason"])
auditlog.register(PoliceIdentityRelease, mask_fields=["officer", "note"])

"""The inventory of patron data: every model that holds patron data or links to a patron.

One declaration, read by everything that must know where patron data lives:

- a system check (privacy.checks) fails at start-up when a model with any path
  to a patron or to a login is not declared here, so a new model cannot slip
  past the rules below;
- the staff admin (library.admin_site, privacy.admin_gate) puts every admin
  registered over a declared model behind the gate: rows of a patron are read
  through it for `admin_purpose`, or the patron link is never shown at all;
- the audit trail registers declared models with django-auditlog and masks
  their `identity`, `free_text` and `secret` fields (the trail is kept for
  ever); the models that give rights (audit.rights) must be logged;
- check-in cuts every patron-item link a model declares (`unlink_on_check_in`);
- retention (`retention` names a privacy.retention kind, or says why rows are
  kept), the patron's download (`download`) and the leak scans in the tests.

Models are named by label: privacy builds on no domain app (privacy.subjects).
"""

from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.db import models

from library.roles import Purpose
from privacy.policy.patron import DataCategory
from privacy.subjects import PATRON_MODEL

LOGIN_MODEL = "auth.User"


@dataclass(frozen=True)
class Holding:
    """What one model holds about patrons, and what the system does with it."""

    model: str  # the model's label, "app_label.ModelName"
    holds: str  # what a row is, in a few words
    # The category a row discloses about its patron (CONF-6); None when a row
    # discloses none by itself (a grant, a log line, a staff record).
    category: DataCategory | None = None
    # The path from a row to its patron ("" for the patron itself); None when a
    # row belongs to no one patron.
    patron: str | None = None
    # The path from a row to a library item, for the links check-in cuts (CONF-9).
    item: str | None = None
    # Fields that name, contact or identify a person: masked in the audit trail.
    identity: tuple[str, ...] = ()
    # Free text that may name or describe a person: masked in the audit trail.
    free_text: tuple[str, ...] = ()
    # Values that, beside the trail's exact time, would join a row back to an
    # anonymised record (a fine's amount picks out the late loan): masked too.
    joining: tuple[str, ...] = ()
    # Secrets (a password's hash, an authenticator's key): masked in the audit
    # trail, which keeps only that they changed.
    secret: tuple[str, ...] = ()
    # Fields whose changes the trail never records: a relation that would tie
    # the patron to an item it must forget (CONF-9), or what merely signing in
    # or using an authenticator changes, which changes no one's rights.
    unlogged: tuple[str, ...] = ()
    # A privacy.retention kind that deletes or anonymises the rows, or a
    # sentence starting "Kept" that says how long and why.
    retention: str = ""
    # What anonymising the patron, or the row, does (one sentence).
    anonymisation: str = ""
    # Changes are recorded by django-auditlog, masked as above; so are those of
    # these many-to-many fields, from either end (audit.relations).
    logged: bool = False
    logged_m2m: tuple[str, ...] = ()
    # The staff admin shows a row's patron, read through the gate for this
    # purpose; None: an admin over the model never shows the patron link.
    admin_purpose: Purpose | None = None
    # Other patrons a gated admin shows on a row (by path), read through the
    # gate as well: a listed adult beside the minor, say.
    admin_also_shows: tuple[str, ...] = ()
    # The patron receives these rows in their own download.
    download: bool = False
    # The field check-in clears on rows that link the patron and the item.
    unlink_on_check_in: str | None = None


KEPT_WITH_ACCOUNT = "Kept while the patron's account exists."
KEPT_WITH_STAFF = "Kept while the staff member's login exists."
KEPT_FOR_EVER = "Kept for ever: the audit trail is append-only and leaves only by archiving."

INVENTORY: tuple[Holding, ...] = (
    # --- The patron and their login
    Holding(
        PATRON_MODEL,
        "a patron's account: who they are and how to reach them",
        category=DataCategory.IDENTITY,
        patron="",
        identity=(
            "card_number",
            "first_name",
            "last_name",
            "address_line",
            "city",
            "postal_code",
            "phone",
            "email",
            "date_of_birth",
        ),
        free_text=("desk_note",),
        # The month of the last loan, hold or session, and the day the patron
        # was told an unused account is deleted: never in the trail, where an
        # exact time beside a returned loan's day could name the borrower (CONF-9).
        unlogged=("last_active_on", "inactivity_notice_on"),
        retention="inactive patron accounts",
        anonymisation="Deleting the patron disables and scrubs their portal login.",
        logged=True,
        admin_purpose=Purpose.REGISTRATION,
        download=True,
    ),
    Holding(
        LOGIN_MODEL,
        "a login: a patron's portal login, or a staff member's or agent's",
        patron="patron",
        # A patron login keeps no identity of its own (the patron record is the one source).
        identity=("username", "first_name", "last_name", "email"),
        secret=("password",),
        unlogged=("last_login",),
        retention=(
            "Kept while the login exists; a deleted patron's login is disabled and scrubbed, "
            "also when purge_expired deletes an inactive account."
        ),
        anonymisation="Scrubbed of its name, email and password, and disabled.",
        # Its flags (staff, superuser, active), password, groups and direct
        # permissions are its rights.
        logged=True,
        logged_m2m=("groups", "user_permissions"),
    ),
    Holding(
        "patrons.ResponsibleAdult",
        "an adult listed on a minor's account (CONF-4)",
        category=DataCategory.IDENTITY,
        patron="minor",
        identity=("adult_name",),
        retention=KEPT_WITH_ACCOUNT,
        logged=True,
        admin_purpose=Purpose.REGISTRATION,
        admin_also_shows=("adult",),
        download=True,
    ),
    Holding(
        "patrons.PatronBlock",
        "a block on a patron's card: why, by whom, when, and its end",
        category=DataCategory.IDENTITY,
        patron="patron",
        free_text=("reason", "end_reason"),
        retention=KEPT_WITH_ACCOUNT,
        logged=True,
        download=True,
    ),
    Holding(
        "patrons.PatronUserObjectPermission",
        "a grant of one patron's records to a login (legal order worker, agent)",
        patron="content_object",
        retention="Kept while the order is open or the agent is assigned the account.",
        logged=True,
    ),
    Holding(
        "patrons.PatronGroupObjectPermission",
        "a grant of one patron's records to a group (never made)",
        patron="content_object",
        retention="Kept while the grant is needed; none is made today.",
        logged=True,
    ),
    Holding(
        "otp_totp.TOTPDevice",
        "a staff member's authenticator; its secret is hidden in the admin",
        secret=("key",),
        # Moved on by every code it accepts or refuses.
        unlogged=(
            "last_t",
            "drift",
            "last_used_at",
            "throttling_failure_timestamp",
            "throttling_failure_count",
        ),
        retention=KEPT_WITH_STAFF,
        logged=True,
    ),
    Holding(
        "otp_static.StaticDevice",
        "a staff member's recovery codes (the codes are its tokens, below)",
        # Moved on by every code it accepts or refuses.
        unlogged=(
            "last_used_at",
            "throttling_failure_timestamp",
            "throttling_failure_count",
        ),
        retention=KEPT_WITH_STAFF,
        logged=True,
    ),
    Holding(
        "otp_static.StaticToken",
        "one unused recovery code; deleted when it signs in or is revoked",
        secret=("token",),
        retention="Kept until used or revoked, and never longer than the staff member's login.",
        # Not logged row by row: issuing and revoking codes each append one
        # entry saying who, for whom and how many (library.authenticators).
    ),
    Holding(
        "library.StaffProfile",
        "a staff member's home branch",
        retention=KEPT_WITH_STAFF,
        logged=True,
    ),
    Holding(
        "guardian.UserObjectPermission",
        "a generic object grant (unused: patron grants have their own table)",
        retention="Kept while the grant is needed; none is made for patrons.",
        logged=True,
    ),
    # --- Disclosure procedures (privacy)
    Holding(
        "privacy.IdentityCheck",
        "staff saw someone's identification (CONF-4); never the document's number",
        category=DataCategory.IDENTITY,
        patron="patron",
        retention=KEPT_WITH_ACCOUNT,
        logged=True,
        admin_purpose=Purpose.REGISTRATION,
        download=True,
    ),
    Holding(
        "privacy.Consent",
        "a patron's consent to one recipient receiving one category (CONF-7)",
        category=DataCategory.IDENTITY,
        patron="patron",
        free_text=("recipient", "purpose"),
        retention=KEPT_WITH_ACCOUNT,
        logged=True,
        admin_purpose=Purpose.REGISTRATION,
        download=True,
    ),
    Holding(
        "privacy.LegalOrder",
        "a court order or subpoena and the patrons it names (CONF-5)",
        # An uploaded document's file name is whatever the sender called it.
        free_text=("review_note", "document"),
        retention="Kept as the record of what the law required.",
        # Its status, scope and workers decide who may read whom.
        logged=True,
        logged_m2m=("workers", "patrons"),
    ),
    Holding(
        "privacy.LegalOrderRelease",
        "one release of a patron's records under an order (CONF-5)",
        category=DataCategory.IDENTITY,
        patron="patron",
        free_text=("note",),
        retention="Kept as the record of what was released under the order.",
    ),
    Holding(
        "privacy.ContractedAgent",
        "an agent under contract and its login (CONF-7)",
        retention="Kept while the contract is on record.",
        logged=True,
    ),
    Holding(
        "privacy.Inquiry",
        "a question asked at a desk and the answer the policy gave",
        category=DataCategory.IDENTITY,
        patron="patron",
        retention="Kept as the record of what the desk said, and why.",
    ),
    # --- Circulation
    Holding(
        "circulation.Loan",
        "one check-out; a returned loan keeps no patron (CONF-9)",
        category=DataCategory.CIRCULATION,
        patron="patron",
        item="item",
        retention="returned loans forgotten",
        anonymisation="Check-in forgets the patron and keeps only the days (CONF-9).",
        download=True,
    ),
    Holding(
        "circulation.Hold",
        "a live hold; collected, cancelled or expired holds are deleted",
        category=DataCategory.CIRCULATION,
        patron="patron",
        item="item",
        retention="expired holds",
        download=True,
    ),
    Holding(
        "circulation.Fine",
        "a fine; a settled fine keeps neither patron nor loan (CONF-9)",
        category=DataCategory.CIRCULATION,
        patron="patron",
        item="loan__item",
        # Who owed what, when, joined to the anonymised loans, would name the borrower.
        unlogged=("patron", "loan"),
        joining=("amount",),
        retention="settled fines",
        anonymisation="Paying or waiving forgets the patron and the loan (CONF-9).",
        logged=True,
        admin_purpose=Purpose.FINES,
        download=True,
    ),
    Holding(
        "circulation.FinePayment",
        "money taken toward a fine; names the fine and the staff member, never the patron",
        category=DataCategory.CIRCULATION,
        patron="fine__patron",
        item="fine__loan__item",
        # How much, beside the trail's exact time, would pick out the fine and its loan.
        joining=("amount",),
        retention="Kept with its fine, and deleted with it when settled fines are purged.",
        logged=True,
    ),
    Holding(
        "circulation.ReadingHistoryEntry",
        "a returned loan remembered for a patron who opted in (CONF-9)",
        category=DataCategory.READING_HISTORY,
        patron="patron",
        item="item",
        identity=("title", "author"),
        retention="reading history of patrons who opted out",
        anonymisation="Opting out deletes it; it is the patron's own, kept at their choice.",
        download=True,
    ),
    Holding(
        "circulation.FoundItem",
        "something found that may belong to a patron (CONF-8)",
        category=DataCategory.IDENTITY,
        patron="owner",
        item="item",
        identity=("finder_name", "finder_contact"),
        free_text=("description",),
        retention="found items",
        unlink_on_check_in="item",
    ),
    # --- Notices
    Holding(
        "notices.Notice",
        "a notice due to or sent to a patron: its kind, channel and days, never its text",
        category=DataCategory.CIRCULATION,
        patron="patron",
        item="item",
        # A hold notice's item and hold, kept until it is sent, tie the patron to the item.
        unlogged=("item", "hold"),
        retention="sent notices scrubbed",
        anonymisation=(
            "Sending forgets the item and hold; after the retention period only the day, "
            "kind and patron are kept (CONF-9)."
        ),
        unlink_on_check_in="item",
    ),
    # --- Activity
    Holding(
        "activity.ComputerSession",
        "a patron's use of a computer or online service (FAC-2)",
        category=DataCategory.ONLINE_SERVICES,
        patron="patron",
        retention="computer sessions",
        download=True,
    ),
    Holding(
        "activity.ReferenceConsultation",
        "a reference question and its answer",
        category=DataCategory.REFERENCE,
        patron="patron",
        free_text=("question", "answer"),
        retention="reference consultations",
        download=True,
    ),
    Holding(
        "activity.EventSignup",
        "a patron's sign-up for an event",
        category=DataCategory.EVENTS,
        patron="patron",
        retention="event sign-ups",
        download=True,
    ),
    # --- Facilities (CONF-10, CAM-1 to CAM-6)
    Holding(
        "facilities.Incident",
        "an incident in a library building",
        free_text=("area", "description", "police_report_number"),
        retention="Kept as the record of the incident and any ban it led to.",
        logged=True,
    ),
    Holding(
        "facilities.IncidentPerson",
        "a person involved in an incident, a patron or described",
        category=DataCategory.IDENTITY,
        patron="patron",
        free_text=("description",),
        retention="Kept with its incident.",
        logged=True,
    ),
    Holding(
        "facilities.Ban",
        "a ban of a person involved in an incident",
        category=DataCategory.IDENTITY,
        patron="person__patron",
        free_text=("note",),
        retention="Kept with its incident.",
        logged=True,
        logged_m2m=("branches",),
    ),
    Holding(
        "facilities.Recording",
        "camera footage, which may show patrons (CAM-1)",
        retention="camera recordings",
    ),
    Holding(
        "facilities.RecordingHold",
        "a recording held for an incident",
        retention="Kept until the hold is lifted.",
        logged=True,
    ),
    Holding(
        "facilities.FootageOrderScope",
        "which cameras and times a legal order covers (CAM-6)",
        retention="Kept with its legal order.",
        logged=True,
        logged_m2m=("cameras",),
    ),
    Holding(
        "facilities.Still",
        "a still kept from footage for an incident (CAM-4)",
        free_text=("caption",),
        retention="Kept with its incident.",
        logged=True,
    ),
    Holding(
        "facilities.OutsideRequest",
        "a request for footage from outside the library (CAM-6)",
        free_text=("requester_name", "contact", "footage_wanted", "decision_note"),
        retention="Kept as the record of the director's decision.",
        logged=True,
    ),
    Holding(
        "facilities.FootageRelease",
        "footage given outside the library (CAM-5, CAM-6)",
        free_text=("recipient_name", "reason"),
        retention="Kept as the record of the release.",
        logged=True,
    ),
    Holding(
        "facilities.PoliceIdentityRelease",
        "a patron's identity given to police for an incident (CONF-10)",
        free_text=("officer", "note"),
        retention="Kept as the record of the release.",
        logged=True,
    ),
    # --- Django's and other libraries' tables
    Holding(
        "admin.LogEntry",
        "the staff admin's own change log; names records by kind and number only",
        free_text=("object_repr", "change_message"),
        retention="Kept like the admin's history; it names no patron.",
    ),
    Holding(
        "audit.AuditEntry",
        "the audit trail: every read of patron data and every change",
        free_text=("object_repr",),
        retention=KEPT_FOR_EVER,
    ),
    Holding(
        "sessions.Session",
        "a signed-in browser's session",
        free_text=("session_data",),
        retention="Kept until it expires; clearsessions deletes expired ones.",
    ),
    Holding(
        "axes.AccessAttempt",
        "failed sign-ins, keyed by a hash of the name typed",
        identity=("username",),
        retention="Kept until the cool-off ends or a successful sign-in resets it.",
    ),
    Holding(
        "axes.AccessLog",
        "sign-ins (not kept: AXES_DISABLE_ACCESS_LOG)",
        identity=("username",),
        retention="Not written.",
    ),
    Holding(
        "axes.AccessFailureLog",
        "failed sign-ins, keyed by a hash of the name typed",
        identity=("username",),
        retention="Kept until the cool-off ends.",
    ),
)


@cache
def holdings() -> dict[type[models.Model], Holding]:
    """Return the inventory keyed by model class (the app registry must be ready)."""
    return {apps.get_model(holding.model): holding for holding in INVENTORY}


def holding_for(model: type[models.Model]) -> Holding | None:
    """Return what the inventory says of a model, or None when it holds no patron data."""
    return holdings().get(model._meta.concrete_model or model)


def masked_fields(holding: Holding) -> list[str]:
    """Return the fields the audit trail masks: identity, free text, joining values, secrets."""
    return [*holding.identity, *holding.free_text, *holding.joining, *holding.secret]


def check_in_unlinks() -> list[tuple[type[models.Model], Holding]]:
    """Return the models whose rows check-in unlinks from the patron or the item, with how."""
    return [
        (apps.get_model(holding.model), holding)
        for holding in INVENTORY
        if holding.unlink_on_check_in and holding.patron and holding.item
    ]


def relation_targets(model: type[models.Model]) -> list[type[models.Model]]:
    """Return the models a model's own foreign keys, one-to-ones and many-to-manys point to."""
    return [
        field.related_model
        for field in model._meta.get_fields()
        if field.is_relation
        and field.concrete
        and (field.many_to_one or field.one_to_one or field.many_to_many)
        and isinstance(field.related_model, type)
    ]


def links_to_a_person(model: type[models.Model]) -> bool:
    """Return True if a chain of the model's own relations reaches the patron or a login."""
    roots = {apps.get_model(PATRON_MODEL), apps.get_model(LOGIN_MODEL)}
    seen: set[type[models.Model]] = set()
    waiting = [model]
    while waiting:
        current = waiting.pop()
        if current in roots:
            return True
        if current in seen:
            continue
        seen.add(current)
        waiting.extend(relation_targets(current))
    return False


def register_with_the_trail() -> None:
    """Register every model the inventory logs with the audit trail, its people and secrets masked.

    Masked fields keep only that they changed, never a value (CONF-6); unlogged
    fields are left out of the entries altogether. The models that give rights
    and are not declared here (groups, permissions, group grants: no person in
    them) are logged whole by audit.rights.
    """
    from auditlog.registry import auditlog

    from audit import relations, rights

    for holding in INVENTORY:
        if holding.logged:
            model = apps.get_model(holding.model)
            auditlog.register(
                model,
                mask_fields=masked_fields(holding),
                exclude_fields=list(holding.unlogged),
            )
            for name in holding.logged_m2m:
                relations.track_relation(model, name)
    rights.register_rights(declared=set(holdings()))

"""factory_boy factories for every model; tests build their data from these."""

import datetime
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from circulation.models import (
    BibliographicRecord,
    CirculationDay,
    Fine,
    Hold,
    Item,
    ItemType,
    Loan,
    LoanRule,
    PatronCategory,
    ReadingHistoryEntry,
)
from library.models import Branch
from library.roles import Role
from patrons.models import Patron, ResponsibleAdult
from privacy.models import Consent, IdentityCheck
from privacy.policy import DataCategory


def years_ago(years: int, days: int = 0) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=days)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def role(self, create: bool, role: Role | None, **kwargs: object) -> None:
        if create and role is not None:
            self.is_staff = True
            self.save(update_fields=["is_staff", "password"])
            self.groups.add(Group.objects.get_or_create(name=role.group_name)[0])
        elif create:
            self.save(update_fields=["password"])


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"B{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Branch {o.code}")


class PatronFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patron

    card_number = factory.Sequence(lambda n: f"2100{n:010d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    address_line = factory.Faker("street_address")
    city = "Lawrence"
    postal_code = "66044"
    phone = factory.Sequence(lambda n: f"785-555-{n % 10000:04d}")
    email = factory.Faker("email")
    date_of_birth = factory.LazyFunction(lambda: years_ago(35))
    home_branch = factory.SubFactory(BranchFactory, code="CEN", name="Central Library")
    card_expires_on = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=365)
    )


class MinorFactory(PatronFactory):
    date_of_birth = factory.LazyFunction(lambda: years_ago(10))


class ResponsibleAdultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResponsibleAdult

    minor = factory.SubFactory(MinorFactory)
    adult = factory.SubFactory(PatronFactory)
    relationship = ResponsibleAdult.Relationship.PARENT


class IdentityCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdentityCheck

    patron = factory.SubFactory(PatronFactory)
    document_kind = IdentityCheck.Document.DRIVERS_LICENCE
    checked_by = factory.SubFactory(UserFactory, role=Role.CIRCULATION)


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    patron = factory.SubFactory(PatronFactory)
    recipient = "Homework Help Inc."
    category = DataCategory.CIRCULATION
    purpose = "Tutoring support"


class LoanRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoanRule
        django_get_or_create = ["item_type"]

    item_type = ItemType.BOOK
    loan_days = 21
    renewal_limit = 2
    fine_per_day = Decimal("0.25")
    max_fine = Decimal("10.00")


class BibliographicRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BibliographicRecord

    title = factory.Faker("sentence", nb_words=3)
    authors = factory.Faker("name")


class ItemFactory(factory.django.DjangoModelFactory):
    """A copy; `title` and `author` make a record of their own unless `record` is given."""

    class Meta:
        model = Item

    class Params:
        title = factory.Faker("sentence", nb_words=3)
        author = factory.Faker("name")
        withdrawn = factory.Trait(status=Item.Status.WITHDRAWN)

    record = factory.SubFactory(
        BibliographicRecordFactory,
        title=factory.SelfAttribute("..title"),
        authors=factory.SelfAttribute("..author"),
    )
    barcode = factory.Sequence(lambda n: f"3100{n:010d}")
    call_number = "813.54 SMI"
    item_type = ItemType.BOOK
    branch = factory.SubFactory(BranchFactory, code="CEN", name="Central Library")
    current_branch = factory.SelfAttribute("branch")


class LoanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Loan

    item = factory.SubFactory(ItemFactory)
    patron = factory.SubFactory(PatronFactory)
    branch = factory.SelfAttribute("item.branch")
    checked_out_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda o: o.checked_out_at + datetime.timedelta(days=21))

    @classmethod
    def _create(cls, model_class: type[Loan], *args: Any, **kwargs: Any) -> Loan:
        loan = super()._create(model_class, *args, **kwargs)
        if loan.returned_at is None:  # an open loan's copy is out, as check-out leaves it
            Item.objects.filter(pk=loan.item_id).update(status=Item.Status.ON_LOAN)
            loan.item.refresh_from_db()
        return loan


class HoldFactory(factory.django.DjangoModelFactory):
    """A hold on `item`'s title; ready or in transit, that copy is trapped for it."""

    class Meta:
        model = Hold

    item = factory.SubFactory(ItemFactory)
    record = factory.SelfAttribute("item.record")
    patron = factory.SubFactory(PatronFactory)
    pickup_branch = factory.SelfAttribute("item.branch")

    @classmethod
    def _create(cls, model_class: type[Hold], *args: Any, **kwargs: Any) -> Hold:
        status = kwargs.get("status", Hold.Status.WAITING)
        if status == Hold.Status.WAITING and not kwargs.get("item_level"):
            kwargs["item"] = None  # a title-level hold has no copy until one is trapped
        hold = super()._create(model_class, *args, **kwargs)
        item = hold.item
        if item is not None and status == Hold.Status.READY:
            Item.objects.filter(pk=item.pk).update(
                status=Item.Status.ON_HOLD_SHELF, current_branch=hold.pickup_branch
            )
        elif item is not None and status == Hold.Status.IN_TRANSIT:
            Item.objects.filter(pk=item.pk).update(
                status=Item.Status.IN_TRANSIT, transit_to=hold.pickup_branch
            )
        if item is not None:
            item.refresh_from_db()
        return hold


class FineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fine

    paid_at = None
    waived_at = None
    # A settled fine keeps no patron (CONF-9): only an unpaid one names them.
    patron = factory.Maybe(
        factory.LazyAttribute(lambda fine: fine.paid_at is None and fine.waived_at is None),
        yes_declaration=factory.SubFactory(PatronFactory),
        no_declaration=None,
    )
    reason = Fine.Reason.OVERDUE
    amount = Decimal("1.50")
    # A waived fine says why (fine_waived_has_reason).
    waive_reason = factory.LazyAttribute(lambda fine: "other" if fine.waived_at else "")


class ReadingHistoryEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReadingHistoryEntry

    patron = factory.SubFactory(PatronFactory, keeps_reading_history=True)
    item = factory.SubFactory(ItemFactory)
    title = factory.SelfAttribute("item.record.title")
    author = factory.SelfAttribute("item.record.authors")
    checked_out_on = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=30)
    )
    returned_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))


class LegalOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "privacy.LegalOrder"
        skip_postgeneration_save = True

    kind = "subpoena"
    issuing_authority = "Douglas County District Court"
    requesting_agency = "Lawrence Police Department"
    case_number = factory.Sequence(lambda n: f"2026-CV-{n:04d}")
    received_by = factory.SubFactory(UserFactory, role=Role.DIRECTOR)
    categories = factory.LazyFunction(lambda: ["identity", "circulation"])
    records_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=365))
    records_until = factory.LazyFunction(timezone.localdate)
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    status = "valid"

    @factory.post_generation
    def patrons(self, create: bool, extracted: list[Patron] | None, **kwargs: object) -> None:
        if create and extracted:
            self.patrons.set(extracted)


class ContractedAgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "privacy.ContractedAgent"

    name = factory.Sequence(lambda n: f"Collections Agency {n}")
    purpose = "Recovering long-overdue materials"
    categories = factory.LazyFunction(lambda: ["identity", "circulation"])
    contract_start = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=30)
    )
    contract_end = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=335))
    user = factory.SubFactory(UserFactory)


# Facilities (issue 7): cameras, incidents, bans, footage.

# The smallest files that are what their names say; footage content never matters here.
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


class CameraFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "facilities.Camera"

    branch = factory.SubFactory(BranchFactory, code="CEN", name="Central Library")
    name = factory.Sequence(lambda n: f"Camera {n}")
    location_description = "Main doors, facing in"
    location_type = "entrance"


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "facilities.Incident"

    occurred_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=3))
    branch = factory.SubFactory(BranchFactory, code="CEN", name="Central Library")
    area = "Computer area"
    kind = "conduct"
    description = "Shouted at staff and threw a chair."
    reported_by = factory.SubFactory(UserFactory, role=Role.SECURITY_GUARD)


class IncidentPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "facilities.IncidentPerson"

    incident = factory.SubFactory(IncidentFactory)
    patron = factory.SubFactory(PatronFactory)
    involvement = "subject"


class BanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "facilities.Ban"

    person = factory.SubFactory(IncidentPersonFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    created_by = factory.SubFactory(UserFactory, role=Role.PERSON_IN_CHARGE)


class RecordingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "facilities.Recording"

    camera = factory.SubFactory(CameraFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=4))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=2))
    file = factory.django.FileField(filename="clip.mp4", data=MP4_BYTES)
    retention_days = 30
    retain_until = factory.LazyAttribute(
        lambda o: o.ends_at + datetime.timedelta(days=o.retention_days)
    )


class StillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "facilities.Still"

    incident = factory.SubFactory(IncidentFactory)
    recording = factory.SubFactory(RecordingFactory)
    camera = factory.SelfAttribute("recording.camera")
    taken_at = factory.LazyAttribute(lambda o: o.recording.starts_at)
    image = factory.django.FileField(filename="still.png", data=PNG_BYTES)
    ban = None
    created_by = factory.SubFactory(UserFactory, role=Role.SECURITY_GUARD)


class OutsideRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "facilities.OutsideRequest"

    recorded_by = factory.SubFactory(UserFactory, role=Role.CIRCULATION)
    requester_kind = "police"
    requester_name = "Lawrence Police Department"
    footage_wanted = "Front entrance, yesterday 3-4 pm."


class FootageOrderScopeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "facilities.FootageOrderScope"
        skip_postgeneration_save = True

    order = factory.SubFactory(LegalOrderFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=2))
    ends_at = factory.LazyFunction(timezone.now)
    added_by = factory.SubFactory(UserFactory, role=Role.DIRECTOR)

    @factory.post_generation
    def cameras(self, create: bool, extracted: list[object] | None, **kwargs: object) -> None:
        if create and extracted:
            self.cameras.set(extracted)


class LegalOrderReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "privacy.LegalOrderRelease"

    order = factory.SubFactory(LegalOrderFactory)
    patron = factory.SubFactory(PatronFactory)
    category = DataCategory.CIRCULATION
    released_by = factory.SelfAttribute("order.received_by")
    records = 3
    note = "Loans for March handed to the detective in person"


class ComputerSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "activity.ComputerSession"

    resource = factory.Sequence(lambda n: f"PC-{n:03d}")
    patron = factory.SubFactory(PatronFactory)
    branch = factory.SubFactory(BranchFactory, code="CEN", name="Central Library")
    started_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))
    ended_at = factory.LazyFunction(timezone.now)


class ReferenceConsultationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "activity.ReferenceConsultation"

    channel = "in_person"
    patron = factory.SubFactory(PatronFactory)
    branch = factory.SubFactory(BranchFactory, code="CEN", name="Central Library")
    question = "Where are the books on local history?"
    answer = "Second floor, 977.8."


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "activity.Event"

    title = factory.Sequence(lambda n: f"Story time {n}")
    branch = factory.SubFactory(BranchFactory, code="CEN", name="Central Library")
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=1))


class EventSignupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "activity.EventSignup"

    event = factory.SubFactory(EventFactory)
    patron = factory.SubFactory(PatronFactory)


class FoundItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "circulation.FoundItem"

    kind = "library_card"
    description = "Library card found by the copier"
    branch = factory.SubFactory(BranchFactory, code="CEN", name="Central Library")


class CirculationDayFactory(factory.django.DjangoModelFactory):
    """One day's anonymous counts for a branch, item type and age group."""

    class Meta:
        model = CirculationDay

    day = factory.LazyFunction(timezone.localdate)
    branch = factory.SubFactory(BranchFactory)
    item_type = ItemType.BOOK
    patron_category = PatronCategory.ADULT
    checkouts = 0
    renewals = 0
    returns = 0

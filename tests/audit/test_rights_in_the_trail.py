"""Every change of rights appends an entry to the audit trail (issue 15, case 4).

The models are found in Django's registries, never listed here: the models of
django.contrib.auth with their auto-created many-to-many tables, every
django-guardian grant table (the generic ones and every direct subclass), every
installed django-otp device kind, and every model of the project whose name or
relations say it grants (a one-to-one or many-to-many to a login, a group or a
permission, any relation to a group or a permission, or a word such as agent,
worker, profile, grant, consent or scope in its name or a field's), and the
tables Django made for their many-to-manys. Each model is created, has each
field changed and is deleted; through each many-to-many's table, relations are
added, removed, set and cleared from both ends. Every step must append an
entry naming the record and the field it changed.

Django sends no signal for a row written straight into a table it made for a
many-to-many (only its managers' m2m_changed), so those tables are exercised
through the managers, as every door of the application writes them.
"""

import datetime
import json
import re
import uuid
from typing import Any

import factory
import pytest
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.test.utils import isolate_apps
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from audit.models import AuditEntry
from library.models import Branch
from tests import factories
from tests.audit.trail import Trail, naming
from tests.project import project_app_labels

pytestmark = pytest.mark.django_db

# Beginnings of words that, in a model's or a field's name, say it gives someone rights.
RIGHTS_WORDS = (
    "grant",
    "permission",
    "role",
    "group",
    "worker",
    "member",
    "agent",
    "profile",
    "device",
    "delegat",
    "authori",
    "consent",
    "scope",
)
# What signing in or using an authenticator changes, which changes no one's rights:
# the trail may leave these fields out (every sign-in would append an entry).
USE_FIELDS = {
    "last_login",
    # A patron's month of last use and the day they were told an unused account
    # goes (patrons.retention): logged with the second, they could tie the patron
    # to a returned loan's day (CONF-9); purge_expired's summaries count them.
    "last_active_on",
    "inactivity_notice_on",
    "last_used_at",
    "last_t",
    "drift",
    "throttling_failure_timestamp",
    "throttling_failure_count",
}


def _words(name: str) -> list[str]:
    return [word.lower() for word in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", name)]


def _named_as_granting(name: str) -> bool:
    return any(word.startswith(RIGHTS_WORDS) for word in _words(name))


def _grants(model: type[models.Model]) -> bool:
    """Return True if the model's name or its own fields say its rows give rights."""
    login = get_user_model()
    if _named_as_granting(model.__name__):
        return True
    for field in model._meta.get_fields():
        if not field.concrete:  # a reverse relation belongs to the model it comes from
            continue
        target = field.related_model if field.is_relation else None
        if target in (Group, Permission):
            return True
        if target is login and (field.one_to_one or field.many_to_many):
            return True
        if _named_as_granting(field.name):
            return True
    return False


def _rights_models() -> list[type[models.Model]]:
    found = list(apps.get_app_config("auth").get_models(include_auto_created=True))
    found += [
        model
        for model in apps.get_models()
        if issubclass(model, (UserObjectPermissionBase, GroupObjectPermissionBase, Device))
    ]
    found += [
        model
        for model in apps.get_models()
        if model._meta.app_label in project_app_labels() and _grants(model)
    ]
    found += [
        field.remote_field.through
        for model in list(found)
        for field in model._meta.many_to_many
        if field.remote_field.through._meta.auto_created
    ]
    return list(dict.fromkeys(found))


RIGHTS = _rights_models()
LABELS = sorted(model._meta.label for model in RIGHTS if not model._meta.auto_created)
TABLES = sorted(model._meta.label for model in RIGHTS if model._meta.auto_created)


def test_the_walk_finds_the_rights_the_issue_names():
    # A sanity check of the discovery, not the list the tests run on.
    assert {
        "auth.User",
        "auth.Group",
        "auth.Permission",
        "auth.User_groups",
        "auth.User_user_permissions",
        "auth.Group_permissions",
        "guardian.UserObjectPermission",
        "guardian.GroupObjectPermission",
        "patrons.PatronUserObjectPermission",
        "patrons.PatronGroupObjectPermission",
        "otp_totp.TOTPDevice",
        "privacy.LegalOrder",
        "privacy.LegalOrder_workers",
        "privacy.LegalOrder_patrons",
        "privacy.ContractedAgent",
        "library.StaffProfile",
    } <= set(LABELS + TABLES)


# --- Building records and changing them, from the field types alone


def _factories() -> dict[type[models.Model], Any]:
    found: dict[type[models.Model], Any] = {}
    for value in vars(factories).values():
        if isinstance(value, type) and issubclass(value, factory.django.DjangoModelFactory):
            model = value._meta.get_model_class()
            if model is not None and value.__name__ == f"{model.__name__}Factory":
                found[model] = value
    return found


FACTORIES = _factories()


def _unique(length: int = 12) -> str:
    return uuid.uuid4().hex[:length]


def _permission_on(model: type[models.Model]) -> Permission:
    return Permission.objects.create(
        codename=f"grant_{_unique()}",
        name="A permission made by the test",
        content_type=ContentType.objects.get_for_model(model),
    )


def _is_grant(model: type[models.Model]) -> bool:
    return issubclass(model, (UserObjectPermissionBase, GroupObjectPermissionBase))


def _make_grant(model: type[models.Model]) -> Any:
    """Return a grant of a new permission on a new record; guardian wants the two to agree."""
    holder = next(
        field
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model in (get_user_model(), Group)
    )
    values: dict[str, Any] = {holder.name: make(holder.related_model)}
    target_field = model._meta.get_field("content_object")
    if target_field.concrete:  # a direct grant table: a real foreign key to its model
        target = make(target_field.related_model)
        values["content_object"] = target
    else:
        target = make(Branch)
        values.update(
            content_type=ContentType.objects.get_for_model(Branch), object_pk=str(target.pk)
        )
    return model._default_manager.create(permission=_permission_on(type(target)), **values)


def _change_grant(grant: Any, field: models.Field) -> None:
    """Give one field of a grant another value, keeping its permission and record in agreement."""
    target = grant.content_object
    if field.name == "permission":
        grant.permission = _permission_on(type(target))
    elif field.name == "content_object":
        grant.content_object = make(type(target))
    elif field.name == "object_pk":
        grant.object_pk = str(make(type(target)).pk)
    elif field.name == "content_type":  # a grant on another kind of record
        other = make(Group)
        grant.content_type = ContentType.objects.get_for_model(Group)
        grant.object_pk, grant.permission = str(other.pk), _permission_on(Group)
    else:
        setattr(grant, field.name, make(field.related_model))
    grant.save()


def make(model: type[models.Model], other_than: Any = None) -> Any:
    """Return a new saved record of the model (an existing one for content types)."""
    if model is ContentType:
        return ContentType.objects.exclude(pk=other_than).order_by("pk").first()
    if model is Group:
        return Group.objects.create(name=f"group-{_unique()}")
    if model is Permission:
        return _permission_on(Branch)
    if _is_grant(model):
        return _make_grant(model)
    if model in FACTORIES:
        return FACTORIES[model]()
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.has_default() or field.null:
            continue
        values[field.name] = (
            make(field.related_model) if field.is_relation else _value_for(field, None)
        )
    return model._default_manager.create(**values)


def _value_for(field: models.Field, current: Any, step: int = 1) -> Any:
    """Return a value of the field's type that differs from `current`."""
    if field.choices:
        return next(value for value, _ in field.flatchoices if value != current)
    if isinstance(field, models.BooleanField):
        return not current
    if isinstance(field, models.DateTimeField):
        return (current or timezone.now()) + datetime.timedelta(days=step)
    if isinstance(field, models.DateField):
        return (current or timezone.localdate()) + datetime.timedelta(days=step)
    if isinstance(field, models.IntegerField):
        return (current or 0) + step
    if isinstance(field, models.JSONField):
        return [*current, "changed"] if isinstance(current, list) else {"changed": True}
    if isinstance(field, models.FileField):
        return f"changed-{_unique()}.pdf"
    if isinstance(field, models.CharField | models.TextField):
        return f"x{_unique(min(12, (field.max_length or 13) - 1))}"
    raise AssertionError(f"no way to change a {type(field).__name__} ({field})")


def _change(instance: models.Model, field: models.Field) -> None:
    """Give one field of a saved record another value and save it (either way for dates)."""
    if _is_grant(type(instance)):
        _change_grant(instance, field)
        return
    if field.is_relation:
        current = getattr(instance, field.attname)
        setattr(instance, field.name, make(field.related_model, other_than=current))
        instance.save()
        return
    current = getattr(instance, field.attname)
    for step in (1, -1):  # a date may be bound by another (a range that must stay ordered)
        setattr(instance, field.attname, _value_for(field, current, step))
        try:
            with transaction.atomic():
                instance.save()
            return
        except IntegrityError:
            setattr(instance, field.attname, current)
    raise AssertionError(f"could not change {field}")


def _owner(through: type[models.Model]) -> tuple[type[models.Model], Any]:
    """Return the model that declares the many-to-many a table was made for, and the field."""
    source = through._meta.auto_created
    field = next(f for f in source._meta.many_to_many if f.remote_field.through is through)
    return source, field


def _logged_fields(model: type[models.Model]) -> list[models.Field]:
    excluded = (
        set(auditlog.get_model_fields(model)["exclude_fields"])
        if auditlog.contains(model)
        else set()
    )
    assert excluded <= USE_FIELDS, f"{model._meta.label} leaves rights out of the trail: {excluded}"
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in excluded
    ]


# --- The rows of every rights model


@pytest.mark.parametrize("label", LABELS)
def test_creating_changing_and_deleting_a_right_appends_entries(label):
    model = apps.get_model(label)
    trail = Trail()
    record = make(model)
    assert naming(trail.new(), model, record.pk, action=AuditEntry.Action.CREATE), (
        f"creating {label} appended no entry"
    )
    for field in _logged_fields(model):
        _change(record, field)
        assert naming(trail.new(), model, record.pk, field=field.name), (
            f"changing {label}.{field.name} appended no entry naming it"
        )
    pk = record.pk
    record.delete()
    assert naming(trail.new(), model, pk, action=AuditEntry.Action.DELETE), (
        f"deleting {label} appended no entry"
    )


@pytest.mark.parametrize("label", TABLES)
def test_adding_removing_setting_and_clearing_a_many_to_many_of_rights_appends_entries(label):
    model, field = _owner(apps.get_model(label))
    owner, other = make(model), make(field.related_model)
    forward = getattr(owner, field.name)
    steps = [
        ("add", lambda: forward.add(other), "add"),
        ("remove", lambda: forward.remove(other), "delete"),
        ("set", lambda: forward.set([other]), "add"),
        ("clear", lambda: forward.clear(), "delete"),
    ]
    if not field.remote_field.hidden:
        backward = getattr(other, field.remote_field.get_accessor_name())
        steps += [
            ("add from the other end", lambda: backward.add(owner), "add"),
            ("remove from the other end", lambda: backward.remove(owner), "delete"),
            ("set from the other end", lambda: backward.set([owner]), "add"),
            ("clear from the other end", lambda: backward.clear(), "delete"),
        ]
    trail = Trail()
    for step, run, operation in steps:
        run()
        named = naming(trail.new(), model, owner.pk, field=field.name)
        assert named, f"{step} through {label} appended no entry naming {field.name}"
        change = named[-1].changes[field.name]
        assert (change["type"], change["operation"]) == ("m2m", operation), (step, change)
        assert len(change["objects"]) == 1, (step, change)
    forward.remove(other)  # not joined: nothing changes, nothing is recorded
    assert trail.new() == []


# --- Secrets: that they changed is recorded, never what they are


def test_a_password_change_is_recorded_with_the_password_masked():
    user = factories.UserFactory()
    old_hash = user.password
    trail = Trail()
    user.set_password("a-brand-new-secret-42")
    user.save()
    [entry] = naming(trail.new(), get_user_model(), user.pk, field="password")
    assert entry.changes["password"] == ["[redacted]", "[redacted]"]
    everything = json.dumps(list(AuditEntry.objects.values()), default=str)
    for secret in ("a-brand-new-secret-42", user.password, old_hash):
        assert secret not in everything


def test_an_authenticators_secret_never_reaches_the_trail():
    user = factories.UserFactory()
    trail = Trail()
    device = TOTPDevice.objects.create(user=user, name="phone")
    first_key = device.key
    device.key = "a1b2c3d4e5" * 4
    device.save()
    entries = trail.new()
    assert naming(entries, TOTPDevice, device.pk, action=AuditEntry.Action.CREATE)
    [rekeyed] = naming(entries, TOTPDevice, device.pk, field="key", action=AuditEntry.Action.UPDATE)
    assert rekeyed.changes["key"] == ["[redacted]", "[redacted]"]
    everything = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert first_key not in everything and device.key not in everything


def test_signing_in_and_using_an_authenticator_append_nothing(client):
    user = factories.UserFactory(username="signs-in")
    device = TOTPDevice.objects.create(user=user, name="phone")
    trail = Trail()
    client.force_login(user)  # sets the login's last sign-in, as a real one does
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    assert device.verify_token(totp.token())
    assert trail.new() == []


# --- A new rights model cannot slip past the start-up check


@isolate_apps("library")
def test_a_new_model_that_grants_and_is_not_logged_stops_the_start_up():
    from audit.rights import unlogged_rights

    class Delegation(models.Model):  # noqa: DJ008
        delegates: "models.ManyToManyField[Any, Any]" = models.ManyToManyField(
            get_user_model(), related_name="+"
        )

        class Meta:
            app_label = "library"

    assert unlogged_rights([Delegation]) == ["library.Delegation", "library.Delegation.delegates"]


def test_the_rights_as_shipped_pass_the_start_up_check():
    from audit.checks import rights_check

    assert rights_check(None) == []

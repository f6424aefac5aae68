"""The inventory of patron data (privacy.inventory) against what Django itself knows.

Every model with a path to a patron or a login is declared; every admin over a
declared model is behind the gate; every logged model is masked as declared;
every retention rule names a real kind. The model graph, the admin registry,
auditlog's registry and the retention registry are walked, never a list kept here.
"""

import pytest
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test.utils import isolate_apps

from privacy import retention
from privacy.admin_gate import (
    GatedAdminMixin,
    HiddenPatronMixin,
    InventoryAdminMixin,
    PatronLoginsHiddenMixin,
)
from privacy.checks import inventory_check, undeclared_models
from privacy.inventory import INVENTORY, LOGIN_MODEL, holding_for, links_to_a_person

pytestmark = pytest.mark.django_db


def _guarded_registry():
    admin.site.get_urls()  # the site guards its model admins as it builds its URLs
    return admin.site._registry


def test_the_inventory_as_shipped_passes_its_start_up_check():
    assert inventory_check(None) == []


def test_every_model_with_a_path_to_a_patron_or_a_login_is_declared():
    linked = [model for model in apps.get_models() if links_to_a_person(model)]
    assert len(linked) > 30
    assert undeclared_models(apps.get_models()) == []
    for model in linked:
        assert holding_for(model) is not None, model._meta.label


@isolate_apps("privacy")
def test_a_new_model_linking_to_a_patron_stops_the_start_up():
    from django.contrib.auth.models import User

    from patrons.models import Patron

    class CoffeeCard(models.Model):  # noqa: DJ008
        patron = models.ForeignKey(Patron, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "privacy"

    class Note(models.Model):  # noqa: DJ008
        written_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "privacy"

    class Shelf(models.Model):  # noqa: DJ008
        label = models.CharField(max_length=10)

        class Meta:
            app_label = "privacy"

    assert undeclared_models([CoffeeCard, Note, Shelf]) == ["privacy.CoffeeCard", "privacy.Note"]


def test_a_declaration_naming_a_missing_field_stops_the_start_up(monkeypatch):
    from privacy import inventory

    broken = inventory.Holding("privacy.Consent", "consents", free_text=("no_such_field",))
    monkeypatch.setattr(inventory, "INVENTORY", (*inventory.INVENTORY, broken))
    assert [error.id for error in inventory_check(None)] == ["privacy.E006"]


def test_every_admin_over_a_declared_model_is_behind_the_gate():
    registry = _guarded_registry()
    declared = [model for model in registry if holding_for(model) is not None]
    assert len(declared) >= 15
    for model in declared:
        model_admin = registry[model]
        holding = holding_for(model)
        assert isinstance(model_admin, InventoryAdminMixin), model._meta.label
        if holding.model == LOGIN_MODEL:
            assert isinstance(model_admin, PatronLoginsHiddenMixin)
        elif holding.admin_purpose is not None:
            assert isinstance(model_admin, GatedAdminMixin), model._meta.label
            assert model_admin.gate_purpose is holding.admin_purpose
        else:
            assert isinstance(model_admin, HiddenPatronMixin), model._meta.label


def test_the_admins_that_show_a_patron_are_the_ones_the_inventory_names():
    registry = _guarded_registry()
    gated = {model._meta.label for model, ma in registry.items() if isinstance(ma, GatedAdminMixin)}
    assert gated == {
        "patrons.Patron",
        "patrons.ResponsibleAdult",
        "privacy.IdentityCheck",
        "privacy.Consent",
        "circulation.Fine",
    }


def test_every_logged_model_masks_its_identity_free_text_and_secrets_in_the_trail():
    for holding in INVENTORY:
        model = apps.get_model(holding.model)
        if not holding.logged:
            continue
        assert auditlog.contains(model), holding.model
        fields = auditlog.get_model_fields(model)
        masked = {*holding.identity, *holding.free_text, *holding.joining, *holding.secret}
        assert set(fields["mask_fields"]) == masked, holding.model
        assert set(holding.unlogged) <= set(fields["exclude_fields"]), holding.model


def test_no_model_holding_patron_data_is_logged_unless_the_inventory_says_so():
    for holding in INVENTORY:
        if not holding.logged:
            assert not auditlog.contains(apps.get_model(holding.model)), holding.model


def test_every_retention_rule_names_a_kind_that_exists_or_says_why_rows_are_kept():
    kinds = {purger.kind for purger in retention.purgers()}
    for holding in INVENTORY:
        assert holding.retention, holding.model
        named = holding.retention in kinds
        explained = holding.retention.startswith(("Kept", "Not written"))
        assert named or explained, f"{holding.model}: {holding.retention}"


def test_every_kind_that_retention_purges_is_declared():
    for purger in retention.purgers():
        assert holding_for(purger.model) is not None, purger.kind


def test_every_model_given_in_the_download_has_a_source_for_its_category():
    from privacy.records import source_for

    for holding in INVENTORY:
        if holding.download:
            assert holding.category is not None, holding.model
            source = source_for(holding.category)
            assert source is not None, f"no records source for {holding.category}"
            assert holding.model in source.models, f"{holding.model} not in {holding.category}"


def test_the_download_gives_the_patron_a_record_of_every_category_the_inventory_names(client):
    import json

    from tests.factories import (
        ComputerSessionFactory,
        ConsentFactory,
        EventSignupFactory,
        FineFactory,
        HoldFactory,
        IdentityCheckFactory,
        LoanFactory,
        PatronFactory,
        ReadingHistoryEntryFactory,
        ReferenceConsultationFactory,
        UserFactory,
    )

    patron = PatronFactory(user=UserFactory(), keeps_reading_history=True)
    for make in (
        LoanFactory,
        HoldFactory,
        FineFactory,
        ReadingHistoryEntryFactory,
        ComputerSessionFactory,
        ReferenceConsultationFactory,
        EventSignupFactory,
        IdentityCheckFactory,
        ConsentFactory,
    ):
        make(patron=patron)
    client.force_login(patron.user)
    data = json.loads(client.get("/portal/download/").content)
    categories = {holding.category for holding in INVENTORY if holding.download}
    for category in categories:
        assert data[category.value], category
    kinds = {record.get("kind") for record in data["identity"]}
    assert {"account", "identity check", "consent"} <= kinds

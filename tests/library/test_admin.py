import pytest
from django.contrib import admin

from circulation.models import ReadingHistoryEntry
from tests.project import project_app_labels

pytestmark = pytest.mark.django_db


def test_reading_history_has_no_admin_page():
    assert not admin.site.is_registered(ReadingHistoryEntry)


def test_every_registered_model_has_search_or_filters():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in project_app_labels():
            findable = model_admin.search_fields or model_admin.list_filter
            assert findable or model._meta.model_name == "loanrule", model

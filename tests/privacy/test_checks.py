from privacy.checks import patron_model_check, privacy_settings_check


def test_settings_as_shipped_pass_the_privacy_checks():
    assert privacy_settings_check(None) == []


def test_guardian_backend_before_model_backend_is_an_error(settings):
    settings.AUTHENTICATION_BACKENDS = [
        "guardian.backends.ObjectPermissionBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert [error.id for error in privacy_settings_check(None)] == ["privacy.E001"]


def test_an_anonymous_guardian_user_is_an_error(settings):
    settings.ANONYMOUS_USER_NAME = "AnonymousUser"
    assert [error.id for error in privacy_settings_check(None)] == ["privacy.E002"]


def test_the_patron_model_offers_what_the_gate_reads():
    assert patron_model_check(None) == []


def test_a_patron_model_without_a_field_the_gate_reads_is_an_error(monkeypatch):
    from privacy import checks

    monkeypatch.setattr(checks, "SUBJECT_FIELDS", (*checks.SUBJECT_FIELDS, "no_such_field"))
    assert [error.id for error in patron_model_check(None)] == ["privacy.E003"]

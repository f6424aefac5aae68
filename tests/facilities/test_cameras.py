"""CAM-1, CAM-2: cameras are registered in public spaces only, whichever way one tries."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from facilities import services
from facilities.forms import CameraForm
from facilities.models import PRIVATE_LOCATION_REFUSED, PRIVATE_LOCATION_TYPES, Camera
from library.roles import Role
from tests.factories import BranchFactory, CameraFactory

pytestmark = pytest.mark.django_db

PRIVATE = sorted(PRIVATE_LOCATION_TYPES)
CAMERAS = "/staff/facilities/cameras/"
ADMIN_ADD = "/staff/admin/facilities/camera/add/"


@pytest.fixture
def branch():
    return BranchFactory(code="CEN", name="Central Library")


def _data(branch, location_type, **extra):
    return {
        "branch": branch.pk,
        "name": "Camera by the door",
        "location_description": "Inside the front doors",
        "location_type": location_type,
        **extra,
    }


@pytest.mark.parametrize("location_type", PRIVATE)
def test_the_form_refuses_a_private_space_with_the_rule(branch, location_type):
    form = CameraForm(data=_data(branch, location_type))
    assert not form.is_valid()
    assert form.errors["location_type"] == [PRIVATE_LOCATION_REFUSED]


def test_the_form_accepts_a_public_space_and_offers_no_private_one(branch):
    form = CameraForm(data=_data(branch, "stacks"))
    assert form.is_valid(), form.errors
    offered = {value for value, _ in form.fields["location_type"].choices}
    assert "stacks" in offered and not offered & set(PRIVATE)


@pytest.mark.parametrize("location_type", PRIVATE)
def test_full_clean_refuses_a_private_space(branch, location_type):
    camera = Camera(branch=branch, name="x", location_description="y", location_type=location_type)
    with pytest.raises(ValidationError) as refused:
        camera.full_clean()
    assert refused.value.message_dict["location_type"] == [PRIVATE_LOCATION_REFUSED]


def test_full_clean_refuses_a_private_space_whatever_its_case(branch):
    camera = Camera(branch=branch, name="x", location_description="y", location_type="Restroom")
    with pytest.raises(ValidationError) as refused:
        camera.full_clean()
    assert refused.value.message_dict["location_type"] == [PRIVATE_LOCATION_REFUSED]


@pytest.mark.parametrize("location_type", PRIVATE)
def test_the_service_refuses_a_private_space_and_saves_nothing(branch, location_type):
    with pytest.raises(ValidationError) as refused:
        services.camera_register(
            branch=branch, name="x", location_description="y", location_type=location_type
        )
    assert PRIVATE_LOCATION_REFUSED in refused.value.messages
    assert not Camera.objects.exists()


def test_the_service_registers_a_public_camera(branch):
    camera = services.camera_register(
        branch=branch, name="Stacks east", location_description="Row 12", location_type="stacks"
    )
    assert Camera.objects.get() == camera


@pytest.mark.parametrize("location_type", PRIVATE)
def test_the_database_refuses_a_private_space_on_create(branch, location_type):
    with pytest.raises(IntegrityError), transaction.atomic():
        Camera.objects.create(
            branch=branch, name="x", location_description="y", location_type=location_type
        )


def test_the_database_refuses_moving_a_camera_into_a_restroom(branch):
    camera = CameraFactory(branch=branch)
    with pytest.raises(IntegrityError), transaction.atomic():
        Camera.objects.filter(pk=camera.pk).update(location_type="restroom")
    with pytest.raises(IntegrityError), transaction.atomic():
        Camera.objects.bulk_create(
            [Camera(branch=branch, name="z", location_description="z", location_type="restroom")]
        )


@pytest.mark.parametrize("role", [Role.PERSON_IN_CHARGE, Role.IT_STAFF])
def test_staff_page_refuses_a_restroom_camera_and_registers_a_public_one(
    client, staff, branch, role
):
    client.force_login(staff(role))
    refused = client.post(CAMERAS, _data(branch, "restroom"))
    assert refused.status_code == 200
    assert PRIVATE_LOCATION_REFUSED in refused.content.decode()
    assert not Camera.objects.exists()
    accepted = client.post(CAMERAS, _data(branch, "entrance"))
    assert accepted.status_code == 302
    assert Camera.objects.get().location_type == "entrance"


@pytest.mark.parametrize("who", ["security_guard", "circulation", "director", "alice", "root"])
def test_others_cannot_register_cameras_on_the_staff_page(client, login_as, branch, who):
    login_as(who)
    response = client.post(CAMERAS, _data(branch, "entrance"))
    assert response.status_code == 404
    assert not Camera.objects.exists()


@pytest.mark.parametrize("location_type", PRIVATE)
def test_admin_refuses_a_restroom_camera(client, staff, branch, location_type):
    client.force_login(staff(Role.PERSON_IN_CHARGE))
    response = client.post(
        ADMIN_ADD, _data(branch, location_type, active="on", installed_on="2026-01-05")
    )
    assert response.status_code == 200
    assert PRIVATE_LOCATION_REFUSED in response.content.decode()
    assert not Camera.objects.exists()


def test_admin_refuses_a_restroom_camera_even_to_a_superuser(client, root, branch):
    client.force_login(root)
    response = client.post(
        ADMIN_ADD, _data(branch, "restroom", active="on", installed_on="2026-01-05")
    )
    assert PRIVATE_LOCATION_REFUSED in response.content.decode()
    assert not Camera.objects.exists()


def test_admin_registers_a_public_camera(client, staff, branch):
    client.force_login(staff(Role.PERSON_IN_CHARGE))
    response = client.post(
        ADMIN_ADD, _data(branch, "parking", active="on", installed_on="2026-01-05")
    )
    assert response.status_code == 302
    assert Camera.objects.get().location_type == "parking"

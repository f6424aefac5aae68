from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from library.decorators import role_required
from library.roles import Role, roles_of
from privacy.declarations import public, serves_patron_data


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "library/home.html")


@public
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer a load balancer: the process is up and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@serves_patron_data
@role_required(*Role)
def staff_home(request: HttpRequest) -> HttpResponse:
    """List the staff pages this user's roles work in."""
    return render(request, "library/staff_home.html", {"roles": roles_of(request.user)})

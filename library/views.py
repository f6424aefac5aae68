from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from library.declarations import public
from library.staff import staff_menu, staff_page


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "library/home.html")


@public
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer a load balancer: the process is up and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@staff_page()
def staff_home(request: HttpRequest) -> HttpResponse:
    """List the staff pages this user's roles open, from the role table."""
    return render(request, "library/staff_home.html", {"items": staff_menu(request.user)})

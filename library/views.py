from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from privacy.declarations import public


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "library/home.html")


@public
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer a load balancer: the process is up and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})

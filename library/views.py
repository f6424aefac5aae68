from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from library.declarations import public
from library.staff import staff_menu, staff_page


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "library/home.html")


@staff_page()
def staff_home(request: HttpRequest) -> HttpResponse:
    """List the staff pages this user's roles open, from the role table."""
    return render(request, "library/staff_home.html", {"items": staff_menu(request.user)})

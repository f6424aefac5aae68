from django.urls import path

from patrons import views

app_name = "patrons"

urlpatterns = [
    path("", views.find, name="find"),
    path("register/", views.register, name="register"),
    path("<int:pk>/", views.patron, name="patron"),
    path("<int:pk>/contact/", views.contact, name="contact"),
    path("<int:pk>/note/", views.desk_note, name="desk_note"),
    path("<int:pk>/renew/", views.renew, name="renew"),
    path("<int:pk>/block/", views.block, name="block"),
    path("<int:pk>/unblock/", views.unblock, name="unblock"),
    path("<int:pk>/login/", views.login_issue, name="login_issue"),
]

"""The studio's URLs plus one trivial logged-in page: the baseline for the gallery's time
(the same middleware, session, user and page shell, and no content)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path


@login_required
def trivial(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")


urlpatterns = [path("_bench/trivial/", trivial), path("", include("studio.urls"))]

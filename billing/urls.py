from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("usage/", views.usage, name="usage"),
    path("usage.csv", views.usage_csv, name="usage_csv"),
    path("budgets/", views.budgets, name="budgets"),
    path("budgets/set", views.budget_set, name="budget_set"),
    path("budgets/<int:pk>/clear", views.budget_clear, name="budget_clear"),
]

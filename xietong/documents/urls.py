from django.urls import path

from xietong.documents import views

app_name = "documents"
urlpatterns = [
    path("c/<str:slug>/export/<str:what>.<str:fmt>", views.download, name="download"),
    path("import/", views.import_workbook, name="import"),
    path("import/confirm/", views.import_workbook_confirm, name="import_confirm"),
    path("import/template.xlsx", views.workbook_template, name="template"),
    path("org/import/", views.import_org, name="org_import"),
    path("org/import/confirm/", views.import_org_confirm, name="org_import_confirm"),
    path("org/import/template.xlsx", views.org_template, name="org_template"),
]

from django.urls import path, re_path

from imports import connection_views, download_views, views
from imports.api import pages as api_pages
from imports.webhooks import views as webhook_views

app_name = "imports"

urlpatterns = [
    path("", views.home, name="home"),
    path("imports/", views.history, name="history"),
    path("imports/new/", views.upload, name="upload"),
    re_path(r"^imports/template\.(?P<kind>csv|xlsx)$", download_views.template_file, name="template"),
    path("imports/<uuid:pk>/", views.detail, name="detail"),
    path("imports/<uuid:pk>/rows/", views.rows, name="rows"),
    path("imports/<uuid:pk>/timeline/", views.timeline, name="timeline"),
    path("imports/<uuid:pk>/recheck/", views.recheck, name="recheck"),
    path("imports/<uuid:pk>/changes/", views.changes, name="changes"),
    path("imports/<uuid:pk>/leave-out-imported/", views.leave_out_imported, name="leave_out_imported"),
    path("imports/<uuid:pk>/confirm/", views.confirm, name="confirm"),
    path("imports/<uuid:pk>/columns/", views.map_columns, name="map_columns"),
    path("imports/<uuid:pk>/cells/", views.edit_cell, name="edit_cell"),
    path("imports/<uuid:pk>/replace/", views.replace_all, name="replace_all"),
    path("mappings/", views.mappings, name="mappings"),
    path("mappings/<int:pk>/delete/", views.mapping_delete, name="mapping_delete"),
    path("imports/<uuid:pk>/cancel/", views.cancel, name="cancel"),
    path("imports/<uuid:pk>/approve/", views.approve, name="approve"),
    path("imports/<uuid:pk>/reject/", views.reject, name="reject"),
    path("imports/<uuid:pk>/original/", download_views.original_file, name="original"),
    path("imports/<uuid:pk>/fixed.csv", download_views.fixed_file, name="fixed"),
    path("imports/<uuid:pk>/held-rows.csv", download_views.held_file, name="held"),
    path("imports/<uuid:pk>/problems.csv", download_views.findings_file, name="findings"),
    path("imports/<uuid:pk>/parts/<int:number>/errors.csv", download_views.error_report, name="error_report"),
    path("imports/<uuid:pk>/parts/<int:number>/resend/", views.part_resend, name="part_resend"),
    path("imports/<uuid:pk>/parts/<int:number>/mark-imported/", views.part_mark_imported, name="part_mark_imported"),
    path("connections/", connection_views.connections, name="connections"),
    path("connections/new/", connection_views.connection_edit, name="connection_new"),
    path("connections/<int:pk>/", connection_views.connection_edit, name="connection_edit"),
    path("connections/<int:pk>/test/", connection_views.connection_test, name="connection_test"),
    path("connections/<int:pk>/sync-agents/", connection_views.connection_sync_agents, name="connection_sync_agents"),
    path("audit/", views.audit_log, name="audit_log"),
    path("settings/", views.person_settings, name="settings"),
    path("api-keys/", api_pages.api_keys, name="api_keys"),
    path("api-keys/<int:pk>/revoke/", api_pages.api_key_revoke, name="api_key_revoke"),
    path("webhooks/", webhook_views.endpoints, name="webhooks"),
    path("webhooks/<int:pk>/", webhook_views.endpoint_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/test/", webhook_views.endpoint_test, name="webhook_test"),
    path("webhooks/<int:pk>/toggle/", webhook_views.endpoint_toggle, name="webhook_toggle"),
    path("webhooks/<int:pk>/messages/<str:message_id>/resend/", webhook_views.message_resend, name="webhook_resend"),
]

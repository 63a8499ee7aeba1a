"""Django's admin manages teams and their supervisors; connections have their
own pages (the secret is write-only there, and they can be tested)."""

from django.contrib import admin

from imports.models import Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "connection", "imports_need_approval"]
    filter_horizontal = ["supervisors"]

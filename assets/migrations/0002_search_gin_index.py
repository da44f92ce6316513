"""Full-text index for library search, on PostgreSQL only (SQLite uses the icontains fallback).

The expression matches what `SearchVector("search_text", config="simple")` generates, so the
planner can use it."""

from django.db import migrations

INDEX = "assets_asset_search_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON assets_asset USING gin "
        "(to_tsvector('simple'::regconfig, COALESCE((search_text)::text, ''::text)))"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("assets", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]

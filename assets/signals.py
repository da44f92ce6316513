"""Every new restaurant gets the protected default folders, however it was created (sign-up,
admin, demo seed)."""

from __future__ import annotations

from typing import Any


def create_default_folders(sender: type, instance: Any, created: bool, raw: bool = False, **kwargs):
    if not created or raw:
        return
    from assets.services import folders_create_defaults

    folders_create_defaults(tenant=instance)

from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"

    def ready(self) -> None:
        import pillow_heif
        from django.db.models.signals import post_save

        from tenants.models import Tenant

        from . import signals

        # iPhones send HEIC; the opener is only ever used through images.py's allow-list.
        pillow_heif.register_heif_opener()
        post_save.connect(
            signals.create_default_folders, sender=Tenant, dispatch_uid="assets_default_folders"
        )

"""Test-only models: one tenant-owned like SocialAccount, one without a tenant."""

import uuid

from django.db import models

from lib.crypto import EncryptedFieldsMixin, EncryptedTextField
from tenants.models import TenantOwned


class SecretNote(EncryptedFieldsMixin, TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    label = models.CharField(max_length=50, blank=True, default="")
    token = EncryptedTextField(blank=True, default="")
    optional = EncryptedTextField(null=True, blank=True)

    def __str__(self) -> str:
        return self.label or str(self.id)


class PlainSecret(EncryptedFieldsMixin, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token = EncryptedTextField(blank=True, default="")

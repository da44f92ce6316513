"""Forms of the library. Every folder/asset/tag choice only offers the current tenant's rows:
another tenant's id is a validation error (RELIABILITY T5)."""

from __future__ import annotations

import re
from typing import cast

from django import forms
from django.core.exceptions import ValidationError

from assets.models import Asset, Folder, Tag
from assets.selectors import SORTS, AssetFilters, FolderNode
from lib.form_rendering import FixedChoicesSelect
from tenants.models import Tenant

OWN_FOLDER = "Choose one of your own folders."


def folder_choices(nodes: list[FolderNode], *, empty_label: str) -> list[tuple[str, str]]:
    """The folder menu's options: ``empty_label`` first, then each folder indented by depth."""
    return [("", empty_label)] + [
        (str(n.folder.pk), "\u2003" * n.depth + n.folder.name) for n in nodes
    ]


class FolderField(forms.ChoiceField):
    """A folder of the tenant, shown as an indented tree; cleans to a `Folder` or None."""

    def __init__(self, *, nodes: list[FolderNode], empty_label: str = "No folder", **kwargs):
        self._folders = {str(n.folder.pk): n.folder for n in nodes}
        choices = folder_choices(nodes, empty_label=empty_label)
        kwargs.setdefault("required", False)
        kwargs.setdefault("error_messages", {"invalid_choice": OWN_FOLDER})
        kwargs.setdefault("widget", FixedChoicesSelect)
        super().__init__(choices=choices, **kwargs)

    def clean(self, value) -> Folder | None:
        value = super().clean(value)
        return self._folders.get(value) if value else None


class LibraryForm(forms.Form):
    """The library's forms label their fields without Django's trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class LibraryFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    folder = forms.CharField(required=False)
    tag = forms.CharField(required=False)
    # The menus' options are drawn once per process (lib/form_rendering.py), the chosen one marked.
    orientation = forms.ChoiceField(
        required=False,
        label="Shape",
        widget=FixedChoicesSelect,
        choices=[
            ("", "Any shape"),
            ("portrait", "Portrait"),
            ("landscape", "Landscape"),
            ("square", "Square"),
        ],
    )
    used = forms.ChoiceField(
        required=False,
        label="Used in posts",
        widget=FixedChoicesSelect,
        choices=[("", "Used or not"), ("used", "Used"), ("unused", "Never used")],
    )
    sort = forms.ChoiceField(
        required=False,
        label="Sort by",
        choices=[(key, label) for key, (label, _) in SORTS.items()],
        widget=FixedChoicesSelect,
    )

    def __init__(
        self, *args, tenant: Tenant, nodes: list[FolderNode], tags: list[Tag] | None, **kwargs
    ):
        """``tags``: the tenant's tags when the page lists them anyway; None looks the chosen
        one up (the picker shows no tag list)."""
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self._folders = {str(n.folder.pk): n.folder for n in nodes}
        self._tags = None if tags is None else {str(t.pk): t for t in tags}

    def clean_folder(self):
        value = self.cleaned_data["folder"]
        if value in ("", "none"):
            return value
        if value not in self._folders:
            raise ValidationError(OWN_FOLDER)
        return self._folders[value]

    def clean_tag(self):
        value = self.cleaned_data["tag"]
        if not value:
            return None
        if self._tags is None:
            is_id = value.isascii() and value.isdigit() and int(value) < 2**63
            found = Tag.objects.filter(tenant=self.tenant, pk=value).first() if is_id else None
        else:
            found = self._tags.get(value)
        if found is None:
            raise ValidationError("Choose one of your own tags.")
        return found

    def narrows(self) -> bool:
        """Whether a search or filter hides some of the folder's photos (sorting does not)."""
        data = self.cleaned_data
        return any(data.get(name) for name in ("q", "tag", "orientation", "used"))

    def filters(self) -> AssetFilters:
        data = self.cleaned_data
        folder = data.get("folder")
        return AssetFilters(
            q=data.get("q") or "",
            folder=folder if isinstance(folder, Folder) else None,
            unfiled=folder == "none",
            tag=data.get("tag"),
            orientation=data.get("orientation") or "",
            used=data.get("used") or "",
            sort=data.get("sort") or "newest",
        )


class UploadForm(LibraryForm):
    def __init__(self, *args, nodes: list[FolderNode], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["folder"] = FolderField(nodes=nodes, label="Put in folder")


HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _focal_field(label: str, help_text: str) -> forms.FloatField:
    # step 0.01: the arrow keys move the point in small steps; assets.js writes two decimals
    # (a finer value would make the browser refuse to submit), and the initial value is rounded.
    return forms.FloatField(
        min_value=0,
        max_value=1,
        label=label,
        help_text=help_text,
        widget=forms.NumberInput({"step": "0.01"}),
    )


class AssetForm(LibraryForm):
    title = forms.CharField(required=False, max_length=200)
    description = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)
    remove_tags = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Remove tags"
    )
    add_tags = forms.CharField(
        required=False,
        max_length=400,
        label="Add tags",
        help_text="Separate tags with commas.",
        widget=forms.TextInput(attrs={"list": "tenant-tags", "autocomplete": "off"}),
    )
    focal_x = _focal_field("Focal point across", "0 is the left edge, 1 the right edge.")
    focal_y = _focal_field("Focal point down", "0 is the top edge, 1 the bottom edge.")
    instagram_mode = forms.ChoiceField(choices=Asset.PadMode.choices, label="Fit for Instagram")
    pad_color = forms.CharField(
        max_length=7, label="Padding colour", widget=forms.TextInput({"type": "color"})
    )

    def __init__(self, *args, asset: Asset, nodes: list[FolderNode], **kwargs):
        self.asset = asset
        self.current_tags = [t.name for t in asset.tags.all()]
        kwargs.setdefault(
            "initial",
            {
                "title": asset.title,
                "description": asset.description,
                "folder": str(asset.folder_id or ""),
                "focal_x": round(asset.focal_x, 2),
                "focal_y": round(asset.focal_y, 2),
                "instagram_mode": asset.instagram_mode,
                "pad_color": asset.pad_color,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["folder"] = FolderField(nodes=nodes, label="Folder")
        cast(forms.ChoiceField, self.fields["remove_tags"]).choices = [
            (n, n) for n in self.current_tags
        ]

    def clean_pad_color(self):
        value = self.cleaned_data["pad_color"]
        if not HEX_COLOUR.match(value):
            raise ValidationError("Pick a colour like #ffffff.")
        return value.lower()

    def tag_names(self) -> list[str]:
        removed = {n.lower() for n in self.cleaned_data.get("remove_tags") or []}
        added = [t for t in (self.cleaned_data.get("add_tags") or "").split(",") if t.strip()]
        return [n for n in self.current_tags if n.lower() not in removed] + added


class BulkForm(forms.Form):
    ACTIONS = [
        ("move", "Move to folder"),
        ("tag", "Add tag"),
        ("untag", "Remove tag"),
        ("delete", "Delete"),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    assets = forms.ModelMultipleChoiceField(
        queryset=Asset.objects.none(),
        error_messages={
            "required": "Select at least one photo.",
            "invalid_choice": "Choose your own photos.",
            "invalid_pk_value": "Choose your own photos.",
        },
    )
    tag = forms.CharField(required=False, max_length=40)
    confirm = forms.BooleanField(required=False)

    def __init__(self, *args, tenant: Tenant, nodes: list[FolderNode], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["assets"]).queryset = Asset.objects.filter(
            tenant=tenant
        )
        self.fields["folder"] = FolderField(nodes=nodes, label="Folder", empty_label="No folder")

    def clean(self):
        data = super().clean() or self.cleaned_data
        if data.get("action") in {"tag", "untag"} and not (data.get("tag") or "").strip():
            self.add_error("tag", "Type the tag.")
        return data


class FolderCreateForm(LibraryForm):
    name = forms.CharField(max_length=80, label="Name")

    def __init__(self, *args, nodes: list[FolderNode], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"] = FolderField(nodes=nodes, label="Inside", empty_label="Top level")


class FolderRenameForm(LibraryForm):
    name = forms.CharField(max_length=80, label="Name")


class FolderMoveForm(LibraryForm):
    def __init__(self, *args, nodes: list[FolderNode], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"] = FolderField(nodes=nodes, label="Move into", empty_label="Top level")


class FolderDeleteForm(forms.Form):
    contents = forms.ChoiceField(
        choices=[("move", "Move its contents up"), ("delete", "Delete its contents too")],
        widget=forms.RadioSelect,
        initial="move",
    )


class AssetIdsField(forms.Field):
    """For other apps' forms (the composer): comma-separated asset ids from the picker, cleaned
    to the tenant's ready assets in the given order; another tenant's id is an error."""

    def __init__(self, *, tenant: Tenant, **kwargs):
        self.tenant = tenant
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return []
        try:
            ids = [int(part) for part in str(value).split(",") if part.strip()]
        except ValueError:
            raise ValidationError("Choose photos from your library.") from None
        found = {a.pk: a for a in Asset.objects.filter(tenant=self.tenant, pk__in=ids)}
        if set(ids) - set(found):
            raise ValidationError("Choose photos from your library.")
        chosen = [found[i] for i in dict.fromkeys(ids)]
        preparing = [a.title or "A photo" for a in chosen if a.status == Asset.Status.PROCESSING]
        if preparing:
            raise ValidationError(
                f"{', '.join(preparing)} is still being prepared; wait a moment and try again."
            )
        failed = [a.title or "A photo" for a in chosen if a.status != Asset.Status.READY]
        if failed:
            raise ValidationError(
                f"{', '.join(failed)} could not be prepared for posting; choose another photo."
            )
        return chosen

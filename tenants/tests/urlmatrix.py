"""The machinery of the URL-enumerating isolation test (design invariant 1, RELIABILITY T1–T3).

- `enumerate_urls()` walks the resolver and returns every pattern with its full route and name.
- `collect_declarations()` imports ``<app>.tests.isolation`` of every local app (see
  tenants/tests/isolation.py for the contract) and merges their KWARG_FACTORIES and PUBLIC_URLS.
- `classify()` says whether a pattern is tenant-scoped, admin, public or unclassified.
- `check_tenant_url()` requests one tenant-scoped pattern as an anonymous visitor and as another
  tenant's owner and *returns* what went wrong (so a test can prove it catches a leaky view).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Model
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from tenants.models import Tenant
from tenants.scoping import scopes_disabled

TENANT_PREFIX = "t/<slug:tenant_slug>/"
METHODS = ("get", "post", "put", "patch", "delete")

# Auth and health pages: public by nature, owned by no app's isolation.py.
BUILTIN_PUBLIC_URLS = {
    "login": "Log-in form.",
    "logout": "Log-out (POST).",
    "signup": "Sign-up form: creates a new user and restaurant.",
    "password_reset": "Asks for a reset email.",
    "password_reset_done": "Says the email is on its way.",
    "password_reset_confirm": "The emailed link: Django's signed, single-use token.",
    "password_reset_complete": "Says the password was changed.",
    "healthz": "Liveness probe: says nothing about tenants.",
    "favicon": "Redirects to the static site icon.",
    "readyz": "Readiness probe: says nothing about tenants.",
}

_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class UrlEntry:
    route: str
    name: str | None
    namespaces: tuple[str, ...]
    callback: Callable[..., HttpResponse]
    converters: dict[str, Any] = field(hash=False, compare=False)
    is_regex: bool = False

    @property
    def id(self) -> str:
        return f"{self.route} [{self.name or 'unnamed'}]"

    @property
    def object_kwargs(self) -> list[str]:
        return [name for name in self.converters if name != "tenant_slug"]

    def build(self, **values: Any) -> str:
        """The path for these kwarg values (route patterns only)."""
        if self.is_regex:
            raise ValueError(f"{self.route} is a regex pattern: use path() under /t/<tenant_slug>/")

        def fill(match: re.Match[str]) -> str:
            name = match["name"]
            return str(self.converters[name].to_url(values[name]))

        return "/" + _PARAM.sub(fill, self.route)


def enumerate_urls(urlconf: str | None = None) -> list[UrlEntry]:
    """Every URL pattern under the root URLconf (``settings.ROOT_URLCONF`` by default)."""
    return list(_walk(get_resolver(urlconf).url_patterns, "", (), {}, False))


def _walk(
    patterns: Iterable[URLPattern | URLResolver],
    prefix: str,
    namespaces: tuple[str, ...],
    converters: dict[str, Any],
    is_regex: bool,
) -> Iterable[UrlEntry]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        regex = is_regex or not isinstance(pattern.pattern, RoutePattern)
        conv = {**converters, **getattr(pattern.pattern, "converters", {})}
        if not isinstance(pattern.pattern, RoutePattern):
            conv.update(dict.fromkeys(pattern.pattern.regex.groupindex))
        if isinstance(pattern, URLResolver):
            ns = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from _walk(pattern.url_patterns, route, ns, conv, regex)
        else:
            name = ":".join((*namespaces, pattern.name)) if pattern.name else None
            yield UrlEntry(route, name, namespaces, pattern.callback, conv, regex)


@dataclass
class Declarations:
    kwarg_factories: dict[str, Callable[[Tenant], Any]]
    public_urls: dict[str, str]
    sources: dict[str, str]  # kwarg or url name -> the module that declared it


def _local_app_configs():
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and "site-packages" not in path.parts:
            yield config


def collect_declarations() -> Declarations:
    """Merge ``KWARG_FACTORIES`` and ``PUBLIC_URLS`` from every local app's tests/isolation.py."""
    found = Declarations(
        {}, dict(BUILTIN_PUBLIC_URLS), dict.fromkeys(BUILTIN_PUBLIC_URLS, "builtin")
    )
    for config in _local_app_configs():
        module_name = f"{config.name}.tests.isolation"
        try:
            spec = importlib.util.find_spec(module_name)
        except ModuleNotFoundError:  # the app has no tests package
            spec = None
        if spec is None:
            continue
        module = importlib.import_module(module_name)
        for kwarg, factory in getattr(module, "KWARG_FACTORIES", {}).items():
            known = found.kwarg_factories.get(kwarg)
            if known is not None and known is not factory:
                raise AssertionError(
                    f"URL kwarg {kwarg!r} has factories in both {found.sources[kwarg]} and "
                    f"{module_name}: one kwarg name must mean one kind of object."
                )
            found.kwarg_factories[kwarg] = factory
            found.sources[kwarg] = module_name
        for name, reason in getattr(module, "PUBLIC_URLS", {}).items():
            if not str(reason).strip():
                raise AssertionError(f"{module_name}: PUBLIC_URLS[{name!r}] needs a reason.")
            found.public_urls[name] = reason
            found.sources[name] = module_name
    return found


def classify(entry: UrlEntry, public_urls: dict[str, str]) -> str:
    """``tenant``, ``admin``, ``public`` or ``unclassified``."""
    if entry.route.startswith(TENANT_PREFIX):
        return "tenant"
    if entry.namespaces[:1] == ("admin",):
        return "admin"
    if entry.name is not None and entry.name in public_urls:
        return "public"
    return "unclassified"


# --- Tenant A's rows, before and after ------------------------------------------------------


def tenant_models() -> list[tuple[type[Model], list[str]]]:
    """Every model with a foreign key to Tenant, with the names of those keys."""
    found = []
    for model in apps.get_models():
        names = [
            f.name
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is Tenant
        ]
        if names:
            found.append((model, names))
    return sorted(found, key=lambda item: item[0]._meta.label)


def tenant_checksum(tenant: Tenant) -> tuple[int, str]:
    """(row count, SHA-256 over every row) of the tenant and everything that points at it."""
    digest = hashlib.sha256()
    count = 0
    with scopes_disabled():
        digest.update(repr(list(Tenant._base_manager.filter(pk=tenant.pk).values_list())).encode())
        for model, fks in tenant_models():
            for fk in fks:
                rows = model._base_manager.filter(**{fk: tenant}).order_by("pk").values_list()
                for row in rows:
                    count += 1
                    digest.update(f"{model._meta.label}:{row!r}\n".encode())
    return count, digest.hexdigest()


# --- The checker -----------------------------------------------------------------------------


def _request(client: Client, method: str, path: str) -> HttpResponse | Exception:
    try:
        if method == "post":
            return client.post(path)
        return client.generic(method.upper(), path)
    except Exception as error:  # a crash is a failure to report, not a reason to stop checking
        return error


def _describe(response: HttpResponse | Exception) -> str:
    if isinstance(response, Exception):
        return f"raised {type(response).__name__}: {response}"
    if response.status_code in (301, 302, 303, 307, 308):
        return f"{response.status_code} to {response['Location']}"
    return str(response.status_code)


def check_tenant_url(
    entry: UrlEntry,
    *,
    tenant_a: Tenant,
    tenant_b: Tenant,
    owner_b: Any,
    declarations: Declarations,
    methods: Iterable[str] = METHODS,
) -> list[str]:
    """Request a /t/<tenant_slug>/… pattern with tenant A's ids; return every failure found.

    - anonymous → a login redirect (or 401/405), for every method;
    - tenant B's owner at tenant A's address → 404, for every method;
    - tenant B's owner at tenant B's own address with tenant A's object ids → 404 (405 for a
      method the view does not allow), when the pattern has object kwargs;
    - tenant A's rows are unchanged afterwards.
    """
    methods = tuple(methods)
    missing = [k for k in entry.object_kwargs if k not in declarations.kwarg_factories]
    if missing:
        return [
            f"{entry.id}: no KWARG_FACTORIES entry for URL kwarg {name!r}. Add "
            f"`{name!r}: lambda tenant: <create one for tenant, return its {name}>` to "
            f"KWARG_FACTORIES in <app>/tests/isolation.py of the app that owns this URL."
            for name in missing
        ]
    if entry.is_regex:
        return [f"{entry.id}: tenant pages must use path(), not re_path(), so they can be built."]

    with scopes_disabled():
        values = {k: declarations.kwarg_factories[k](tenant_a) for k in entry.object_kwargs}
    before = tenant_checksum(tenant_a)
    failures = []
    url_a = entry.build(tenant_slug=tenant_a.slug, **values)
    login_prefix = f"{resolve_url(settings.LOGIN_URL)}?next="

    anonymous = Client()
    for method in methods:
        response = _request(anonymous, method, url_a)
        if isinstance(response, Exception) or not (
            response.status_code in (401, 405)
            or (response.status_code == 302 and response["Location"].startswith(login_prefix))
        ):
            failures.append(
                f"{method.upper()} {url_a} as anonymous: {_describe(response)}; "
                "expected a redirect to log in (or 401/405)"
            )

    outsider = Client()
    outsider.force_login(owner_b)
    for method in methods:
        response = _request(outsider, method, url_a)
        if isinstance(response, Exception) or response.status_code != 404:
            failures.append(
                f"{method.upper()} {url_a} as another restaurant's owner: "
                f"{_describe(response)}; expected 404"
            )

    if entry.object_kwargs:
        url_b = entry.build(tenant_slug=tenant_b.slug, **values)
        for method in methods:
            response = _request(outsider, method, url_b)
            if isinstance(response, Exception) or response.status_code not in (404, 405):
                failures.append(
                    f"{method.upper()} {url_b} (another restaurant's own address with our "
                    f"{', '.join(entry.object_kwargs)}) as its owner: {_describe(response)}; "
                    "expected 404"
                )

    if tenant_checksum(tenant_a) != before:
        failures.append(f"{entry.id}: tenant A's rows changed after the requests above")
    return failures

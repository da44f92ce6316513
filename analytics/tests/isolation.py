"""For the URL-enumerating isolation test (tenants/tests/test_isolation.py): analytics URLs take
no object id (the period and account come in the query string and are checked by the form)."""

KWARG_FACTORIES: dict = {}
PUBLIC_URLS: dict = {}

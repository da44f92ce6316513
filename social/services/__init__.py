"""Writes and Graph calls of the social app, one job per module (docs/conventions.md):

- `oauth` — Connect: start the Facebook Login dialog, handle its callback;
- `connections` — the page picker's submit: verified pages and Instagram accounts stored;
- `token_health` — checking tokens, renewing long-lived user tokens;
- `owner_emails` — telling owners a connection needs them;
- `lifecycle` — disconnecting, Facebook's deauthorize / data-deletion callbacks, purges;
- `moves` — operators moving accounts between restaurants;
- `records` — the history rows and time conversions the others share.

Reads live in `social.selectors`; all Graph traffic goes through `social.graph`. Views and
tasks call one function of one module, with keyword arguments.
"""

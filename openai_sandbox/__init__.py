"""A local OpenAI emulator: the Chat Completions endpoint the AI writer uses, with OpenAI's real
request, response and error shapes, deterministic answers and a control API for faults.

Like the Graph sandbox it is a stand-alone HTTP server that imports nothing from the app; the app
reaches it only through `OPENAI_BASE_URL`. See `openai_sandbox/README.md`."""

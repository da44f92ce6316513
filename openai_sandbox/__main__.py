"""python -m openai_sandbox --port 8002"""

from __future__ import annotations

import argparse
import logging
import os

from werkzeug.serving import run_simple

from openai_sandbox.app import DEFAULT_KEY, OpenAIEmulator


def main() -> None:
    parser = argparse.ArgumentParser(description="A local OpenAI emulator (Chat Completions).")
    parser.add_argument("--host", default=os.environ.get("OPENAI_SANDBOX_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("OPENAI_SANDBOX_PORT", "8002"))
    )
    parser.add_argument("--api-key", action="append", help=f"accepted key (default {DEFAULT_KEY})")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = OpenAIEmulator(args.api_key or [DEFAULT_KEY])
    print(f"OpenAI sandbox running at http://{args.host}:{args.port}/v1", flush=True)
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()

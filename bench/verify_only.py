"""The baseline: a minimal Flask endpoint that only verifies the webhook JWT, under the same gunicorn.

Same PyJWT calls and options as processor.events._verified_claims (unverified header check, then
`jwt.decode(..., algorithms=["RS256"], leeway, options={"require": ["exp"], "verify_aud": False,
"verify_iss": False})`), same gunicorn settings as `wix-meetings serve` (sync workers, timeout 30,
keepalive 5, no access log). No store, no broker, no logging, no metrics.

Usage: python bench/verify_only.py --port 8101 --workers 2 --public-key public.pem
"""

from __future__ import annotations

import argparse
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Flask, request
from flask.typing import ResponseReturnValue


def create_app(public_pem: bytes, leeway: int = 60) -> Flask:
    app = Flask("bench.verify_only")
    key = load_pem_public_key(public_pem)

    @app.post("/webhooks/wix")
    def verify() -> ResponseReturnValue:
        token = request.get_data(cache=False, as_text=False, parse_form_data=False).decode("ascii").strip()
        try:
            if jwt.get_unverified_header(token).get("alg") != "RS256":
                return {"error": "invalid_signature"}, 401
            claims = jwt.decode(
                token,
                key,  # type: ignore[arg-type]
                algorithms=["RS256"],
                leeway=leeway,
                options={"require": ["exp"], "verify_aud": False, "verify_iss": False},
            )
        except jwt.InvalidTokenError:
            return {"error": "invalid_signature"}, 401
        return {"status": "verified", "iat": claims.get("iat")}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--public-key", required=True)
    args = parser.parse_args()
    with open(args.public_key, "rb") as fh:
        app = create_app(fh.read())

    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:  # the settings of processor.cli.roles.serve
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("worker_class", "sync")
            self.cfg.set("timeout", 30)
            self.cfg.set("keepalive", 5)
            self.cfg.set("accesslog", None)

        def load(self) -> Any:
            return app

    Server().run()


if __name__ == "__main__":
    main()

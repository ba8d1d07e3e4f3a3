"""`wix-meetings dev keys|send|fake-wix`: see an event travel the pipeline without a Wix account."""

from __future__ import annotations

import json
from pathlib import Path

import click
import httpx

from processor.cli.common import RefusedError, UsageError, json_option, settings_from_context
from processor.cli.output import echo_json
from processor.config import DEV_PRIVATE_KEY
from processor.devtools.keys import ensure_dev_keys, read_private_key
from processor.devtools.signing import DEV_INSTANCE_ID, build_token


def register(cli: click.Group) -> None:
    cli.add_command(dev)
    try:
        from processor.cli.fake_wix_cmd import register_dev
    except ImportError:  # pragma: no cover - the fake ships with the package
        return
    register_dev(dev)


@click.group()
def dev() -> None:
    """Developer tools: a dev key, signed test events, the fake Wix API."""


@dev.command("keys")
@click.option("--force", is_flag=True, help="Replace an existing dev key pair.")
@json_option
def keys(force: bool, as_json: bool) -> None:
    """Make a dev RSA key pair under var/dev-keys (used when WIX_PUBLIC_KEY is unset)."""
    private, public, made = ensure_dev_keys(overwrite=force)
    if as_json:
        echo_json({"private_key": str(private), "public_key": str(public), "created": made})
        return
    verb = "Made" if made else "Kept the existing"
    click.echo(f"{verb} dev key pair: {public} (public), {private} (private, never share).")
    click.echo("The processor verifies with the public key when WIX_PUBLIC_KEY is unset.")


@dev.command("send")
@click.argument("event_type")
@click.option("--entity-id", help="entityId (and booking id) of the event; random when omitted.")
@click.option(
    "--data",
    "data_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON file: the event body (e.g. {"booking": …}) or a whole layer-3 event.',
)
@click.option("--instance-id", default=DEV_INSTANCE_ID, show_default=True, help="The site's instanceId.")
@click.option("--url", help="Webhook URL (default: http://127.0.0.1:$PORT/webhooks/wix).")
@json_option
def send(
    event_type: str,
    entity_id: str | None,
    data_file: Path | None,
    instance_id: str,
    url: str | None,
    as_json: bool,
) -> None:
    """Sign a Wix-format event with the dev key and POST it to the receiver."""
    settings = settings_from_context()
    try:
        private_pem = read_private_key(DEV_PRIVATE_KEY)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    data = None
    if data_file is not None:
        try:
            data = json.loads(data_file.read_text())
        except ValueError as exc:
            raise UsageError(f"--data: {data_file} is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise UsageError(f"--data: {data_file} must hold a JSON object")
    token = build_token(event_type, private_pem, entity_id=entity_id, data=data, instance_id=instance_id)
    target = url or f"http://127.0.0.1:{settings.port}/webhooks/wix"
    try:
        response = httpx.post(target, content=token, headers={"Content-Type": "text/plain"}, timeout=10)
    except httpx.HTTPError as exc:
        raise RefusedError(
            f"could not reach {target}: {type(exc).__name__} (is `wix-meetings run` up?)"
        ) from exc
    try:
        answer = response.json()
    except ValueError:
        answer = {"body": response.text[:200]}
    if as_json:
        echo_json({"status_code": response.status_code, "answer": answer})
    else:
        click.echo(f"{response.status_code} {json.dumps(answer)}")
        if response.status_code == 200:
            click.echo(f"See it with: wix-meetings events show {answer.get('event_id')}")
    if response.status_code != 200:
        raise SystemExit(1)

"""Dev RSA key pair under var/dev-keys, standing in for a Wix app's webhook key."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from processor.config import DEV_PRIVATE_KEY, DEV_PUBLIC_KEY


def generate_key_pair() -> tuple[str, str]:
    """A fresh 2048-bit RSA pair as (private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def ensure_dev_keys(
    private_path: Path = DEV_PRIVATE_KEY, public_path: Path = DEV_PUBLIC_KEY, *, overwrite: bool = False
) -> tuple[Path, Path, bool]:
    """Write a dev key pair unless one exists; return the paths and whether it was made now."""
    if private_path.is_file() and public_path.is_file() and not overwrite:
        return private_path, public_path, False
    private_pem, public_pem = generate_key_pair()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    private_path.write_text(private_pem)
    os.chmod(private_path, 0o600)
    public_path.write_text(public_pem)
    return private_path, public_path, True


def read_private_key(path: Path = DEV_PRIVATE_KEY) -> str:
    """The dev private key PEM; a clear error when `dev keys` has not been run."""
    if not path.is_file():
        raise FileNotFoundError(f"no dev private key at {path}: run `wix-meetings dev keys` first")
    return path.read_text()

"""The platform's Ed25519 evidence key: seals closed sessions, verifies seals.

The private key lives in a PEM file (FORUM_EVIDENCE_KEY, default
``<instance>/evidence_key.pem``), made on first use with owner-only permissions.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from flask import current_app


def key_path() -> Path:
    configured = current_app.config.get("FORUM_EVIDENCE_KEY")
    return Path(configured) if configured else Path(current_app.instance_path) / "evidence_key.pem"


@lru_cache(maxsize=8)
def _load(path: str) -> Ed25519PrivateKey:
    file = Path(path)
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
    loaded = serialization.load_pem_private_key(file.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{file} does not hold an Ed25519 private key")
    return loaded


def private_key() -> Ed25519PrivateKey:
    return _load(str(key_path()))


def public_key_pem() -> str:
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def fingerprint_of(public_pem: str) -> str:
    """SHA-256 of the key's DER form, as colon-separated hex pairs (first 16 bytes)."""
    key = serialization.load_pem_public_key(public_pem.encode())
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.sha256(der).hexdigest()[:32].upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def fingerprint() -> str:
    return fingerprint_of(public_key_pem())


def sign(head_hash: str) -> str:
    """Base64 Ed25519 signature over the ASCII bytes of a head hash."""
    return base64.b64encode(private_key().sign(head_hash.encode("ascii"))).decode()


def signature_valid(public_pem: str, head_hash: str, signature_b64: str) -> bool:
    try:
        key = serialization.load_pem_public_key(public_pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            return False
        key.verify(base64.b64decode(signature_b64, validate=True), head_hash.encode("ascii"))
    except (InvalidSignature, ValueError, TypeError, UnicodeError):
        return False
    return True

"""Provenance: SHA-256 of the provider's original and of each export, and a C2PA manifest
embedded in each export that names the original as its parent ingredient.

Signing uses the operator's certificate chain and private key in production, named by
the settings ``FINISHING_C2PA_CERT_CHAIN`` and ``FINISHING_C2PA_PRIVATE_KEY`` (paths to
PEM files; the chain is the signing certificate first, then its issuers) and
``FINISHING_C2PA_ALG`` (``es256`` unless set). Without them a development chain is made on
first use and kept in memory only: a throwaway CA and a signing certificate it issued (C2PA
refuses a self-signed signing certificate itself), so readers report it as untrusted.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import c2pa

CHUNK = 1024 * 1024
CLAIM_GENERATOR = {"name": "Seedance Studio", "version": "1"}
AI_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
HASHES_LABEL = "com.seedance.studio.hashes"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _configured() -> tuple[bytes, bytes, str] | None:
    from django.conf import settings

    if not settings.configured:  # the benchmark and scripts run without Django
        return None
    chain = getattr(settings, "FINISHING_C2PA_CERT_CHAIN", "")
    key = getattr(settings, "FINISHING_C2PA_PRIVATE_KEY", "")
    alg = getattr(settings, "FINISHING_C2PA_ALG", "es256")
    if not (chain and key):
        return None
    return Path(chain).read_bytes(), Path(key).read_bytes(), alg


@functools.cache
def development_chain() -> tuple[bytes, bytes]:
    """(PEM chain, PEM key): a CA and an ES256 signing certificate it issued."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Seedance Studio development"),
            ]
        )

    def usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Seedance Studio development CA"))
        .issuer_name(name("Seedance Studio development CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(sign=False, ca=True), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    signer = (
        x509.CertificateBuilder()
        .subject_name(name("Seedance Studio development signer"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(sign=True, ca=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    chain = signer.public_bytes(pem) + ca.public_bytes(pem)
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return chain, key_pem


def _signer() -> c2pa.Signer:
    configured = _configured()
    chain, key, alg = configured or (*development_chain(), "es256")
    return c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg.encode(), chain, key, None))


def embed_manifest(*, export: Path, original: Path, title: str, ai_generated: bool = True) -> str:
    """Sign ``export`` in place with a manifest naming ``original`` as its parent; returns
    the export's SHA-256 after signing (the bytes that are stored and shown)."""
    original_sha = sha256_file(original)
    actions: list[dict[str, Any]] = [
        {"action": "c2pa.opened", "parameters": {"ingredientIds": ["original"]}},
        {"action": "c2pa.edited", "softwareAgent": CLAIM_GENERATOR},
    ]
    if ai_generated:
        actions[0]["digitalSourceType"] = AI_SOURCE
    manifest = {
        "claim_generator_info": [CLAIM_GENERATOR],
        "title": title,
        "format": "video/mp4",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": actions}},
            {"label": HASHES_LABEL, "data": {"original_sha256": original_sha}},
        ],
    }
    signed = export.with_name(f".{export.name}.signing")
    try:
        with c2pa.Builder(manifest) as builder, _signer() as signer:
            with original.open("rb") as source:
                builder.add_ingredient(
                    {"title": original.name, "relationship": "parentOf", "label": "original"},
                    "video/mp4",
                    source,
                )
            with export.open("rb") as source, signed.open("w+b") as dest:
                builder.sign(signer, "video/mp4", source, dest)
        os.replace(signed, export)
    finally:
        signed.unlink(missing_ok=True)
    return sha256_file(export)


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The active manifest with ``validation_state`` added, or None when there is none."""
    reader = c2pa.Reader.try_create(str(path))
    if reader is None:
        return None
    with reader:
        manifest = reader.get_active_manifest() or {}
        manifest["validation_state"] = reader.get_validation_state()
        manifest["validation_results"] = reader.get_validation_results()
        return json.loads(json.dumps(manifest))

"""Provenance: SHA-256 of files and a C2PA manifest naming the provider's original, signed
with the development chain or the operator's certificate from settings, read back."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from studiolib.finishing import provenance
from tests import media_factory as mf


@pytest.fixture
def files(tmp_path) -> tuple[Path, Path]:
    original = tmp_path / "provider.mp4"
    original.write_bytes(mf.mp4(seconds=2.0, size="320x180", audio=True))
    export = tmp_path / "export.mp4"
    export.write_bytes(mf.mp4(seconds=2.0, size="320x180"))
    return original, export


def test_sha256_of_a_file(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"seedance" * 300_000)
    assert provenance.sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_names_the_original_and_reads_back(files, clean_tmp):
    original, export = files
    assert provenance.read_manifest(export) is None
    before = provenance.sha256_file(export)
    after = provenance.embed_manifest(export=export, original=original, title="export.mp4")
    assert after != before and after == provenance.sha256_file(export)
    manifest = provenance.read_manifest(export)
    assert manifest["validation_state"] in {"Valid", "Trusted"}
    [ingredient] = manifest["ingredients"]
    assert (ingredient["title"], ingredient["relationship"]) == ("provider.mp4", "parentOf")
    hashes = next(a for a in manifest["assertions"] if a["label"] == provenance.HASHES_LABEL)
    assert hashes["data"]["original_sha256"] == provenance.sha256_file(original)
    actions = next(a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))
    assert actions["data"]["actions"][0]["digitalSourceType"] == provenance.AI_SOURCE
    assert manifest["signature_info"]["common_name"] == "Seedance Studio development signer"
    assert sorted(p.name for p in export.parent.iterdir()) == ["export.mp4", "provider.mp4", "tmp"]
    assert list(clean_tmp.iterdir()) == []


def test_tampering_breaks_the_manifest(files):
    original, export = files
    provenance.embed_manifest(export=export, original=original, title="export.mp4")
    data = bytearray(export.read_bytes())
    data[-100] ^= 0xFF  # a byte of the media data
    export.write_bytes(bytes(data))
    assert provenance.read_manifest(export)["validation_state"] == "Invalid"


def test_the_operators_certificate_from_settings_is_used(files, tmp_path, settings):
    chain, key = provenance.development_chain.__wrapped__()  # a chain of its own
    (tmp_path / "chain.pem").write_bytes(chain)
    (tmp_path / "key.pem").write_bytes(key)
    settings.FINISHING_C2PA_CERT_CHAIN = str(tmp_path / "chain.pem")
    settings.FINISHING_C2PA_PRIVATE_KEY = str(tmp_path / "key.pem")
    original, export = files
    provenance.embed_manifest(export=export, original=original, title="export.mp4")
    signed_serial = provenance.read_manifest(export)["signature_info"]["cert_serial_number"]

    from cryptography import x509

    operator = x509.load_pem_x509_certificates(chain)[0]
    dev = x509.load_pem_x509_certificates(provenance.development_chain()[0])[0]
    assert signed_serial == str(operator.serial_number) != str(dev.serial_number)

"""The instance's authority and server certificate: names, addresses, expiry, private keys, name constraints."""
from __future__ import annotations

import ipaddress
import plistlib
import stat
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.x509 import DNSName, IPAddress
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from gatekeeper import certificates

AT = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
LAN = ipaddress.ip_address("192.168.1.20")


def names(public_url: str = "https://gatekeeper.local:8443", addresses=(LAN,)):
    return certificates.box_names(public_url, hostname="Nursery-Box.lan", addresses=addresses)


def leaf_and_authority(instance):
    chain = (instance / "tls" / "server.crt").read_bytes()
    leaf, authority = x509.load_pem_x509_certificates(chain)
    return leaf, authority


def verifier(authority, subject, at=AT + timedelta(days=1)):
    builder = PolicyBuilder().store(Store([authority])).time(at)
    return builder.build_server_verifier(subject)


def test_box_names_cover_the_host_its_local_name_localhost_the_public_host_and_addresses():
    found = names()
    assert found.dns == ("nursery-box.lan", "nursery-box.local", "localhost", "gatekeeper.local")
    assert [str(a) for a in found.addresses] == ["127.0.0.1", "::1", "192.168.1.20"]


def test_a_public_url_by_address_is_an_address_not_a_name():
    found = certificates.box_names("https://10.0.0.5:8443", hostname="box", addresses=())
    assert ipaddress.ip_address("10.0.0.5") in found.addresses
    assert "10.0.0.5" not in found.dns


def test_local_addresses_are_private_and_never_loopback():
    for address in certificates.local_addresses():
        assert not address.is_loopback and not address.is_link_local
        assert any(address in net for net in certificates.PRIVATE_NETWORKS if net.version == address.version)


def test_the_server_certificate_verifies_for_every_name_and_address_and_nothing_else(tmp_path):
    assert certificates.create_authority(tmp_path, "Little Acorns", names(), at=AT)
    info = certificates.issue_server_certificate(tmp_path, names(), at=AT)
    leaf, authority = leaf_and_authority(tmp_path)
    for name in ("nursery-box.local", "gatekeeper.local", "localhost", "nursery-box.lan"):
        verifier(authority, DNSName(name)).verify(leaf, [])
        assert info.covers(name)
    for address in ("192.168.1.20", "127.0.0.1", "::1"):
        verifier(authority, IPAddress(ipaddress.ip_address(address))).verify(leaf, [])
        assert info.covers(address)
    with pytest.raises(VerificationError):
        verifier(authority, DNSName("example.org")).verify(leaf, [])
    assert not info.covers("example.org") and not info.covers("192.168.1.21")


def test_the_server_certificate_lasts_397_days_and_the_authority_ten_years(tmp_path):
    certificates.create_authority(tmp_path, "Little Acorns", names(), at=AT)
    info = certificates.issue_server_certificate(tmp_path, names(), at=AT)
    assert info.not_after == AT + timedelta(days=397)
    assert certificates.authority_info(tmp_path).not_after == AT + timedelta(days=3650)
    assert not certificates.needs_renewal(info, at=AT)
    assert certificates.needs_renewal(info, at=AT + timedelta(days=370))
    leaf, authority = leaf_and_authority(tmp_path)
    with pytest.raises(VerificationError):
        verifier(authority, DNSName("localhost"), at=AT + timedelta(days=398)).verify(leaf, [])


def test_keys_are_private_and_the_authority_is_made_once(tmp_path):
    certificates.create_authority(tmp_path, "Little Acorns", names(), at=AT)
    certificates.issue_server_certificate(tmp_path, names(), at=AT)
    folder = tmp_path / "tls"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for key in ("authority.key", "server.key"):
        assert stat.S_IMODE((folder / key).stat().st_mode) == 0o600
    first = certificates.authority_info(tmp_path).sha256
    assert not certificates.create_authority(tmp_path, "Little Acorns", names(), at=AT)
    assert certificates.authority_info(tmp_path).sha256 == first
    assert certificates.create_authority(tmp_path, "Little Acorns", names(), at=AT, replace=True)
    assert certificates.authority_info(tmp_path).sha256 != first
    assert not list(folder.glob(".*")), "no temporary file is left behind"


def test_the_authority_names_the_setting_and_may_only_vouch_for_local_names_and_private_addresses(tmp_path):
    certificates.create_authority(tmp_path, "Little Acorns", names(), at=AT)
    authority = x509.load_pem_x509_certificate(certificates.authority_pem(tmp_path))
    assert "O=Little Acorns" in authority.subject.rfc4514_string()
    constraints = authority.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    permitted = {g.value for g in constraints.value.permitted_subtrees if isinstance(g, DNSName)}
    assert permitted == {"local", "localhost", "nursery-box.lan"}
    assert ipaddress.ip_network("192.168.0.0/16") in {g.value for g in constraints.value.permitted_subtrees
                                                      if isinstance(g, IPAddress)}


def test_a_name_outside_the_authority_is_refused_with_the_way_out(tmp_path):
    certificates.create_authority(tmp_path, "Little Acorns", names(), at=AT)
    with pytest.raises(certificates.CertificateError, match="--new-authority"):
        certificates.issue_server_certificate(tmp_path, names("https://photos.example.org"), at=AT)


def test_issuing_without_an_authority_says_to_run_init(tmp_path):
    with pytest.raises(certificates.CertificateError, match="gatekeeper init"):
        certificates.issue_server_certificate(tmp_path, names(), at=AT)
    with pytest.raises(certificates.CertificateError, match="gatekeeper init"):
        certificates.read_certificate(tmp_path / "tls" / "server.crt")


def test_the_apple_profile_carries_the_authority_and_keeps_its_identity_when_made_again(tmp_path):
    certificates.create_authority(tmp_path, "Little Acorns", names(), at=AT)
    first = plistlib.loads(certificates.apple_profile(tmp_path, "Little Acorns"))
    again = plistlib.loads(certificates.apple_profile(tmp_path, "Little Acorns"))
    assert first["PayloadUUID"] == again["PayloadUUID"]
    assert first["PayloadContent"][0]["PayloadContent"] == certificates.authority_der(tmp_path)
    assert first["PayloadDisplayName"] == "Little Acorns: Photo Gatekeeper"

"""The instance's own certificate authority and the server certificate it signs for the box's names.

Tablets on the setting's network trust the authority once; after that the box's HTTPS shows no warning.
The authority is limited by name constraints to local names (.local, localhost, the box's host name,
the public URL's host) and private addresses, so a leaked key cannot be used against a tablet's other
sites. Its key never leaves the instance folder (0600).
"""
from __future__ import annotations

import fcntl
import ipaddress
import os
import plistlib
import secrets
import socket
import struct
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TLS_FOLDER = "tls"
AUTHORITY_CERT = "authority.crt"
AUTHORITY_KEY = "authority.key"
SERVER_CERT = "server.crt"
SERVER_KEY = "server.key"
AUTHORITY_DAYS = 3650
# Browsers cap public server certificates at 398 days; staying under it costs nothing here.
SERVER_DAYS = 397
RENEW_WITHIN = timedelta(days=30)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Where the authority may vouch for an address: loopback, private and carrier-grade NAT ranges.
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "::1/128", "fc00::/7"))
LOCAL_DOMAINS = ("local", "localhost")


class CertificateError(Exception):
    """The authority or certificate cannot be made or used as asked; the message says what to do."""


@dataclass(frozen=True)
class BoxNames:
    """The names and addresses a server certificate must cover."""

    dns: tuple[str, ...]
    addresses: tuple[IPAddress, ...]


@dataclass(frozen=True)
class CertificateInfo:
    """What a certificate on disk says about itself."""

    path: Path
    subject: str
    dns: tuple[str, ...]
    addresses: tuple[IPAddress, ...]
    not_after: datetime
    sha256: str

    def covers(self, host: str) -> bool:
        """True when a browser reaching `host` (a name or an address) would accept this certificate."""
        try:
            return ipaddress.ip_address(host.strip("[]")) in self.addresses
        except ValueError:
            pass
        wanted = host.rstrip(".").lower()
        for name in self.dns:
            if name == wanted or (name.startswith("*.") and wanted.count(".") == name.count(".")
                                  and wanted.endswith(name[1:])):
                return True
        return False


def tls_folder(instance: Path) -> Path:
    return Path(instance) / TLS_FOLDER


def url_host(url: str) -> str | None:
    """The host of a URL (no port, no brackets), or None when there is none."""
    return urlsplit(url or "").hostname


def _is_private(address: IPAddress) -> bool:
    return any(address in network for network in PRIVATE_NETWORKS if network.version == address.version)


def _ipv4_addresses() -> list[IPAddress]:
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            try:
                # SIOCGIFADDR: the interface's IPv4 address, without needing a helper program.
                raw = fcntl.ioctl(sock.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))
            except OSError:
                continue
            found.append(ipaddress.IPv4Address(raw[20:24]))
    return found


def _ipv6_addresses() -> list[IPAddress]:
    try:
        lines = Path("/proc/net/if_inet6").read_text().splitlines()
    except OSError:
        return []
    return [ipaddress.IPv6Address(int(line.split()[0], 16)) for line in lines if line.split()]


def local_addresses() -> tuple[IPAddress, ...]:
    """This machine's private, non-loopback addresses (the ones tablets on the network can reach)."""
    chosen = []
    for address in _ipv4_addresses() + _ipv6_addresses():
        if not address.is_loopback and not address.is_link_local and _is_private(address) and address not in chosen:
            chosen.append(address)
    return tuple(chosen)


def box_names(public_url: str = "", *, hostname: str | None = None,
              addresses: tuple[IPAddress, ...] | None = None) -> BoxNames:
    """The host name, host.local, localhost, PUBLIC_URL's host and the private addresses of this box."""
    host = (hostname if hostname is not None else socket.gethostname()).strip().rstrip(".").lower()
    dns: list[str] = []
    ips: list[IPAddress] = [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    for address in addresses if addresses is not None else local_addresses():
        if address not in ips:
            ips.append(address)
    short = host.split(".")[0]
    for name in (host, f"{short}.local" if short else "", "localhost"):
        if name and name not in dns:
            dns.append(name)
    public = url_host(public_url)
    if public:
        try:
            address = ipaddress.ip_address(public)
            if address not in ips:
                ips.append(address)
        except ValueError:
            if public.lower() not in dns:
                dns.append(public.lower())
    return BoxNames(dns=tuple(dns), addresses=tuple(ips))


def _permitted(names: BoxNames) -> list[x509.GeneralName]:
    domains = list(LOCAL_DOMAINS)
    for name in names.dns:
        if not any(name == d or name.endswith(f".{d}") for d in domains):
            domains.append(name)
    permitted: list[x509.GeneralName] = [x509.DNSName(d) for d in domains]
    permitted += [x509.IPAddress(network) for network in PRIVATE_NETWORKS]
    for address in names.addresses:
        if not _is_private(address):
            permitted.append(x509.IPAddress(ipaddress.ip_network(address)))
    return permitted


def _write_private(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Written aside and renamed into place, private from the first byte."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _now(at: datetime | None) -> datetime:
    return (at or datetime.now(timezone.utc)).astimezone(timezone.utc)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def create_authority(instance: Path, setting_name: str, names: BoxNames, *, at: datetime | None = None,
                     replace: bool = False) -> bool:
    """Make the instance's authority unless it exists (or replace=True); True when one was made."""
    folder = tls_folder(instance)
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    if (folder / AUTHORITY_CERT).exists() and not replace:
        return False
    start = _now(at)
    key = ec.generate_private_key(ec.SECP256R1())
    label = (setting_name.strip() or "Photo Gatekeeper")[:40]
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, label),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{label} Photo Gatekeeper authority {secrets.token_hex(3)}"),
    ])
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(hours=1)).not_valid_after(start + timedelta(days=AUTHORITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.NameConstraints(permitted_subtrees=_permitted(names), excluded_subtrees=None),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    # Key first: a certificate on disk always has its key beside it.
    _write_private(folder / AUTHORITY_KEY, _key_pem(key))
    _write_private(folder / AUTHORITY_CERT, certificate.public_bytes(serialization.Encoding.PEM), 0o644)
    return True


def _load_authority(instance: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    folder = tls_folder(instance)
    try:
        certificate = x509.load_pem_x509_certificate((folder / AUTHORITY_CERT).read_bytes())
        key = serialization.load_pem_private_key((folder / AUTHORITY_KEY).read_bytes(), password=None)
    except FileNotFoundError:
        raise CertificateError(f"{folder} has no certificate authority: run 'gatekeeper init'") from None
    except ValueError:
        raise CertificateError(f"the certificate authority in {folder} is damaged") from None
    return certificate, key


def _outside_constraints(authority: x509.Certificate, names: BoxNames) -> list[str]:
    try:
        constraints = authority.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return []
    domains = [g.value for g in constraints.permitted_subtrees or () if isinstance(g, x509.DNSName)]
    networks = [g.value for g in constraints.permitted_subtrees or () if isinstance(g, x509.IPAddress)]
    outside = [n for n in names.dns if not any(n == d or n.endswith(f".{d}") for d in domains)]
    outside += [str(a) for a in names.addresses
                if not any(a.version == net.version and a in net for net in networks)]
    return outside


def issue_server_certificate(instance: Path, names: BoxNames, *, at: datetime | None = None) -> CertificateInfo:
    """Sign a fresh server certificate (and key) for these names; raises CertificateError."""
    authority, authority_key = _load_authority(instance)
    outside = _outside_constraints(authority, names)
    if outside:
        raise CertificateError(
            f"this instance's authority may not vouch for {', '.join(outside)}: run "
            "'gatekeeper certificate renew --new-authority' and trust the new authority on every tablet again")
    start = _now(at)
    key = ec.generate_private_key(ec.SECP256R1())
    alternative = [x509.DNSName(n) for n in names.dns] + [x509.IPAddress(a) for a in names.addresses]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names.dns[0])]))
        .issuer_name(authority.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(hours=1)).not_valid_after(start + timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key.public_key()),
                       critical=False)
        .sign(authority_key, hashes.SHA256())
    )
    folder = tls_folder(instance)
    _write_private(folder / SERVER_KEY, _key_pem(key))
    # The chain a client needs: ours, then the authority (which it trusts once installed).
    chain = certificate.public_bytes(serialization.Encoding.PEM) + authority.public_bytes(serialization.Encoding.PEM)
    _write_private(folder / SERVER_CERT, chain, 0o644)
    return read_certificate(folder / SERVER_CERT)


def read_certificate(path: Path) -> CertificateInfo:
    """The first certificate in a PEM file; raises CertificateError when missing or unreadable."""
    try:
        certificate = x509.load_pem_x509_certificate(Path(path).read_bytes())
    except FileNotFoundError:
        raise CertificateError(f"{path} does not exist: run 'gatekeeper init'") from None
    except ValueError:
        raise CertificateError(f"{path} is not a PEM certificate") from None
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        addresses = tuple(san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns, addresses = (), ()
    return CertificateInfo(path=Path(path), subject=certificate.subject.rfc4514_string(), dns=dns,
                           addresses=addresses, not_after=certificate.not_valid_after_utc,
                           sha256=certificate.fingerprint(hashes.SHA256()).hex(":").upper())


def server_files(instance: Path) -> tuple[Path, Path]:
    """(certificate chain, key) of the server certificate."""
    folder = tls_folder(instance)
    return folder / SERVER_CERT, folder / SERVER_KEY


def authority_pem(instance: Path) -> bytes:
    """The authority's certificate (public), PEM; raises CertificateError."""
    path = tls_folder(instance) / AUTHORITY_CERT
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CertificateError(f"{tls_folder(instance)} has no certificate authority: run 'gatekeeper init'") from None


def authority_der(instance: Path) -> bytes:
    """The authority's certificate as DER, the form Android's certificate installer takes."""
    return x509.load_pem_x509_certificate(authority_pem(instance)).public_bytes(serialization.Encoding.DER)


def authority_info(instance: Path) -> CertificateInfo:
    return read_certificate(tls_folder(instance) / AUTHORITY_CERT)


def apple_profile(instance: Path, setting_name: str) -> bytes:
    """An iOS/iPadOS configuration profile that installs the authority as a trusted root."""
    der = authority_der(instance)
    fingerprint = x509.load_der_x509_certificate(der).fingerprint(hashes.SHA256()).hex()
    # Stable per authority: installing it again replaces the profile instead of adding a second.
    base = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:photo-gatekeeper:authority:{fingerprint}")
    label = setting_name.strip() or "Photo Gatekeeper"
    identifier = f"org.photo-gatekeeper.authority.{fingerprint[:16]}"
    profile = {
        "PayloadContent": [{
            "PayloadCertificateFileName": "photo-gatekeeper-authority.cer",
            "PayloadContent": der,
            "PayloadDescription": "Lets this device reach the setting's Photo Gatekeeper box over HTTPS.",
            "PayloadDisplayName": f"{label} Photo Gatekeeper authority",
            "PayloadIdentifier": f"{identifier}.root",
            "PayloadType": "com.apple.security.root",
            "PayloadUUID": str(uuid.uuid5(base, "root")).upper(),
            "PayloadVersion": 1,
        }],
        "PayloadDescription": f"Trust the Photo Gatekeeper box of {label} on this network.",
        "PayloadDisplayName": f"{label}: Photo Gatekeeper",
        "PayloadIdentifier": identifier,
        "PayloadRemovalDisallowed": False,
        "PayloadType": "Configuration",
        "PayloadUUID": str(base).upper(),
        "PayloadVersion": 1,
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML)


def needs_renewal(info: CertificateInfo, *, at: datetime | None = None) -> bool:
    return info.not_after - _now(at) < RENEW_WITHIN

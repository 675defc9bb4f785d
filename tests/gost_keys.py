"""The tests' own GOST R 34.10-2012 keys, certificates and detached CMS signatures.

Two independent makers, so that a test never checks a signature with the code that made it alone:

- `PythonSigner`: a key pair and a self-signed certificate made here with asn1crypto (structures)
  and gostcrypto (GOST arithmetic), with any validity period and any owner — for the refusals
  (an expired certificate, another person's certificate);
- `OpenSslSigner`: OpenSSL with its GOST engine (Debian's libengine-gost-openssl), as a school's
  own signing software would make them: `openssl genpkey -engine gost`, `openssl req -x509`,
  `openssl cms -sign -binary -outform DER`.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import algos, cms, core, x509
from gostcrypto import gosthash, gostsignature

from vsoko_flow.documents.gost_cms import _GostPublicKeyInfo

GOST_256 = "1.2.643.7.1.1.1.1"
GOST_256_WITH_STREEBOG = "1.2.643.7.1.1.3.2"
STREEBOG_256 = "1.2.643.7.1.1.2.2"
CRYPTOPRO_A = "1.2.643.2.2.35.1"  # the curve of most qualified certificates (= TC 26 256 set B)
CURVE = gostsignature.CURVES_R_1323565_1_024_2019["id-tc26-gost-3410-2012-256-paramSetB"]


def _streebog(data: bytes) -> bytes:
    return bytes(gosthash.new("streebog256", data=data).digest())


class _Tbs(core.Sequence):
    _fields = [
        ("version", x509.Version, {"explicit": 0, "default": "v1"}),
        ("serial_number", core.Integer),
        ("signature", algos.SignedDigestAlgorithm),
        ("issuer", x509.Name),
        ("validity", x509.Validity),
        ("subject", x509.Name),
        ("subject_public_key_info", _GostPublicKeyInfo),
    ]


class _Certificate(core.Sequence):
    _fields = [("tbs_certificate", _Tbs), ("signature_algorithm", algos.SignedDigestAlgorithm),
               ("signature_value", core.OctetBitString)]


@dataclass
class PythonSigner:
    """A person's GOST key and self-signed certificate, made in Python."""

    owner: str
    not_before: dt.datetime
    not_after: dt.datetime
    serial: int = 0x01C0FFEE

    def __post_init__(self) -> None:
        self._private = bytearray(os.urandom(32))
        self._gost = gostsignature.new(gostsignature.MODE_256, CURVE)
        point = bytes(self._gost.public_key_generate(bytearray(self._private)))
        self.certificate_der = self._certificate(point[:32][::-1] + point[32:][::-1])

    def _sign_digest(self, digest: bytes) -> bytes:
        r_then_s = bytes(self._gost.sign(bytearray(self._private), bytearray(digest[::-1])))
        return r_then_s[32:] + r_then_s[:32]  # CMS and X.509 carry s, then r

    def _certificate(self, public_key_le: bytes) -> bytes:
        surname, _, given = self.owner.partition(" ")
        name = x509.Name.build({"common_name": self.owner, "surname": surname, "given_name": given})
        tbs = _Tbs({
            "version": "v3", "serial_number": self.serial,
            "signature": {"algorithm": GOST_256_WITH_STREEBOG},
            "issuer": name,
            "validity": {"not_before": x509.Time(name="utc_time", value=self.not_before),
                         "not_after": x509.Time(name="utc_time", value=self.not_after)},
            "subject": name,
            "subject_public_key_info": {
                "algorithm": {"algorithm": GOST_256,
                              "parameters": {"public_key_param_set": CRYPTOPRO_A, "digest_param_set": STREEBOG_256}},
                "public_key": core.OctetString(public_key_le).dump()},
        })
        signature = self._sign_digest(_streebog(tbs.dump()))
        return _Certificate({"tbs_certificate": tbs, "signature_algorithm": {"algorithm": GOST_256_WITH_STREEBOG},
                             "signature_value": signature}).dump()

    def sign(self, content: bytes, signing_time: dt.datetime | None = None) -> bytes:
        """A detached CMS (CAdES-BES) signature of `content`, DER."""
        certificate = x509.Certificate.load(self.certificate_der)
        signing_time = signing_time or dt.datetime.now(dt.UTC)
        attributes = cms.CMSAttributes([
            {"type": "content_type", "values": ["data"]},
            {"type": "signing_time", "values": [cms.Time(name="utc_time", value=signing_time)]},
            {"type": "message_digest", "values": [_streebog(content)]},
        ])
        signature = self._sign_digest(_streebog(attributes.dump()))
        signer_info = cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier(name="issuer_and_serial_number", value={
                "issuer": certificate.issuer, "serial_number": certificate.serial_number}),
            "digest_algorithm": {"algorithm": STREEBOG_256},
            "signed_attrs": attributes,
            "signature_algorithm": {"algorithm": GOST_256},
            "signature": signature,
        })
        signed = cms.SignedData({
            "version": "v1", "digest_algorithms": [{"algorithm": STREEBOG_256}],
            "encap_content_info": {"content_type": "data"},
            "certificates": [certificate], "signer_infos": [signer_info],
        })
        return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()

    @property
    def serial_hex(self) -> str:
        text = format(self.serial, "X")
        return text if len(text) % 2 == 0 else "0" + text


def valid_now(owner: str, serial: int = 0x01C0FFEE) -> PythonSigner:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return PythonSigner(owner, now - dt.timedelta(days=30), now + dt.timedelta(days=335), serial)


# --------------------------------------------------------------------------- OpenSSL's GOST engine


def openssl_gost_available() -> bool:
    if shutil.which("openssl") is None:
        return False
    result = subprocess.run(["openssl", "engine", "gost", "-t"], capture_output=True, text=True, check=False)
    return result.returncode == 0 and "available" in result.stdout


def require_openssl_gost() -> None:
    """On CI the engine is installed by .ci/run: its absence there is a failure, not a skip."""
    if openssl_gost_available():
        return
    reason = "OpenSSL GOST engine (Debian package libengine-gost-openssl) is not installed"
    if os.environ.get("CI"):
        pytest.fail(reason + " — .ci/run installs it")
    pytest.skip(reason + ": apt-get install libengine-gost-openssl")


class OpenSslSigner:
    """A key pair, a self-signed certificate and signatures made by OpenSSL's GOST engine."""

    def __init__(self, owner: str, workdir: Path | None = None):
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="vsoko-gost-"))
        self.key, self.certificate = self.dir / "key.pem", self.dir / "cert.pem"
        self._run("genpkey", "-engine", "gost", "-algorithm", "gost2012_256", "-pkeyopt", "paramset:A",
                  "-out", str(self.key))
        self._run("req", "-engine", "gost", "-new", "-x509", "-utf8", "-key", str(self.key), "-out",
                  str(self.certificate), "-days", "365", "-md_gost12_256", "-subj", f"/CN={owner}")

    def _run(self, *args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    def sign(self, content: bytes, pem: bool = False) -> bytes:
        source, out = self.dir / "document.docx", self.dir / ("signature.pem" if pem else "signature.sig")
        source.write_bytes(content)
        self._run("cms", "-engine", "gost", "-sign", "-binary", "-in", str(source), "-signer", str(self.certificate),
                  "-inkey", str(self.key), "-md", "md_gost12_256", "-outform", "PEM" if pem else "DER",
                  "-out", str(out))
        return out.read_bytes()

    def verifies(self, signature: bytes, content: bytes) -> bool:
        """Whether OpenSSL itself accepts a DER signature of `content` (made by any maker)."""
        sig, data = self.dir / "check.sig", self.dir / "check.bin"
        sig.write_bytes(signature)
        data.write_bytes(content)
        result = subprocess.run(["openssl", "cms", "-engine", "gost", "-verify", "-binary", "-inform", "DER",
                                 "-in", str(sig), "-content", str(data), "-noverify", "-out", os.devnull],
                                capture_output=True, check=False)
        return result.returncode == 0

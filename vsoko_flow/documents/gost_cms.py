"""Checking a qualified e-signature (КЭП) made outside the system: a detached CMS file (.sig, as
КриптоАРМ or КриптоПро make it; CAdES-BES) with GOST R 34.10-2012 over GOST R 34.11-2012
(Streebog) hashes, against the bytes of the document it claims to sign.

No cryptography is written here. asn1crypto parses the CMS structure and the certificate;
gostcrypto computes Streebog and checks the GOST R 34.10-2012 signature. What is ours is the
bookkeeping between the two, as the standards fix it (RFC 4490/4491, R 1323565.1.024-2019):

- the public key is an OCTET STRING of the point's X and Y, each little-endian;
- the signature value is s followed by r, big-endian; gostcrypto takes r followed by s;
- the hash enters the signature as a little-endian number, gostcrypto reads big-endian.

Every refusal is a `SignatureInvalid` with a Russian message that says what to do instead.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass

from asn1crypto import cms, core, pem, x509
from gostcrypto import gosthash, gostsignature

MAX_CMS_BYTES = 1024 * 1024

# GOST R 34.11-2012 digests, by OID: gostcrypto's name and the digest size in bytes.
_DIGESTS = {
    "1.2.643.7.1.1.2.2": ("streebog256", 32),
    "1.2.643.7.1.1.2.3": ("streebog512", 64),
}
# GOST R 34.10-2012 signature (and public key) algorithms, by OID: the key size in bytes.
_SIGNATURE_ALGORITHMS = {
    "1.2.643.7.1.1.1.1": 32, "1.2.643.7.1.1.3.2": 32,  # 256-bit key; «with GOST R 34.11-2012 (256)»
    "1.2.643.7.1.1.1.2": 64, "1.2.643.7.1.1.3.3": 64,  # 512-bit key
}
# Elliptic curves by the OID in the certificate. The CryptoPro sets of GOST R 34.10-2001 are the
# same curves as the TC 26 sets B, C, D (R 1323565.1.024-2019); most qualified certificates use them.
_CURVES = {
    "1.2.643.7.1.2.1.1.1": "id-tc26-gost-3410-2012-256-paramSetA",
    "1.2.643.7.1.2.1.1.2": "id-tc26-gost-3410-2012-256-paramSetB",
    "1.2.643.2.2.35.1": "id-tc26-gost-3410-2012-256-paramSetB",  # CryptoPro-A
    "1.2.643.2.2.36.0": "id-tc26-gost-3410-2012-256-paramSetB",  # CryptoPro-XchA
    "1.2.643.7.1.2.1.1.3": "id-tc26-gost-3410-2012-256-paramSetC",
    "1.2.643.2.2.35.2": "id-tc26-gost-3410-2012-256-paramSetC",  # CryptoPro-B
    "1.2.643.7.1.2.1.1.4": "id-tc26-gost-3410-2012-256-paramSetD",
    "1.2.643.2.2.35.3": "id-tc26-gost-3410-2012-256-paramSetD",  # CryptoPro-C
    "1.2.643.2.2.36.1": "id-tc26-gost-3410-2012-256-paramSetD",  # CryptoPro-XchB
    "1.2.643.7.1.2.1.2.1": "id-tc26-gost-3410-12-512-paramSetA",
    "1.2.643.7.1.2.1.2.2": "id-tc26-gost-3410-12-512-paramSetB",
    "1.2.643.7.1.2.1.2.3": "id-tc26-gost-3410-2012-512-paramSetC",
}

NOT_A_SIGNATURE = ("Файл не похож на подпись: нужна отсоединённая электронная подпись в формате CMS (.sig, "
                   "DER или Base64), сделанная КриптоАРМ, КриптоПро или другой программой для КЭП")
WRONG_DOCUMENT = ("Подпись не относится к этому документу: подписан другой файл, или файл изменили после "
                  "скачивания (даже одним байтом). Скачайте документ из системы заново и подпишите его, "
                  "не открывая и не сохраняя")


class SignatureInvalid(Exception):
    """The signature is refused; the message says why, in Russian, for the signer."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CertificateInfo:
    serial: str            # upper-case hexadecimal, no separators: «01DA3F…»
    owner: str             # the subject's full name (CN, or surname and given names)
    surname: str
    given_names: str
    issuer: str
    valid_from: dt.datetime  # aware, UTC
    valid_to: dt.datetime


@dataclass(frozen=True)
class VerifiedSignature:
    certificate: CertificateInfo
    signing_time: dt.datetime | None  # the signer's claimed time (signed attribute), aware
    der: bytes                        # the CMS file, normalised to DER


# --------------------------------------------------------------------------- ASN.1 of GOST keys
# asn1crypto knows CMS and X.509 but not GOST public keys: their SubjectPublicKeyInfo is read
# with this declaration of its two fields (RFC 4491 §2.3).


class _GostKeyParameters(core.Sequence):
    _fields = [("public_key_param_set", core.ObjectIdentifier),
               ("digest_param_set", core.ObjectIdentifier, {"optional": True})]


class _GostAlgorithm(core.Sequence):
    _fields = [("algorithm", core.ObjectIdentifier), ("parameters", _GostKeyParameters, {"optional": True})]


class _GostPublicKeyInfo(core.Sequence):
    _fields = [("algorithm", _GostAlgorithm), ("public_key", core.OctetBitString)]


# --------------------------------------------------------------------------- reading the file


def cms_der(data: bytes) -> bytes:
    """The CMS file as DER, whether it came as DER, PEM or bare Base64."""
    if not data or len(data) > MAX_CMS_BYTES:
        raise SignatureInvalid(NOT_A_SIGNATURE if data else "Файл подписи пуст")
    if data[:1] == b"\x30":
        return data
    if pem.detect(data):
        try:
            return pem.unarmor(data)[2]
        except ValueError:
            raise SignatureInvalid(NOT_A_SIGNATURE) from None
    try:
        decoded = base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureInvalid(NOT_A_SIGNATURE) from None
    if decoded[:1] != b"\x30":
        raise SignatureInvalid(NOT_A_SIGNATURE)
    return decoded


def verify_detached(data: bytes, content: bytes) -> VerifiedSignature:
    """Check the signature file `data` against the signed bytes `content`.

    Returns the certificate the (first valid) signer's signature was checked with and the
    signing time the signer claims. Checks nothing about who the signer is or whether the
    certificate was valid then: that is for the caller, who knows the person and the document.
    """
    der = cms_der(data)
    try:
        signed = _signed_data(der)
        certificates = [c.chosen for c in signed["certificates"] or [] if c.name == "certificate"]
        signer_infos = list(signed["signer_infos"])
        attached = signed["encap_content_info"]["content"].native
    except (ValueError, TypeError, KeyError, AttributeError):
        raise SignatureInvalid(NOT_A_SIGNATURE) from None
    if not signer_infos:
        raise SignatureInvalid("В файле подписи нет ни одной подписи")
    if attached is not None and attached != content:
        raise SignatureInvalid(WRONG_DOCUMENT)
    failure: SignatureInvalid | None = None
    for info in signer_infos:
        try:
            certificate = _certificate_of(info, certificates)
            _check_signer_info(info, certificate, content)
            return VerifiedSignature(_certificate_info(certificate), _signing_time(info), der)
        except SignatureInvalid as refused:
            failure = failure or refused
        except (ValueError, TypeError, KeyError, AttributeError):
            failure = failure or SignatureInvalid(NOT_A_SIGNATURE)
    raise failure


def _signed_data(der: bytes) -> cms.SignedData:
    info = cms.ContentInfo.load(der, strict=True)
    if info["content_type"].native != "signed_data":
        raise SignatureInvalid(NOT_A_SIGNATURE)
    return info["content"]


def _certificate_of(info: cms.SignerInfo, certificates: list[x509.Certificate]) -> x509.Certificate:
    sid = info["sid"]
    for certificate in certificates:
        tbs = certificate["tbs_certificate"]
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if tbs["serial_number"].native == wanted["serial_number"].native and \
                    tbs["issuer"].dump() == wanted["issuer"].dump():
                return certificate
        elif certificate.key_identifier == sid.chosen.native:
            return certificate
    raise SignatureInvalid("В файле подписи нет сертификата подписавшего: при создании подписи включите "
                           "в неё сертификат (в КриптоАРМ — «Включить сертификат подписчика»)")


# --------------------------------------------------------------------------- the cryptographic check


def _check_signer_info(info: cms.SignerInfo, certificate: x509.Certificate, content: bytes) -> None:
    digest_oid = info["digest_algorithm"]["algorithm"].dotted
    if digest_oid not in _DIGESTS:
        raise SignatureInvalid("Подпись сделана не по ГОСТ Р 34.11-2012: квалифицированная подпись в системе "
                               f"принимается только с хешем «Стрибог» (алгоритм {digest_oid})")
    hash_name, _ = _DIGESTS[digest_oid]
    key = _public_key(certificate)
    signature_oid = info["signature_algorithm"]["algorithm"].dotted
    size = _SIGNATURE_ALGORITHMS.get(signature_oid)
    if size is None or size != key.size:
        raise SignatureInvalid("Подпись сделана не по ГОСТ Р 34.10-2012 или не ключом своего сертификата "
                               f"(алгоритм {signature_oid})")
    content_digest = _streebog(hash_name, content)
    attributes = info["signed_attrs"]
    if attributes:
        _check_attributes(attributes, content_digest)
        # The signature covers the DER of the attributes as a SET (RFC 5652 §5.4), not as [0].
        signed_bytes = b"\x31" + attributes.dump()[1:]
        digest = _streebog(hash_name, signed_bytes)
    else:
        digest = content_digest
    value = info["signature"].native
    if len(value) != 2 * key.size:
        raise SignatureInvalid("Подпись не прошла проверку: значение подписи повреждено")
    r_then_s = value[key.size:] + value[:key.size]
    try:
        checker = gostsignature.new(gostsignature.MODE_256 if key.size == 32 else gostsignature.MODE_512, key.curve)
        valid = checker.verify(bytearray(key.point), bytearray(digest[::-1]), bytearray(r_then_s))
    except gostsignature.GOSTSignatureError:
        valid = False
    if not valid:
        raise SignatureInvalid("Подпись не прошла криптографическую проверку: подпись повреждена или сделана не "
                               "ключом сертификата, который в ней указан")


def _check_attributes(attributes: cms.CMSAttributes, content_digest: bytes) -> None:
    found = {attribute["type"].native: attribute["values"] for attribute in attributes}
    if "message_digest" not in found or found["message_digest"][0].native != content_digest:
        raise SignatureInvalid(WRONG_DOCUMENT)
    if "content_type" in found and found["content_type"][0].native != "data":
        raise SignatureInvalid(NOT_A_SIGNATURE)


@dataclass(frozen=True)
class _PublicKey:
    size: int      # 32 or 64 bytes per coordinate
    curve: dict
    point: bytes   # X then Y, big-endian, as gostcrypto takes it


def _public_key(certificate: x509.Certificate) -> _PublicKey:
    spki = _GostPublicKeyInfo.load(certificate["tbs_certificate"]["subject_public_key_info"].dump())
    algorithm = spki["algorithm"]["algorithm"].dotted
    size = {"1.2.643.7.1.1.1.1": 32, "1.2.643.7.1.1.1.2": 64}.get(algorithm)
    parameters = spki["algorithm"]["parameters"]
    curve_name = _CURVES.get(parameters["public_key_param_set"].dotted) if parameters.native else None
    if size is None or curve_name is None:
        raise SignatureInvalid("Сертификат подписавшего выпущен не для ключа ГОСТ Р 34.10-2012 "
                               "(или с неизвестными параметрами кривой): такую подпись система проверить не может")
    raw = core.OctetString.load(spki["public_key"].native).native
    if len(raw) != 2 * size:
        raise SignatureInvalid("Открытый ключ в сертификате повреждён")
    point = raw[:size][::-1] + raw[size:][::-1]
    return _PublicKey(size, gostsignature.CURVES_R_1323565_1_024_2019[curve_name], point)


def _streebog(name: str, data: bytes) -> bytes:
    return bytes(gosthash.new(name, data=data).digest())


# --------------------------------------------------------------------------- what the certificate says


def _certificate_info(certificate: x509.Certificate) -> CertificateInfo:
    tbs = certificate["tbs_certificate"]
    subject = tbs["subject"].native
    surname = str(subject.get("surname") or "").strip()
    given = str(subject.get("given_name") or "").strip()
    owner = str(subject.get("common_name") or "").strip() or " ".join(p for p in (surname, given) if p)
    issuer = tbs["issuer"].native
    validity = tbs["validity"].native
    return CertificateInfo(
        serial=serial_hex(tbs["serial_number"].native),
        owner=owner, surname=surname, given_names=given,
        issuer=str(issuer.get("common_name") or issuer.get("organization_name") or ""),
        valid_from=validity["not_before"], valid_to=validity["not_after"])


def serial_hex(serial: int) -> str:
    """«01DA3F…»: upper-case hexadecimal in whole bytes, as certificate tools print serials."""
    text = format(serial, "X")
    return text if len(text) % 2 == 0 else "0" + text


def _signing_time(info: cms.SignerInfo) -> dt.datetime | None:
    for attribute in info["signed_attrs"] or []:
        if attribute["type"].native == "signing_time":
            return attribute["values"][0].native
    return None

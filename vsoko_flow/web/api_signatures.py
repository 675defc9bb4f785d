"""JSON API of signatures: what a document waits for, signing it (simple: the password; qualified: the
.sig file), declining, and the copy to print. Declared on the API's registry, so they are in its
OpenAPI document with everything else."""
from __future__ import annotations

import io
from typing import Annotated, Any, Optional

from flask import send_file
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..documents.gost_cms import MAX_CMS_BYTES
from ..services import signatures as signature_service
from ..safe_text import has_control_characters
from .api import DOCX, _plain_text, _Request, _rt, registry
from .extensions import limiter
from .openapi import UploadField

TAG = "Подписи"
DOCUMENT_ID = {"document_id": "Номер файла (id из documents документа)"}
SIGNATURE_ID = {"signature_id": "Номер подписи (id из GET /documents/{document_id}/signatures)"}
PASSWORD_ATTEMPTS = "5 per minute"


def _password(value: str) -> str:
    # Checked, never changed: invisible characters may be part of a password.
    if has_control_characters(value):
        raise ValueError("пароль не может содержать управляющие символы")
    return value


class SimpleSignRequest(_Request):
    """Простая электронная подпись: пароль пользователя, подписывающего документ (63-ФЗ ст. 9)."""

    password: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_password)] = Field(
        description="Пароль для входа в систему того, кто подписывает (не токен API)")


class DeclineRequest(_Request):
    """Отказ подписать документ."""

    reason: Annotated[str, Field(min_length=1, max_length=signature_service.MAX_REASON),
                      AfterValidator(_plain_text)] = Field(description="Причина отказа")


class QualifiedSignUpload(BaseModel):
    """Отсоединённая подпись CMS (КЭП, ГОСТ Р 34.10-2012) документа, как он сохранён (multipart/form-data)."""

    model_config = ConfigDict(extra="forbid")

    file: UploadField = Field(description=f"Файл .sig: DER или Base64/PEM, не более {MAX_CMS_BYTES // 1024} КБ")


class SignerRef(BaseModel):
    id: int
    login: str
    name: str = Field(description="«Фамилия И.О.»")
    full_name: str


class CertificateInfo(BaseModel):
    serial: str = Field(description="Серийный номер (шестнадцатеричный)")
    owner: str
    issuer: str
    valid_from: Optional[str]
    valid_to: Optional[str]


class SignatureInfo(BaseModel):
    id: int
    document_id: int
    artefact_id: int
    slot: str = Field(description="Место подписи в документе: director, chair, secretary, certifier, actor")
    signatory: str = Field(description="Кто подписывает в этом месте")
    capacity: str = Field(description="В качестве кого, как напечатано: «Директор», «И.о. директора», «Председатель»")
    signer: SignerRef
    state: str = Field(description="pending — ждёт подписи, signed — подписан, declined — в подписи отказано")
    state_label: str
    due_date: Optional[str] = Field(description="Срок подписи (ГГГГ-ММ-ДД) или null")
    kind: Optional[str] = Field(description="simple или qualified; null — ещё не подписан")
    kind_label: Optional[str]
    signed_at: Optional[str] = Field(description="Когда подпись принята системой (UTC)")
    document_sha256: Optional[str] = Field(description="SHA-256 подписанного файла")
    decline_reason: Optional[str]
    certificate: Optional[CertificateInfo] = Field(description="Для КЭП: сертификат, по которому подпись проверена")


class SignatureList(BaseModel):
    document_id: int
    items: list[SignatureInfo]


@registry.operation("GET", "/documents/{document_id}/signatures", summary="Подписи документа", tag=TAG,
                    path_params=DOCUMENT_ID, response=SignatureList)
def list_signatures(user_id: int, document_id: int):
    """Кто должен подписать документ, кто подписал (простой или квалифицированной подписью), кто отказался."""
    return {"document_id": document_id, "items": signature_service.document_signatures(_rt(), document_id, user_id)}


@registry.operation("POST", "/signatures/{signature_id}/simple", summary="Подписать простой электронной подписью",
                    tag=TAG, path_params=SIGNATURE_ID, body=SimpleSignRequest, response=SignatureInfo,
                    errors=(403, 409, 422, 429))
def sign_simple(user_id: int, signature_id: int, body: SimpleSignRequest):
    """Только тот, кто подписывает (403 — другой пользователь); 422 — неверный пароль, ничего не записано;
    409 — подпись уже закрыта; 429 — больше пяти попыток в минуту."""
    with limiter.limit(PASSWORD_ATTEMPTS, key_func=lambda: f"sign-api:{user_id}", scope="sign_password_api",
                       error_message="Слишком много попыток ввести пароль: подождите минуту"):
        return signature_service.sign_simple(_rt(), signature_id, user_id, body.password)


@registry.operation("POST", "/signatures/{signature_id}/qualified", summary="Загрузить квалифицированную подпись (.sig)",
                    tag=TAG, path_params=SIGNATURE_ID, form=QualifiedSignUpload, response=SignatureInfo,
                    errors=(403, 409, 422))
def sign_qualified(user_id: int, signature_id: int, form: QualifiedSignUpload):
    """Подпись проверяется по сохранённому файлу документа и сертификату: сертификат подписанта (по серийному
    номеру на учёте или по ФИО владельца), действующий на время подписания; 422 с причиной — ничего не записано."""
    return signature_service.sign_qualified(_rt(), signature_id, user_id, form.file.data)


@registry.operation("POST", "/signatures/{signature_id}/decline", summary="Отказаться подписать", tag=TAG,
                    path_params=SIGNATURE_ID, body=DeclineRequest, response=SignatureInfo, errors=(403, 409, 422))
def decline_signature(user_id: int, signature_id: int, body: DeclineRequest):
    """Задача «Подписать» закрывается, документ остаётся неподписанным; причина — в истории документа."""
    return signature_service.decline(_rt(), signature_id, user_id, body.reason)


@registry.operation("GET", "/documents/{document_id}/print", summary="Копия для печати (.docx с отметками о подписи)",
                    tag=TAG, path_params=DOCUMENT_ID, media_type=DOCX,
                    response_headers={"Content-Disposition": "attachment; filename*=UTF-8''<имя файла (для печати)>"})
def print_document(user_id: int, document_id: int) -> Any:
    """Сохранённый документ с отметками сделанных подписей; без подписей — сам сохранённый файл."""
    file_name, data = signature_service.print_copy(_rt(), document_id, user_id)
    response = send_file(io.BytesIO(data), mimetype=DOCX, as_attachment=True, download_name=file_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response

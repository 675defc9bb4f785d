"""Files that go through a preview before they are stored (a plan's table, an act's text from Word).

Stateless across workers: the preview page carries the uploaded file itself (base64 in a hidden
field, with its SHA-256 and a server signature bound to the purpose, the document and the person),
and «Сохранить» posts it back to be read again and stored. Nothing is written before «Сохранить».
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

from flask import request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from .session import runtime

MAX_FILE_BYTES = 10 * 1024 * 1024
# «Сохранить» re-posts the file base64-encoded (4/3 of its size) with the form around it.
SAVE_REQUEST_LIMIT = MAX_FILE_BYTES * 4 // 3 + 1024 * 1024
CHANGED = "Файл из предпросмотра не дошёл целиком или изменён: загрузите его ещё раз"


def signature(purpose: str, artefact_id: int, sha256: str, file_name: str) -> str:
    key = runtime().settings.secret_key.encode()
    message = f"{purpose}:{artefact_id}:{current_user.id}:{sha256}:{file_name}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def carried(purpose: str, artefact_id: int, data: bytes, file_name: str) -> dict[str, Any]:
    """What the preview page puts in its hidden fields (and shows: name, size)."""
    sha256 = hashlib.sha256(data).hexdigest()
    return {"file_name": file_name, "size": len(data), "sha256": sha256,
            "content": base64.b64encode(data).decode("ascii"),
            "signature": signature(purpose, artefact_id, sha256, file_name)}


def accept_large_form() -> None:
    """The form carries the file (up to 10 MB, base64): a larger limit for this request only, and the
    CSRF check after it (the app-wide check would read the form under the default limit)."""
    request.max_content_length = SAVE_REQUEST_LIMIT
    request.max_form_memory_size = SAVE_REQUEST_LIMIT
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as error:
        raise CSRFError(str(error)) from None


def returned_file(purpose: str, artefact_id: int) -> tuple[bytes, str] | None:
    """The file posted back by the preview page, if it is whole and signed for this purpose and person."""
    file_name = request.form.get("file_name", "")
    sha256 = request.form.get("sha256", "")
    try:
        data = base64.b64decode(request.form.get("content", ""), validate=True)
    except (binascii.Error, ValueError):
        return None
    if (not data or hashlib.sha256(data).hexdigest() != sha256
            or not hmac.compare_digest(signature(purpose, artefact_id, sha256, file_name),
                                       request.form.get("signature", ""))):
        return None
    return data, file_name

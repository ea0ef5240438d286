"""Attachments of an application: adding and removing them while the application may change,
recognising a file's type by its content, and keeping the stored files in step with the
transaction (a file written for a rolled-back upload is removed; a removed attachment's file
is deleted once the removal is committed)."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import format_decimal, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from portal.errors import DomainError
from portal.models import Application, Attachment, AttachmentKind, User
from portal.permissions import Action, can
from portal.services.applications import ensure_editable
from portal.services.audit import record_event

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
NAME_MAX = 255  # Attachment.original_name


@dataclass(frozen=True)
class FileType:
    name: str
    content_type: str
    extensions: tuple[str, ...]  # the first is added to a display name that lacks one


PDF = FileType("PDF", "application/pdf", (".pdf",))
PNG = FileType("PNG", "image/png", (".png",))
JPEG = FileType("JPEG", "image/jpeg", (".jpg", ".jpeg"))
DOCX = FileType(
    "DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)
)
XLSX = FileType(
    "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)
)
ACCEPTED_TYPES = (PDF, DOCX, XLSX, JPEG, PNG)

_SIGNATURES = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
_ZIP_SIGNATURE = b"PK\x03\x04"
# Office Open XML is a ZIP; its main part tells a document from a workbook.
_OFFICE_MAIN_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX))

NOT_ACCEPTED = _l(
    "This file is not a PDF, DOCX, XLSX, JPEG or PNG file. Its content is checked, not its "
    "name: save it in one of these formats and upload it again."
)
HAS_MACROS = _l(
    "Documents with macros are not accepted. Save it as an ordinary .docx or .xlsx file "
    "and upload it again."
)


def sniff_file_type(stream: IO[bytes]) -> FileType:
    """The type of the file in `stream` (seekable, read from the start), judged by its
    content alone. Raises DomainError when it is not one of ACCEPTED_TYPES, including an
    Office file that carries macros."""
    stream.seek(0)
    head = stream.read(8)
    for signature, file_type in _SIGNATURES:
        if head.startswith(signature):
            return file_type
    if head.startswith(_ZIP_SIGNATURE):
        return _office_type(stream)
    raise DomainError(NOT_ACCEPTED, field="file")


def _office_type(stream: IO[bytes]) -> FileType:
    # Only the ZIP's directory is read; nothing is decompressed.
    try:
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise DomainError(NOT_ACCEPTED, field="file") from None
    if "[Content_Types].xml" in names:
        for part, file_type in _OFFICE_MAIN_PARTS:
            if part in names:
                if any(name.lower().endswith("vbaproject.bin") for name in names):
                    raise DomainError(HAS_MACROS, field="file")
                return file_type
    raise DomainError(NOT_ACCEPTED, field="file")


def clean_file_name(raw: str | None, file_type: FileType) -> str:
    """The name a person gave the file, fit to show and to offer back as a download name:
    no folders (`../`, `..\\`, `C:\\`), no control or bidirectional-override characters, none
    of the characters Windows refuses, at most 255 characters, and an extension that matches
    the content (added when it does not). Letters of any script, Cyrillic too, are kept."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = " ".join(name.split()).strip(" .") or gettext("attachment")
    stem, extension = os.path.splitext(name)
    if extension.lower() not in file_type.extensions:
        stem, extension = name, file_type.extensions[0]
    # Shorten the stem, never the extension that says what the file is.
    stem = stem[: NAME_MAX - len(extension)].rstrip(" .") or gettext("attachment")
    return stem + extension


def format_size(size: int) -> str:
    """`10 MB`, `1.5 KB`, `300 bytes` in the user's language; rounded down, so that the room
    said to be left is never more than there is."""
    if size >= 1024 * 1024:
        return gettext("%(size)s MB", size=_one_place(size, 1024 * 1024))
    if size >= 1024:
        return gettext("%(size)s KB", size=_one_place(size, 1024))
    return ngettext("%(num)d byte", "%(num)d bytes", size)


def _one_place(size: int, unit: int) -> str:
    amount = (Decimal(size) / unit).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    return format_decimal(amount, format="#,##0.#")


def used_bytes(session: Session, app: Application) -> int:
    """What the application's attachments take up together."""
    total = session.scalar(
        select(func.coalesce(func.sum(Attachment.size_bytes), 0)).where(
            Attachment.application_id == app.id
        )
    )
    return int(total or 0)


def stored_path(upload_dir: str | os.PathLike[str], attachment: Attachment) -> Path:
    return Path(upload_dir) / attachment.stored_name


@dataclass(frozen=True)
class StoredUpload:
    """A file written by store_upload: its server-made name, its cleaned display name, its
    type by content, size and SHA-256."""

    stored_name: str
    original_name: str
    file_type: FileType
    size_bytes: int
    sha256: str


def store_upload(
    session: Session,
    file_storage: FileStorage,
    *,
    upload_dir: str | os.PathLike[str],
    max_bytes: int,
    accepted: tuple[FileType, ...] = ACCEPTED_TYPES,
    not_accepted: str | None = None,
    check_size: Callable[[int], None] | None = None,
) -> StoredUpload:
    """Write an uploaded file under a random name in `upload_dir` (outside static/), with the
    rules of attachments: not empty, at most `max_bytes`, one of `accepted` by its content
    (`not_accepted` is the message when a caller accepts fewer types than attachments do),
    and whatever `check_size` adds (it raises to refuse). The file follows the session's
    transaction: it is deleted if the transaction ends without a commit. Raises DomainError
    on the `file` field; a refused file leaves nothing behind."""
    directory = Path(upload_dir)
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    path = directory / stored_name
    try:
        size, digest = _copy(file_storage.stream, path, max_bytes)
        if size == 0:
            raise DomainError(_l("The file is empty."), field="file")
        if size > max_bytes:
            raise DomainError(
                _l("The file is larger than %(limit)s, the most one attachment may be. Make "
                   "it smaller (for a scan, a lower resolution) or split it.",
                   limit=format_size(max_bytes)),
                field="file",
            )
        with path.open("rb") as stored:
            try:
                file_type = sniff_file_type(stored)
            except DomainError as exc:
                raise DomainError(not_accepted or exc.message, field="file") from None
        if file_type not in accepted:
            raise DomainError(not_accepted or NOT_ACCEPTED, field="file")
        if check_size is not None:
            check_size(size)
    except BaseException:
        _unlink(path)
        raise
    _pending_files(session)["written"].append(path)
    return StoredUpload(stored_name, clean_file_name(file_storage.filename, file_type),
                        file_type, size, digest)


def add_attachment(
    session: Session,
    app: Application,
    file_storage: FileStorage,
    kind: AttachmentKind | str,
    *,
    actor: User,
    upload_dir: str | os.PathLike[str],
) -> Attachment:
    """Attach an uploaded file to an application that may still change, by one of its
    library's applicants. The file must be a PDF, DOCX, XLSX, JPEG or PNG by its content, at
    most ATTACHMENT_MAX_BYTES, and fit in what is left of ATTACHMENTS_MAX_TOTAL_BYTES. It is
    stored under a random name in `upload_dir`; its own name is kept, cleaned, for display.
    Raises ConflictError when the application can no longer change, PermissionError when the
    actor may not edit it, DomainError (on the `file` field) when the file is refused; a
    refused file leaves nothing behind."""
    ensure_editable(app)
    if not can(actor, Action.EDIT_APPLICATION, app):
        raise PermissionError("edit")
    max_bytes = current_app.config["ATTACHMENT_MAX_BYTES"]
    max_total = current_app.config["ATTACHMENTS_MAX_TOTAL_BYTES"]
    # Two uploads at once must not both fit into the same room: hold the application's row.
    session.execute(select(Application.id).where(Application.id == app.id).with_for_update())
    used = used_bytes(session, app)

    def check_room(size: int) -> None:
        if used + size > max_total:
            raise DomainError(
                _l("The attachments of an application may take %(limit)s in all; %(left)s is "
                   "left and this file takes %(size)s. Remove a file or upload a smaller one.",
                   limit=format_size(max_total), left=format_size(max(0, max_total - used)),
                   size=format_size(size)),
                field="file",
            )

    stored = store_upload(session, file_storage, upload_dir=upload_dir, max_bytes=max_bytes,
                          check_size=check_room)
    attachment = Attachment(
        kind=AttachmentKind(kind),
        original_name=stored.original_name,
        stored_name=stored.stored_name,
        content_type=stored.file_type.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        uploaded_by_id=actor.id,
    )
    app.attachments.append(attachment)
    session.flush()
    record_event(
        session, actor=actor, action="application.attachment_added", obj=app,
        details=_details(attachment),
    )
    return attachment


def remove_attachment(
    session: Session,
    attachment: Attachment,
    *,
    actor: User,
    upload_dir: str | os.PathLike[str],
) -> None:
    """Remove an attachment from an application that may still change, by one of its
    library's applicants; its file is deleted when the removal is committed. Raises
    ConflictError when the application can no longer change, PermissionError when the actor
    may not edit it."""
    app = attachment.application
    ensure_editable(app)
    if not can(actor, Action.EDIT_APPLICATION, app):
        raise PermissionError("edit")
    details = _details(attachment)
    app.attachments.remove(attachment)  # delete-orphan: the row goes at the flush
    session.flush()
    record_event(
        session, actor=actor, action="application.attachment_removed", obj=app,
        details=details,
    )
    delete_after_commit(session, stored_path(upload_dir, attachment))


def _details(attachment: Attachment) -> dict[str, Any]:
    return {
        "attachment_id": attachment.id,
        "kind": attachment.kind.value,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size_bytes": attachment.size_bytes,
        "sha256": attachment.sha256,
    }


def _copy(source: IO[bytes], path: Path, max_bytes: int) -> tuple[int, str]:
    """Write `source` to a new file at `path`, stopping one byte past `max_bytes`; return
    the size written and the SHA-256 of what was written."""
    digest = hashlib.sha256()
    size = 0
    # O_EXCL: a random name that somehow exists already is never overwritten.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o640)
    with os.fdopen(fd, "wb") as target:
        while size <= max_bytes:
            chunk = source.read(min(CHUNK, max_bytes + 1 - size))
            if not chunk:
                break
            size += len(chunk)
            digest.update(chunk)
            target.write(chunk)
    return size, digest.hexdigest()


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.exception("could not delete the attachment file %s", path)


# Files follow the transaction -------------------------------------------------------------
# Services flush and the caller commits, so the files an upload wrote and the files a
# removal frees are noted on the session and dealt with when its transaction ends.

_FILES_KEY = "vektor.attachment_files"


def _pending_files(session: Session) -> dict[str, list[Path]]:
    return session.info.setdefault(_FILES_KEY, {"written": [], "removed": []})


def delete_after_commit(session: Session, path: Path) -> None:
    """Delete the stored file at `path` once the session's transaction commits (it stays
    when the transaction is rolled back)."""
    _pending_files(session)["removed"].append(path)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outcome is decided by the transaction around it
    pending = session.info.pop(_FILES_KEY, None)
    for path in pending["removed"] if pending else ():
        _unlink(path)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is not None:
        return
    # Still noted here only when the transaction ended without a commit.
    pending = session.info.pop(_FILES_KEY, None)
    for path in pending["written"] if pending else ():
        _unlink(path)

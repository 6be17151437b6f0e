"""Exceptions the Python side raises, one class per meaning, mapped from SQLSTATE.

The codes and their meaning are documented once, in docs/errors.md; tests/test_errors.py
checks that table against SQLSTATES below in both directions. An error reaches Python from psycopg
(`from_psycopg`) or as PostgREST's JSON body (`from_postgrest`); both give the same class, sqlstate,
message, detail and hint for the same PostgreSQL error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import psycopg


class VicError(Exception):
    """An error from the database (or from reaching it), as PostgreSQL reported it."""

    def __init__(
        self,
        message: str,
        *,
        sqlstate: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.detail = detail
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def one_line(self) -> str:
        """Message, detail and hint on one line (what the CLI prints)."""
        parts = [self.message]
        # PostgreSQL's own details echo row values ("Failing row contains (…, +905…)"), which
        # would land in terminals and CI logs; ours (VC…) are written to be shown.
        if self.detail and (self.sqlstate or "").startswith("VC"):
            parts.append(self.detail)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "; ".join(" ".join(p.split()) for p in parts)


class InvalidInput(VicError):
    """A value breaks a rule: the message names the field."""


class InvalidTransition(VicError):
    """A state change that the current state does not allow: the message names both states."""


class NotFound(VicError):
    """The row asked for does not exist (or is not visible to the caller)."""


class Conflict(VicError):
    """The request conflicts with the current state: duplicate, missing reference, overlap."""


class AccessDenied(VicError):
    """The caller may not do this (SQLSTATE 42501)."""


class ConnectionFailed(VicError):
    """The database did not answer, or refused the connection."""


# SQLSTATE -> class. A key ending in "*" is a whole SQLSTATE class (its first two characters).
# Keep in step with docs/errors.md (tests/test_errors.py compares them).
SQLSTATES: dict[str, type[VicError]] = {
    "VC001": InvalidInput,
    "VC002": InvalidTransition,
    "VC003": NotFound,
    "VC004": Conflict,
    "22001": InvalidInput,  # string_data_right_truncation
    "22003": InvalidInput,  # numeric_value_out_of_range
    "22007": InvalidInput,  # invalid_datetime_format
    "22008": InvalidInput,  # datetime_field_overflow
    "22023": InvalidInput,  # invalid_parameter_value
    "22P02": InvalidInput,  # invalid_text_representation
    "23502": InvalidInput,  # not_null_violation
    "23514": InvalidInput,  # check_violation
    "23503": Conflict,  # foreign_key_violation
    "23505": Conflict,  # unique_violation
    "23P01": Conflict,  # exclusion_violation
    "42501": AccessDenied,  # insufficient_privilege (also RLS WITH CHECK failures)
    "08*": ConnectionFailed,  # connection_exception
}


def class_for(sqlstate: str | None) -> type[VicError]:
    """The exception class for a SQLSTATE; VicError itself when the code has no meaning of ours."""
    if not sqlstate:
        return VicError
    return SQLSTATES.get(sqlstate) or SQLSTATES.get(sqlstate[:2] + "*") or VicError


def from_psycopg(exc: psycopg.Error) -> VicError:
    """Translate a psycopg error into the VicError subclass its SQLSTATE means."""
    diag = exc.diag
    sqlstate = diag.sqlstate
    # libpq's own messages (connection refused, …) are multi-line and carry no SQLSTATE.
    message = diag.message_primary or (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if sqlstate is None and isinstance(exc, psycopg.OperationalError):
        cls: type[VicError] = ConnectionFailed
    else:
        cls = class_for(sqlstate)
    return cls(message, sqlstate=sqlstate, detail=diag.message_detail, hint=diag.message_hint)


SQLSTATE = re.compile(r"[0-9A-Z]{5}")


def from_postgrest(body: Mapping[str, Any], status: int | None = None) -> VicError:
    """Translate PostgREST's error body `{"code", "message", "details", "hint"}` (HTTP `status`).

    A PostgreSQL error keeps its SQLSTATE in `code` and becomes the same VicError as through psycopg.
    PostgREST's own errors (`PGRST…`) and the gateway's (a body with only a message) have no SQLSTATE:
    a token or key refused (401, PGRST30x) is AccessDenied, the API or its database unreachable
    (502–504, PGRST000–003) ConnectionFailed, anything else a plain VicError."""
    code = body.get("code")
    code = code if isinstance(code, str) else None
    message = body.get("message") or f"the Supabase API answered HTTP {status}"
    detail, hint = body.get("details"), body.get("hint")
    detail = None if detail is None else detail if isinstance(detail, str) else str(detail)
    hint = None if hint is None else hint if isinstance(hint, str) else str(hint)
    if code and SQLSTATE.fullmatch(code) and not code.startswith("PGRST"):
        return class_for(code)(message, sqlstate=code, detail=detail, hint=hint)
    cls: type[VicError] = VicError
    if status in (401, 403) or (code or "").startswith("PGRST30"):
        cls = AccessDenied
    elif status in (502, 503, 504) or (code or "") in ("PGRST000", "PGRST001", "PGRST002", "PGRST003"):
        cls = ConnectionFailed
    return cls(message, sqlstate=None, detail=detail, hint=hint)


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***, safe to print."""
    url = re.sub(r"(://[^:/@?]*:)[^@/?]*@", r"\1***@", url)
    return re.sub(r"(password\s*=\s*)('[^']*'|[^&\s]*)", r"\1***", url)

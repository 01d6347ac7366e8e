"""FHIR errors: every failure is answered with an OperationOutcome, never an HTML page."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome

FHIR_JSON = "application/fhir+json"


class FhirError(Exception):
    """Answered as an OperationOutcome with `status`. `expression` names the offending element
    or search parameter (FHIRPath or the parameter's name)."""

    def __init__(
        self,
        status: int,
        diagnostics: str,
        *,
        code: str = "invalid",
        expression: list[str] | None = None,
        issues: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = diagnostics
        self.code = code
        self.expression = expression or []
        self.extra_issues = issues or []

    def outcome(self) -> OperationOutcome:
        issue: dict[str, Any] = {
            "severity": "error",
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            issue["expression"] = self.expression
        return OperationOutcome.model_validate({"issue": [issue, *self.extra_issues]})


def bad_parameter(name: str, message: str) -> FhirError:
    return FhirError(400, f"{name}: {message}", code="invalid", expression=[name])


def not_found() -> FhirError:
    # The same answer for "missing" and "not yours", so ids cannot be probed.
    return FhirError(404, "Resource not found", code="not-found")


def outcome_response(error: FhirError) -> HttpResponse:
    response = HttpResponse(
        error.outcome().model_dump_json(exclude_none=True),
        status=error.status,
        content_type=FHIR_JSON,
    )
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="samplan-fhir"'
    return response

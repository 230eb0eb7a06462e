"""Every answer the API gives, in the OpenAPI schema, not only the successes.

A drf-spectacular postprocessing hook: each operation documents 400 (field errors or a
detail), 429 with Retry-After (the rate limits), 503 with Retry-After (the database is
unavailable or the intake is overloaded); operations with a path parameter or pages add 404; the
report intake adds 415 (not JSON).
"""

from __future__ import annotations

DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# {"field": ["message"]} or {"detail": "..."}: DRF's two shapes of a 400.
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
    },
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}


def _answer(description: str, schema: dict, *, retry_after: bool = False) -> dict:
    answer: dict = {"description": description, "content": {"application/json": {"schema": schema}}}
    if retry_after:
        answer["headers"] = RETRY_AFTER
    return answer


# What config.middleware.BadQueryMiddleware refuses, said in the schema: free-text query
# parameters hold no control characters.
NO_CONTROLS = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"


def document_error_answers(result: dict, generator, request, public) -> dict:  # type: ignore[no-untyped-def]
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if schema.get("type") == "string" and not (
                    {"enum", "format", "pattern"} & set(schema)
                ):
                    schema["pattern"] = NO_CONTROLS
            responses = operation.setdefault("responses", {})
            responses.setdefault(
                "400", _answer("Invalid input: errors by field, or a detail.", FIELD_ERRORS)
            )
            paginated = any(p.get("name") == "page" for p in operation.get("parameters", []))
            if "{" in path or paginated:
                responses.setdefault("404", _answer("No such object, or no such page.", DETAIL))
            if method == "post":
                responses.setdefault("415", _answer("The body is not JSON.", DETAIL))
            responses.setdefault("429", _answer("Rate limit exceeded.", DETAIL, retry_after=True))
            responses.setdefault(
                "503",
                _answer("Unavailable for a moment (database, overload).", DETAIL, retry_after=True),
            )
    return result

"""The REST API (django-ninja): OpenAPI 3 at /api/openapi.json, docs at /api/docs."""

from ninja import NinjaAPI

api = NinjaAPI(title="Xietong API", version="1", urls_namespace="api")

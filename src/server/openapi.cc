// The OpenAPI 3 document of `vigil serve` (served at /api/openapi.json; docs/api.md is
// its prose form). openapi_test checks that every route in Server::Routes() is here.
#include <string>

#include "server/server.h"

namespace vigil::server {

const std::string& OpenApiJson() {
  static const std::string doc = R"JSON({
"openapi": "3.0.3",
"info": {
  "title": "Vigil observatory API",
  "version": "1",
  "description": "OONI-compatible collector and query API of a Vigil server. Reading published data needs no account; writes need `Authorization: Bearer TOKEN` with a role allowed to do them (see docs/api.md)."
},
"components": {
  "securitySchemes": {
    "bearer": {"type": "http", "scheme": "bearer", "description": "API token from `vigil token create`; HTTP Basic with the token as password is also accepted."}
  },
  "parameters": {
    "probe_cc": {"name": "probe_cc", "in": "query", "schema": {"type": "string", "pattern": "^[A-Za-z]{2}$"}, "description": "Two-letter country code"},
    "probe_asn": {"name": "probe_asn", "in": "query", "schema": {"type": "string"}, "description": "AS number, AS30722 or 30722"},
    "test_name": {"name": "test_name", "in": "query", "schema": {"type": "string"}},
    "domain": {"name": "domain", "in": "query", "schema": {"type": "string"}, "description": "Host of the input URL"},
    "category_code": {"name": "category_code", "in": "query", "schema": {"type": "string"}, "description": "Citizen Lab category of the input (NEWS, HUMR, ...), from the server's test lists"},
    "input": {"name": "input", "in": "query", "schema": {"type": "string"}, "description": "Exact input (URL)"},
    "since": {"name": "since", "in": "query", "schema": {"type": "string"}, "description": "Start, inclusive: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"},
    "until": {"name": "until", "in": "query", "schema": {"type": "string"}, "description": "End, exclusive: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"},
    "anomaly": {"name": "anomaly", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
    "confirmed": {"name": "confirmed", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
    "failure": {"name": "failure", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}}
  },
  "schemas": {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}, "parameter": {"type": "string", "description": "The query parameter that was wrong (400 only)"}}},
    "Counts": {"type": "object", "properties": {
      "measurement_count": {"type": "integer"}, "anomaly_count": {"type": "integer"},
      "confirmed_count": {"type": "integer"}, "failure_count": {"type": "integer"}, "ok_count": {"type": "integer"}}},
    "MeasurementSummary": {"type": "object", "properties": {
      "anomaly": {"type": "boolean"}, "confirmed": {"type": "boolean"}, "failure": {"type": "boolean"},
      "input": {"type": "string", "nullable": true}, "measurement_start_time": {"type": "string", "format": "date-time"},
      "measurement_uid": {"type": "string"}, "measurement_url": {"type": "string"},
      "probe_asn": {"type": "string", "example": "AS30722"}, "probe_cc": {"type": "string", "example": "IT"},
      "report_id": {"type": "string"}, "scores": {"type": "object"}, "test_name": {"type": "string"}}}
  },
  "responses": {
    "BadRequest": {"description": "Malformed request or parameter", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "Unauthorized": {"description": "No token where one is needed, or an invalid, revoked or expired token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "Forbidden": {"description": "The token's role may not do this", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "NotFound": {"description": "Not found", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "TooLarge": {"description": "Body over the size limit"},
    "RateLimited": {"description": "Too many anonymous submissions from this address (open collector); see Retry-After"},
    "Unavailable": {"description": "The store is unavailable; retry"}
  }
},
"paths": {
  "/report": {"post": {
    "summary": "Open a report (OONI collector protocol)", "security": [{"bearer": []}],
    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
      "required": ["probe_cc", "probe_asn", "software_name", "software_version", "test_name", "test_version", "data_format_version", "format"],
      "properties": {"probe_cc": {"type": "string"}, "probe_asn": {"type": "string"}, "software_name": {"type": "string"},
        "software_version": {"type": "string"}, "test_name": {"type": "string"}, "test_version": {"type": "string"},
        "data_format_version": {"type": "string"}, "test_start_time": {"type": "string"}, "format": {"type": "string", "enum": ["json"]}}}}}},
    "responses": {"200": {"description": "Report opened", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "report_id": {"type": "string", "example": "20240124T141213Z_webconnectivity_IT_30722_n1_Ab3dE5gH1a2b3c4d"},
        "backend_version": {"type": "string"}, "supported_formats": {"type": "array", "items": {"type": "string"}}}}}}},
      "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
      "403": {"$ref": "#/components/responses/Forbidden"}, "413": {"$ref": "#/components/responses/TooLarge"},
      "429": {"$ref": "#/components/responses/RateLimited"}}}},
  "/report/{report_id}": {"post": {
    "summary": "Submit one measurement; answered after it is committed. Resubmitting stores nothing and returns the same uid.",
    "security": [{"bearer": []}],
    "parameters": [{"name": "report_id", "in": "path", "required": true, "schema": {"type": "string"}}],
    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["format", "content"],
      "properties": {"format": {"type": "string", "enum": ["json"]}, "content": {"type": "object", "description": "The OONI measurement"}}}}}},
    "responses": {"200": {"description": "Stored", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "measurement_uid": {"type": "string", "example": "20240124141300.123456_IT_webconnectivity_0123456789abcdef"}}}}}},
      "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
      "403": {"$ref": "#/components/responses/Forbidden"}, "404": {"$ref": "#/components/responses/NotFound"},
      "413": {"$ref": "#/components/responses/TooLarge"}, "429": {"$ref": "#/components/responses/RateLimited"},
      "503": {"$ref": "#/components/responses/Unavailable"}}}},
  "/report/{report_id}/close": {"post": {
    "summary": "Close a report", "security": [{"bearer": []}],
    "parameters": [{"name": "report_id", "in": "path", "required": true, "schema": {"type": "string"}}],
    "responses": {"200": {"description": "Closed"}, "401": {"$ref": "#/components/responses/Unauthorized"},
      "403": {"$ref": "#/components/responses/Forbidden"}, "404": {"$ref": "#/components/responses/NotFound"},
      "429": {"$ref": "#/components/responses/RateLimited"}}}},
  "/api/v1/measurements": {"get": {
    "summary": "List measurements, newest first (OONI API)",
    "parameters": [
      {"$ref": "#/components/parameters/probe_cc"}, {"$ref": "#/components/parameters/probe_asn"},
      {"$ref": "#/components/parameters/test_name"}, {"$ref": "#/components/parameters/domain"}, {"$ref": "#/components/parameters/category_code"},
      {"$ref": "#/components/parameters/input"}, {"$ref": "#/components/parameters/since"},
      {"$ref": "#/components/parameters/until"}, {"$ref": "#/components/parameters/anomaly"},
      {"$ref": "#/components/parameters/confirmed"}, {"$ref": "#/components/parameters/failure"},
      {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}},
      {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
      {"name": "order_by", "in": "query", "schema": {"type": "string", "enum": ["measurement_start_time", "input", "probe_cc", "probe_asn", "test_name"]}},
      {"name": "order", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"], "default": "desc"}}],
    "responses": {"200": {"description": "A page of measurements", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "metadata": {"type": "object", "properties": {"count": {"type": "integer"}, "current_page": {"type": "integer"},
          "limit": {"type": "integer"}, "next_url": {"type": "string", "nullable": true}, "offset": {"type": "integer"},
          "pages": {"type": "integer"}, "query_time": {"type": "number"}}},
        "results": {"type": "array", "items": {"$ref": "#/components/schemas/MeasurementSummary"}}}}}}},
      "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}}}},
  "/api/v1/raw_measurement": {"get": {
    "summary": "One measurement exactly as submitted (OONI API)",
    "parameters": [{"name": "measurement_uid", "in": "query", "required": true, "schema": {"type": "string"}}],
    "responses": {"200": {"description": "The measurement", "content": {"application/json": {"schema": {"type": "object"}}}},
      "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
      "404": {"$ref": "#/components/responses/NotFound"}}}},
  "/api/v1/aggregation": {"get": {
    "summary": "Counts of measurements by up to two axes (OONI API)",
    "parameters": [
      {"name": "axis_x", "in": "query", "schema": {"type": "string", "enum": ["measurement_start_day", "probe_cc", "probe_asn", "domain", "category_code", "test_name"]}},
      {"name": "axis_y", "in": "query", "schema": {"type": "string", "enum": ["measurement_start_day", "probe_cc", "probe_asn", "domain", "category_code", "test_name"]}},
      {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["JSON", "CSV"], "default": "JSON"}},
      {"$ref": "#/components/parameters/probe_cc"}, {"$ref": "#/components/parameters/probe_asn"},
      {"$ref": "#/components/parameters/test_name"}, {"$ref": "#/components/parameters/domain"}, {"$ref": "#/components/parameters/category_code"},
      {"$ref": "#/components/parameters/input"}, {"$ref": "#/components/parameters/since"},
      {"$ref": "#/components/parameters/until"}, {"$ref": "#/components/parameters/anomaly"},
      {"$ref": "#/components/parameters/confirmed"}, {"$ref": "#/components/parameters/failure"}],
    "responses": {"200": {"description": "Counts: one object without axes, else a list with the axis values",
        "content": {"application/json": {"schema": {"type": "object", "properties": {
          "dimension_count": {"type": "integer"}, "db_stats": {"type": "object"},
          "result": {"oneOf": [{"$ref": "#/components/schemas/Counts"}, {"type": "array", "items": {"$ref": "#/components/schemas/Counts"}}]},
          "v": {"type": "integer"}}}},
          "text/csv": {"schema": {"type": "string"}}}},
      "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}}}},
  "/api/v1/health": {"get": {
    "summary": "Health of the server and its store",
    "responses": {"200": {"description": "Healthy", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "status": {"type": "string"}, "version": {"type": "string"}, "backend": {"type": "string"},
        "schema_version": {"type": "integer"}, "time": {"type": "string"}}}}}},
      "503": {"$ref": "#/components/responses/Unavailable"}}}},
  "/api/openapi.json": {"get": {
    "summary": "This document",
    "responses": {"200": {"description": "OpenAPI 3 document", "content": {"application/json": {}}}}}},
  "/metrics": {"get": {
    "summary": "Prometheus metrics (text format 0.0.4); admin", "security": [{"bearer": []}],
    "responses": {"200": {"description": "Metrics", "content": {"text/plain": {}}},
      "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"}}}},
  "/api/v1/me": {"get": {
    "summary": "The caller's account and the token's role", "security": [{"bearer": []}],
    "responses": {"200": {"description": "Account", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "username": {"type": "string"}, "user_role": {"type": "string"}, "role": {"type": "string"}, "token_id": {"type": "integer"}}}}}},
      "401": {"$ref": "#/components/responses/Unauthorized"}}}},
  "/api/v1/admin/users": {"get": {
    "summary": "List accounts (no password hashes); admin", "security": [{"bearer": []}],
    "responses": {"200": {"description": "Users", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "users": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "username": {"type": "string"},
          "role": {"type": "string"}, "disabled": {"type": "boolean"}, "created_at": {"type": "string"}}}}}}}}},
      "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"}}}},
  "/api/v1/signals": {"post": {
    "summary": "Store signal points: the value of a datasource for an entity over a bin; the same (entity, datasource, time) again replaces the value. probe, editor or admin",
    "security": [{"bearer": []}],
    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["points"], "properties": {
      "points": {"type": "array", "maxItems": 10000, "items": {"type": "object", "required": ["entity_type", "entity_code", "datasource", "time", "value"], "properties": {
        "entity_type": {"type": "string", "enum": ["country", "region", "asn"]}, "entity_code": {"type": "string", "example": "AS30987"},
        "datasource": {"type": "string", "example": "active-probing"}, "time": {"description": "Bin start: unix seconds or ISO 8601 UTC"},
        "step": {"type": "integer", "default": 300}, "value": {"type": "number"}}}}}}}}},
    "responses": {"200": {"description": "Stored", "content": {"application/json": {"schema": {"type": "object", "properties": {"stored": {"type": "integer"}}}}}},
      "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"}}}},
  "/api/v1/signals/{entity_type}/{entity_code}": {"get": {
    "summary": "An entity's signals in IODA's shape: stored datasources (bgp, active-probing) and derived ones (watch-checkins, watch-online, watch-state, measurements)",
    "parameters": [
      {"name": "entity_type", "in": "path", "required": true, "schema": {"type": "string", "enum": ["country", "region", "asn"]}},
      {"name": "entity_code", "in": "path", "required": true, "schema": {"type": "string"}, "example": "CM"},
      {"name": "from", "in": "query", "schema": {"type": "string"}, "description": "Unix seconds or ISO 8601; default until - 7 days"},
      {"name": "until", "in": "query", "schema": {"type": "string"}, "description": "Unix seconds or ISO 8601; default now"},
      {"name": "source", "in": "query", "schema": {"type": "string"}, "description": "One datasource; default all"},
      {"name": "subtype", "in": "query", "schema": {"type": "string"}, "description": "watch-state: platform-blocked, dns-tampered, throttled; measurements: a test name or a domain"},
      {"name": "step", "in": "query", "schema": {"type": "integer", "default": 300}}],
    "responses": {"200": {"description": "{type, error, requestParameters, data: [[{entityType, entityCode, datasource, subtype, from, until, step, nativeStep, values}]]}; null values are bins without data",
        "content": {"application/json": {}}},
      "400": {"$ref": "#/components/responses/BadRequest"}}}},
  "/api/v1/events": {"get": {
    "summary": "Disruptions detected by fusing an entity's signals, newest first",
    "parameters": [
      {"name": "entity_type", "in": "query", "schema": {"type": "string", "enum": ["country", "region", "asn"]}},
      {"name": "entity_code", "in": "query", "schema": {"type": "string"}},
      {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["full", "regional", "mobile", "platform", "throttling", "dns"]}},
      {"name": "since", "in": "query", "schema": {"type": "string"}, "description": "Events still going on at or after this time"},
      {"name": "until", "in": "query", "schema": {"type": "string"}, "description": "Events that started before this time"},
      {"name": "ongoing", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
      {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 1000, "maximum": 10000}}],
    "responses": {"200": {"description": "{metadata: {count}, results: [{id, entity_type, entity_code, kind, start, end, ongoing, score, detail: {datasources}, updated_at}]}",
        "content": {"application/json": {}}},
      "400": {"$ref": "#/components/responses/BadRequest"}}}},
  "/api/v1/watch/checkin": {"post": {
    "summary": "A watching probe's heartbeat; answers the last journal seq the server holds. probe or admin", "security": [{"bearer": []}],
    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["probe_key", "state"], "properties": {
      "probe_key": {"type": "string", "description": "hex ed25519 public key"}, "time": {"type": "string"}, "state": {"type": "string"},
      "cc": {"type": "string"}, "asn": {"type": "string"}, "region": {"type": "string"}, "last_seq": {"type": "integer"}}}}}},
    "responses": {"200": {"description": "{last_seq}", "content": {"application/json": {}}},
      "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"}}}},
  "/api/v1/watch/journal": {"post": {
    "summary": "Upload signed, hash-chained journal entries (at most 500, in seq order); each is verified before any is stored. probe or admin", "security": [{"bearer": []}],
    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["probe_key", "entries"], "properties": {
      "probe_key": {"type": "string"}, "entries": {"type": "array", "items": {"type": "object", "required": ["entry", "hash", "signature"], "properties": {
        "entry": {"type": "string", "description": "the exact signed JSON text"}, "hash": {"type": "string"}, "signature": {"type": "string"}}}}}}}}},
    "responses": {"200": {"description": "{accepted, duplicates, last_seq}", "content": {"application/json": {}}},
      "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
      "409": {"description": "A different entry is already stored under one of these seqs"}}}},
  "/{path}": {"get": {
    "summary": "The dashboard: static files from --web, index.html for client-side routes",
    "parameters": [{"name": "path", "in": "path", "required": true, "schema": {"type": "string"}}],
    "responses": {"200": {"description": "A file"}, "404": {"$ref": "#/components/responses/NotFound"}}}}
}
})JSON";
  return doc;
}

}  // namespace vigil::server

/*
 * channel/service_config.c: parsing gRPC service config JSON with json-c.
 */
#include "channel/service_config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

static const char *const code_names[] = {
    "OK",           "CANCELLED",          "UNKNOWN",
    "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION", "ABORTED",     "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL",          "UNAVAILABLE",
    "DATA_LOSS",    "UNAUTHENTICATED"};

bool crpc_service_config_parse_duration(const char *text, int64_t *ms) {
  /* protobuf JSON: seconds with up to 9 fractional digits, then 's'. */
  size_t len = strlen(text);
  if (len < 2 || text[len - 1] != 's' || text[0] == '-')
    return false;
  int64_t secs = 0, nanos = 0;
  size_t i = 0;
  for (; i < len - 1 && text[i] != '.'; i++) {
    if (text[i] < '0' || text[i] > '9' || secs > 315576000000)
      return false;
    secs = secs * 10 + (text[i] - '0');
  }
  if (i == 0)
    return false;
  if (text[i] == '.') {
    int digits = 0;
    for (i++; i < len - 1; i++, digits++) {
      if (text[i] < '0' || text[i] > '9' || digits == 9)
        return false;
      nanos = nanos * 10 + (text[i] - '0');
    }
    if (digits == 0)
      return false;
    for (; digits < 9; digits++)
      nanos *= 10;
  }
  *ms = secs * 1000 + (nanos + 999999) / 1000000;
  return true;
}

#define FAIL(...) (crpc_status_set(why, CRPC_INVALID_ARGUMENT, __VA_ARGS__))

static crpc_code duration_field(json_object *obj, const char *field,
                                const char *where, int64_t *ms,
                                crpc_status *why) {
  json_object *v;
  if (!json_object_object_get_ex(obj, field, &v))
    return FAIL("%s: %s is required", where, field);
  if (!json_object_is_type(v, json_type_string) ||
      !crpc_service_config_parse_duration(json_object_get_string(v), ms) ||
      *ms <= 0)
    return FAIL("%s: %s must be a positive duration like \"0.1s\"", where,
                field);
  return CRPC_OK;
}

static crpc_code parse_codes(json_object *list, uint32_t *codes,
                             crpc_status *why) {
  *codes = 0;
  if (!json_object_is_type(list, json_type_array) ||
      json_object_array_length(list) == 0)
    return FAIL("retryPolicy: retryableStatusCodes must be a non-empty list");
  for (size_t i = 0; i < json_object_array_length(list); i++) {
    json_object *c = json_object_array_get_idx(list, i);
    int code = -1;
    if (json_object_is_type(c, json_type_int)) {
      code = json_object_get_int(c);
    } else if (json_object_is_type(c, json_type_string)) {
      for (int k = 0; k <= 16; k++)
        if (strcmp(json_object_get_string(c), code_names[k]) == 0)
          code = k;
    }
    if (code < 1 || code > 16)
      return FAIL("retryPolicy: bad status code %s in retryableStatusCodes",
                  json_object_to_json_string(c));
    *codes |= 1u << code;
  }
  return CRPC_OK;
}

static crpc_code parse_retry(json_object *obj, crpc_retry_policy *p,
                             crpc_status *why) {
  json_object *v;
  const char *where = "retryPolicy";
  if (!json_object_is_type(obj, json_type_object))
    return FAIL("retryPolicy must be an object");
  if (!json_object_object_get_ex(obj, "maxAttempts", &v) ||
      !json_object_is_type(v, json_type_int) || json_object_get_int(v) < 2)
    return FAIL("retryPolicy: maxAttempts must be an integer of at least 2");
  p->max_attempts = json_object_get_int(v);
  if (p->max_attempts > CRPC_RETRY_MAX_ATTEMPTS)
    p->max_attempts = CRPC_RETRY_MAX_ATTEMPTS;
  crpc_code code;
  if ((code = duration_field(obj, "initialBackoff", where,
                             &p->initial_backoff_ms, why)) != CRPC_OK ||
      (code = duration_field(obj, "maxBackoff", where, &p->max_backoff_ms,
                             why)) != CRPC_OK)
    return code;
  if (!json_object_object_get_ex(obj, "backoffMultiplier", &v) ||
      !(json_object_is_type(v, json_type_double) ||
        json_object_is_type(v, json_type_int)) ||
      !(json_object_get_double(v) > 0))
    return FAIL("retryPolicy: backoffMultiplier must be a number above 0");
  p->backoff_multiplier = json_object_get_double(v);
  if (!json_object_object_get_ex(obj, "retryableStatusCodes", &v))
    return FAIL("retryPolicy: retryableStatusCodes is required");
  return parse_codes(v, &p->retryable_codes, why);
}

/* A copy of a non-empty string |field| into *out, else NULL there. */
static crpc_code dup_string(json_object *obj, const char *field, char **out) {
  json_object *v;
  *out = NULL;
  if (!json_object_object_get_ex(obj, field, &v) ||
      !json_object_is_type(v, json_type_string) ||
      *json_object_get_string(v) == '\0')
    return CRPC_OK;
  *out = crpc_mem_strdup(json_object_get_string(v));
  return *out != NULL ? CRPC_OK : CRPC_RESOURCE_EXHAUSTED;
}

static crpc_code parse_method_config(json_object *mc, crpc_service_config *c,
                                     crpc_status *why) {
  json_object *names, *v;
  if (!json_object_is_type(mc, json_type_object))
    return FAIL("methodConfig entries must be objects");
  if (!json_object_object_get_ex(mc, "name", &names) ||
      !json_object_is_type(names, json_type_array) ||
      json_object_array_length(names) == 0)
    return FAIL("methodConfig: name must be a non-empty list");
  crpc_method_config base = {.timeout_ms = -1, .wait_for_ready = -1};
  if (json_object_object_get_ex(mc, "timeout", &v)) {
    if (!json_object_is_type(v, json_type_string) ||
        !crpc_service_config_parse_duration(json_object_get_string(v),
                                            &base.timeout_ms))
      return FAIL("methodConfig: timeout must be a duration like \"1.5s\"");
  }
  if (json_object_object_get_ex(mc, "waitForReady", &v)) {
    if (!json_object_is_type(v, json_type_boolean))
      return FAIL("methodConfig: waitForReady must be true or false");
    base.wait_for_ready = json_object_get_boolean(v);
  }
  if (json_object_object_get_ex(mc, "retryPolicy", &v)) {
    crpc_code code = parse_retry(v, &base.retry, why);
    if (code != CRPC_OK)
      return code;
    base.has_retry_policy = true;
  }
  for (size_t i = 0; i < json_object_array_length(names); i++) {
    json_object *name = json_object_array_get_idx(names, i);
    if (!json_object_is_type(name, json_type_object))
      return FAIL("methodConfig: each name must be an object");
    crpc_method_config m = base;
    /* Out of memory must not turn a named config into the default. */
    bool copied = dup_string(name, "service", &m.service) == CRPC_OK &&
                  dup_string(name, "method", &m.method) == CRPC_OK;
    if (copied && m.method != NULL && m.service == NULL) {
      crpc_mem_free(m.method);
      return FAIL("methodConfig: a name with a method needs its service");
    }
    crpc_method_config *grown =
        copied ? crpc_mem_realloc(c->methods,
                                  (c->method_count + 1) * sizeof(*grown))
               : NULL;
    if (grown == NULL) {
      crpc_mem_free(m.service);
      crpc_mem_free(m.method);
      return crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
    }
    c->methods = grown;
    c->methods[c->method_count++] = m;
  }
  return CRPC_OK;
}

static crpc_code parse_throttling(json_object *t, crpc_service_config *c,
                                  crpc_status *why) {
  json_object *v;
  if (!json_object_is_type(t, json_type_object))
    return FAIL("retryThrottling must be an object");
  if (!json_object_object_get_ex(t, "maxTokens", &v) ||
      !(json_object_is_type(v, json_type_int) ||
        json_object_is_type(v, json_type_double)) ||
      !(json_object_get_double(v) > 0 && json_object_get_double(v) <= 1000))
    return FAIL("retryThrottling: maxTokens must be in (0, 1000]");
  c->max_tokens = json_object_get_double(v);
  if (!json_object_object_get_ex(t, "tokenRatio", &v) ||
      !(json_object_is_type(v, json_type_int) ||
        json_object_is_type(v, json_type_double)) ||
      !(json_object_get_double(v) > 0))
    return FAIL("retryThrottling: tokenRatio must be above 0");
  /* gRFC A6: tokenRatio keeps three decimal places; one that rounds to 0
   * would never refill the tokens, so grpc-core rejects it too. Truncated
   * by a cast (no libm); ratios past 1e6 have no decimals worth keeping. */
  double ratio = json_object_get_double(v);
  c->token_ratio = ratio < 1e6 ? (double)(int64_t)(ratio * 1000) / 1000 : ratio;
  if (!(c->token_ratio > 0))
    return FAIL("retryThrottling: tokenRatio must be at least 0.001");
  c->has_throttling = true;
  return CRPC_OK;
}

static crpc_code parse_lb(json_object *root, crpc_service_config *c,
                          crpc_status *why) {
  json_object *v;
  if (json_object_object_get_ex(root, "loadBalancingConfig", &v)) {
    if (!json_object_is_type(v, json_type_array))
      return FAIL("loadBalancingConfig must be a list");
    /* The first policy we know wins (service_config.md). */
    for (size_t i = 0; i < json_object_array_length(v); i++) {
      json_object *p = json_object_array_get_idx(v, i);
      if (json_object_object_get_ex(p, "round_robin", NULL)) {
        c->is_round_robin = true;
        return CRPC_OK;
      }
      if (json_object_object_get_ex(p, "pick_first", NULL))
        return CRPC_OK;
    }
    return FAIL("loadBalancingConfig names no supported policy "
                "(pick_first, round_robin)");
  }
  if (json_object_object_get_ex(root, "loadBalancingPolicy", &v)) {
    /* A JSON null is a NULL object here, whose string is NULL. */
    if (!json_object_is_type(v, json_type_string))
      return FAIL("loadBalancingPolicy must be a string");
    const char *name = json_object_get_string(v);
    if (strcasecmp(name, "round_robin") == 0)
      c->is_round_robin = true;
    else if (strcasecmp(name, "pick_first") != 0)
      return FAIL("loadBalancingPolicy %s is not supported", name);
  }
  return CRPC_OK;
}

crpc_code crpc_service_config_parse(const char *json,
                                    crpc_service_config **out,
                                    crpc_status *why) {
  enum json_tokener_error err;
  json_object *root = json_tokener_parse_verbose(json, &err);
  crpc_service_config *c = NULL;
  crpc_code code;
  json_object *v;

  if (root == NULL)
    return FAIL("service config is not JSON: %s",
                json_tokener_error_desc(err));
  if (!json_object_is_type(root, json_type_object)) {
    code = FAIL("service config must be a JSON object");
    goto done;
  }
  c = crpc_mem_calloc(1, sizeof(*c));
  if (c == NULL) {
    code = crpc_status_set(why, CRPC_RESOURCE_EXHAUSTED, "out of memory");
    goto done;
  }
  if (json_object_object_get_ex(root, "methodConfig", &v)) {
    if (!json_object_is_type(v, json_type_array)) {
      code = FAIL("methodConfig must be a list");
      goto done;
    }
    for (size_t i = 0; i < json_object_array_length(v); i++)
      if ((code = parse_method_config(json_object_array_get_idx(v, i), c,
                                      why)) != CRPC_OK)
        goto done;
  }
  if (json_object_object_get_ex(root, "retryThrottling", &v) &&
      (code = parse_throttling(v, c, why)) != CRPC_OK)
    goto done;
  if ((code = parse_lb(root, c, why)) != CRPC_OK)
    goto done;
  *out = c;
  c = NULL;
  code = CRPC_OK;

done:
  crpc_service_config_free(c);
  json_object_put(root);
  return code;
}

void crpc_service_config_free(crpc_service_config *c) {
  if (c == NULL)
    return;
  for (size_t i = 0; i < c->method_count; i++) {
    crpc_mem_free(c->methods[i].service);
    crpc_mem_free(c->methods[i].method);
  }
  crpc_mem_free(c->methods);
  crpc_mem_free(c);
}

const crpc_method_config *
crpc_service_config_find(const crpc_service_config *c, const char *path) {
  if (c == NULL || path[0] != '/')
    return NULL;
  const char *slash = strchr(path + 1, '/');
  if (slash == NULL)
    return NULL;
  size_t svc_len = (size_t)(slash - path - 1);
  const crpc_method_config *svc_default = NULL, *all = NULL;
  for (size_t i = 0; i < c->method_count; i++) {
    const crpc_method_config *m = &c->methods[i];
    if (m->service == NULL) {
      all = all != NULL ? all : m;
      continue;
    }
    if (strncmp(m->service, path + 1, svc_len) != 0 ||
        m->service[svc_len] != '\0')
      continue;
    if (m->method == NULL)
      svc_default = svc_default != NULL ? svc_default : m;
    else if (strcmp(m->method, slash + 1) == 0)
      return m;
  }
  return svc_default != NULL ? svc_default : all;
}

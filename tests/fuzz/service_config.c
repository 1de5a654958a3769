/*
 * tests/fuzz/service_config.c: service config JSON (channel/service_config.h),
 * as users pass it to crpc_channel_opts_set_service_config.
 *
 * The input is the JSON text (cut at its first NUL, as a C string would be).
 * A rejected config says INVALID_ARGUMENT with a message and gives nothing
 * back; an accepted one holds only values gRFC A6 allows, and every method
 * config it holds is what crpc_service_config_find returns for its own name.
 */
#include <string.h>

#include "channel/service_config.h"
#include "fuzz.h"

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

static void check_retry(const crpc_retry_policy *p) {
  FUZZ_CHECK(p->max_attempts >= 2 &&
             p->max_attempts <= CRPC_RETRY_MAX_ATTEMPTS);
  FUZZ_CHECK(p->initial_backoff_ms > 0 && p->max_backoff_ms > 0);
  FUZZ_CHECK(p->backoff_multiplier > 0);
  /* Codes 1..16 only: OK is never retryable. */
  FUZZ_CHECK(p->retryable_codes != 0 && (p->retryable_codes & 1u) == 0);
  FUZZ_CHECK((p->retryable_codes >> 17) == 0);
}

/* The config find() picks for |m|'s own name must be one at least as
 * specific: an exact name finds an entry with that exact name. */
static void check_find(const crpc_service_config *c,
                       const crpc_method_config *m) {
  char path[512];
  if (m->service == NULL || m->method == NULL ||
      strlen(m->service) + strlen(m->method) + 3 > sizeof(path) ||
      strchr(m->service, '/') != NULL)
    return;
  snprintf(path, sizeof(path), "/%s/%s", m->service, m->method);
  const crpc_method_config *found = crpc_service_config_find(c, path);
  FUZZ_CHECK(found != NULL && found->method != NULL);
  FUZZ_CHECK(strcmp(found->service, m->service) == 0);
  FUZZ_CHECK(strcmp(found->method, m->method) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *json = malloc(size + 1);
  crpc_service_config *c = NULL;
  crpc_status why = {CRPC_OK, ""};
  crpc_code rc;

  FUZZ_CHECK(json != NULL);
  memcpy(json, data, size);
  json[size] = '\0';
  rc = crpc_service_config_parse(json, &c, &why);
  if (rc != CRPC_OK) {
    FUZZ_CHECK(rc == CRPC_INVALID_ARGUMENT && why.code == rc);
    FUZZ_CHECK(why.message[0] != '\0' && TERMINATED(why.message));
    FUZZ_CHECK(c == NULL);
  } else {
    FUZZ_CHECK(c != NULL);
    FUZZ_CHECK(
        !c->has_throttling ||
        (c->max_tokens > 0 && c->max_tokens <= 1000 && c->token_ratio > 0));
    for (size_t i = 0; i < c->method_count; i++) {
      const crpc_method_config *m = &c->methods[i];
      FUZZ_CHECK(m->method == NULL || m->service != NULL);
      FUZZ_CHECK(m->service == NULL || m->service[0] != '\0');
      FUZZ_CHECK(m->timeout_ms >= -1);
      FUZZ_CHECK(m->wait_for_ready >= -1 && m->wait_for_ready <= 1);
      if (m->has_retry_policy)
        check_retry(&m->retry);
      check_find(c, m);
    }
    FUZZ_CHECK(crpc_service_config_find(c, "no slash") == NULL);
  }
  crpc_service_config_free(c);
  free(json);
  return 0;
}

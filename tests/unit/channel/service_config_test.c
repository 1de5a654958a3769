/*
 * tests/unit/channel/service_config_test.c: service config JSON parsing.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "channel/retry.h"
#include "channel/service_config.h"

static crpc_service_config *parse_ok(const char *json) {
  crpc_service_config *c = NULL;
  crpc_status why;
  cr_assert_eq(crpc_service_config_parse(json, &c, &why), CRPC_OK, "%s",
               why.message);
  return c;
}

static void parse_bad(const char *json, const char *why_part) {
  crpc_service_config *c = NULL;
  crpc_status why;
  cr_assert_eq(crpc_service_config_parse(json, &c, &why),
               CRPC_INVALID_ARGUMENT, "accepted %s", json);
  cr_assert_null(c);
  cr_assert(strstr(why.message, why_part) != NULL, "\"%s\" lacks \"%s\"",
            why.message, why_part);
}

Test(service_config, parses_a_full_retry_config) {
  crpc_service_config *c = parse_ok(
      "{\"methodConfig\":[{\"name\":[{\"service\":\"a.B\",\"method\":\"C\"},"
      "{\"service\":\"a.D\"}],\"timeout\":\"1.5s\",\"waitForReady\":true,"
      "\"retryPolicy\":{\"maxAttempts\":4,\"initialBackoff\":\"0.1s\","
      "\"maxBackoff\":\"2s\",\"backoffMultiplier\":1.5,"
      "\"retryableStatusCodes\":[\"UNAVAILABLE\",\"ABORTED\"]}}],"
      "\"retryThrottling\":{\"maxTokens\":10,\"tokenRatio\":0.1234},"
      "\"loadBalancingConfig\":[{\"round_robin\":{}}]}");
  cr_assert_eq(c->method_count, 2);
  const crpc_method_config *m = crpc_service_config_find(c, "/a.B/C");
  cr_assert_not_null(m);
  cr_assert_eq(m->timeout_ms, 1500);
  cr_assert_eq(m->wait_for_ready, 1);
  cr_assert(m->has_retry_policy);
  cr_assert_eq(m->retry.max_attempts, 4);
  cr_assert_eq(m->retry.initial_backoff_ms, 100);
  cr_assert_eq(m->retry.max_backoff_ms, 2000);
  cr_assert_float_eq(m->retry.backoff_multiplier, 1.5, 1e-9);
  cr_assert_eq(m->retry.retryable_codes,
               (1u << CRPC_UNAVAILABLE) | (1u << CRPC_ABORTED));
  cr_assert_eq(crpc_service_config_find(c, "/a.D/Anything"), &c->methods[1]);
  cr_assert_null(crpc_service_config_find(c, "/a.B/Other"));
  cr_assert(c->has_throttling);
  cr_assert_float_eq(c->token_ratio, 0.123, 1e-9);
  cr_assert(c->is_round_robin);
  crpc_service_config_free(c);
}

Test(service_config, exact_method_beats_service_beats_default) {
  crpc_service_config *c = parse_ok(
      "{\"methodConfig\":[{\"name\":[{}],\"timeout\":\"1s\"},"
      "{\"name\":[{\"service\":\"s.S\"}],\"timeout\":\"2s\"},"
      "{\"name\":[{\"service\":\"s.S\",\"method\":\"M\"}],\"timeout\":\"3s\"}]}");
  cr_assert_eq(crpc_service_config_find(c, "/s.S/M")->timeout_ms, 3000);
  cr_assert_eq(crpc_service_config_find(c, "/s.S/N")->timeout_ms, 2000);
  cr_assert_eq(crpc_service_config_find(c, "/t.T/M")->timeout_ms, 1000);
  crpc_service_config_free(c);
}

Test(service_config, caps_attempts_at_five) {
  crpc_service_config *c = parse_ok(
      "{\"methodConfig\":[{\"name\":[{}],\"retryPolicy\":{\"maxAttempts\":9,"
      "\"initialBackoff\":\"1s\",\"maxBackoff\":\"1s\",\"backoffMultiplier\":"
      "1,\"retryableStatusCodes\":[14]}}]}");
  cr_assert_eq(c->methods[0].retry.max_attempts, 5);
  crpc_service_config_free(c);
}

#define RETRY(body)                                                            \
  "{\"methodConfig\":[{\"name\":[{}],\"retryPolicy\":{" body "}}]}"
#define GOOD_REST                                                              \
  "\"initialBackoff\":\"1s\",\"maxBackoff\":\"1s\",\"backoffMultiplier\":2,"  \
  "\"retryableStatusCodes\":[\"UNAVAILABLE\"]"

Test(service_config, rejects_what_grpc_rejects) {
  parse_bad("{", "not JSON");
  parse_bad("[]", "JSON object");
  parse_bad("{\"methodConfig\":{}}", "methodConfig must be a list");
  parse_bad("{\"methodConfig\":[{}]}", "name must be a non-empty list");
  parse_bad("{\"methodConfig\":[{\"name\":[{\"method\":\"M\"}]}]}",
            "needs its service");
  parse_bad("{\"methodConfig\":[{\"name\":[{}],\"timeout\":\"1\"}]}",
            "timeout");
  parse_bad(RETRY("\"maxAttempts\":1," GOOD_REST), "maxAttempts");
  parse_bad(RETRY("\"maxAttempts\":\"3\"," GOOD_REST), "maxAttempts");
  parse_bad(RETRY("\"maxAttempts\":3,\"initialBackoff\":\"0s\","
                  "\"maxBackoff\":\"1s\",\"backoffMultiplier\":2,"
                  "\"retryableStatusCodes\":[14]"),
            "initialBackoff");
  parse_bad(RETRY("\"maxAttempts\":3,\"initialBackoff\":\"1s\","
                  "\"backoffMultiplier\":2,\"retryableStatusCodes\":[14]"),
            "maxBackoff is required");
  parse_bad(RETRY("\"maxAttempts\":3,\"initialBackoff\":\"1s\","
                  "\"maxBackoff\":\"1s\",\"backoffMultiplier\":0,"
                  "\"retryableStatusCodes\":[14]"),
            "backoffMultiplier");
  parse_bad(RETRY("\"maxAttempts\":3,\"initialBackoff\":\"1s\","
                  "\"maxBackoff\":\"1s\",\"backoffMultiplier\":2,"
                  "\"retryableStatusCodes\":[]"),
            "non-empty");
  parse_bad(RETRY("\"maxAttempts\":3,\"initialBackoff\":\"1s\","
                  "\"maxBackoff\":\"1s\",\"backoffMultiplier\":2,"
                  "\"retryableStatusCodes\":[\"NOPE\"]"),
            "NOPE");
  parse_bad("{\"retryThrottling\":{\"maxTokens\":0,\"tokenRatio\":1}}",
            "maxTokens");
  parse_bad("{\"retryThrottling\":{\"maxTokens\":5}}", "tokenRatio");
  /* Rounds to 0 at gRFC A6's three decimals: tokens would never refill. */
  parse_bad("{\"retryThrottling\":{\"maxTokens\":5,\"tokenRatio\":0.0004}}",
            "tokenRatio");
  parse_bad("{\"loadBalancingConfig\":[{\"grpclb\":{}}]}",
            "no supported policy");
  /* A fuzzer finding: null read as a NULL string crashed strcasecmp. */
  parse_bad("{\"loadBalancingPolicy\":null}", "must be a string");
}

Test(service_config, parses_protobuf_json_durations) {
  int64_t ms;
  cr_assert(crpc_service_config_parse_duration("1s", &ms) && ms == 1000);
  cr_assert(crpc_service_config_parse_duration("0.000001s", &ms) && ms == 1);
  cr_assert(crpc_service_config_parse_duration("2.5s", &ms) && ms == 2500);
  cr_assert(!crpc_service_config_parse_duration("1", &ms));
  cr_assert(!crpc_service_config_parse_duration("-1s", &ms));
  cr_assert(!crpc_service_config_parse_duration("1.s", &ms));
  cr_assert(!crpc_service_config_parse_duration("1.0000000001s", &ms));
  cr_assert(!crpc_service_config_parse_duration("s", &ms));
}

Test(retry_policy, backoff_stays_within_its_cap) {
  crpc_retry_policy p = {.max_attempts = 5, .initial_backoff_ms = 100,
                         .max_backoff_ms = 300, .backoff_multiplier = 2};
  int64_t most = 0;
  for (int i = 0; i < 1000; i++) {
    int64_t first = crpc_retry_backoff_ms(&p, 1);
    int64_t third = crpc_retry_backoff_ms(&p, 3);
    cr_assert(first >= 0 && first <= 100, "%lld", (long long)first);
    cr_assert(third >= 0 && third <= 300, "%lld", (long long)third);
    most = third > most ? third : most;
  }
  cr_assert(most > 200, "backoff is not randomized over its range");
}

Test(retry_policy, throttle_allows_while_above_half) {
  crpc_service_config c = {.has_throttling = true, .max_tokens = 4,
                           .token_ratio = 0.5};
  crpc_retry_throttle t;
  crpc_retry_throttle_init(&t, &c);
  cr_assert(crpc_retry_throttle_allows(&t));
  crpc_retry_throttle_record(&t, true); /* 3 */
  cr_assert(crpc_retry_throttle_allows(&t));
  crpc_retry_throttle_record(&t, true); /* 2: not above half */
  cr_assert_not(crpc_retry_throttle_allows(&t));
  crpc_retry_throttle_record(&t, false); /* 2.5 */
  cr_assert(crpc_retry_throttle_allows(&t));
  crpc_retry_throttle_init(&t, NULL);
  for (int i = 0; i < 10; i++)
    crpc_retry_throttle_record(&t, true);
  cr_assert(crpc_retry_throttle_allows(&t)); /* no throttling configured */
}

/*
 * wire/timeout.h: the grpc-timeout header (PROTOCOL-HTTP2.md "Requests"):
 * at most 8 ASCII digits followed by a unit, H (hours), M (minutes),
 * S (seconds), m (milliseconds), u (microseconds) or n (nanoseconds).
 */
#ifndef CRPC_WIRE_TIMEOUT_H
#define CRPC_WIRE_TIMEOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest value including its NUL: 8 digits, a unit, NUL. */
#define CRPC_TIMEOUT_MAX_LEN 10

/*
 * Parses |len| bytes at |v| into milliseconds, rounding up so that a
 * deadline is never shortened ("1n" is 1 ms; "0m" is 0). False for anything
 * but 1-8 digits and one unit.
 */
bool crpc_timeout_parse(const char *v, size_t len, int64_t *timeout_ms);

/*
 * Writes |timeout_ms| as a NUL-terminated value into |out| and returns its
 * length (without the NUL). Uses milliseconds while they fit in 8 digits,
 * then the finest of S, M, H that fits, rounding up; values past 99999999
 * hours are capped. A non-positive timeout is sent as "1n", as grpc does,
 * so the server sees a deadline that has already expired.
 */
size_t crpc_timeout_format(int64_t timeout_ms, char out[CRPC_TIMEOUT_MAX_LEN]);

#endif /* CRPC_WIRE_TIMEOUT_H */

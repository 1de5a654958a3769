/*
 * crpc/health.h: the gRPC health checking service, grpc.health.v1.Health
 * (grpc/grpc doc/health-checking.md), as Kubernetes gRPC probes,
 * grpc_health_probe, grpcurl and load balancers expect it.
 *
 *   crpc_health *health;
 *   crpc_health_register(server, &health);          before crpc_server_start
 *   crpc_health_set(health, "shop.Users", CRPC_HEALTH_SERVING);
 *   ...
 *   crpc_server_free(server);
 *   crpc_health_free(health);                       after the server
 *
 * Check answers the status of a service name, NOT_FOUND for a name never
 * set. Watch sends the current status at once (SERVICE_UNKNOWN for a name
 * never set, and keeps watching), then every change. The empty name "" is
 * the server as a whole; it starts SERVING. Other names are whatever the
 * application sets, usually fully qualified service names.
 *
 * When crpc_server_shutdown() begins, every name turns NOT_SERVING, Watch
 * calls receive that and end (status OK), and later crpc_health_set() calls
 * change nothing.
 */
#ifndef CRPC_HEALTH_H
#define CRPC_HEALTH_H

#include "common.h"
#include "server.h"

#ifdef __cplusplus
extern "C" {
#endif

/* grpc.health.v1.HealthCheckResponse.ServingStatus, same values. */
typedef enum crpc_health_status {
  CRPC_HEALTH_UNKNOWN = 0,
  CRPC_HEALTH_SERVING = 1,
  CRPC_HEALTH_NOT_SERVING = 2,
  CRPC_HEALTH_SERVICE_UNKNOWN = 3 /* only sent by Watch, never set */
} crpc_health_status;

typedef struct crpc_health crpc_health;

/*
 * Serves grpc.health.v1.Health on |server| and gives, in *out, the object
 * that holds the statuses. Call before crpc_server_start(), once per
 * server. The caller owns *out: free it with crpc_health_free() after
 * crpc_server_free() (Watch handlers and the shutdown hook use it until
 * then). INVALID_ARGUMENT if |out| is NULL, the server runs or already
 * serves grpc.health.v1.Health; RESOURCE_EXHAUSTED without memory. *out is
 * untouched on failure.
 */
CRPC_API crpc_code crpc_health_register(crpc_server *server, crpc_health **out);

/*
 * Sets the status of |service| ("" for the whole server) and sends it to
 * every Watch of that name. |status| is UNKNOWN, SERVING or NOT_SERVING;
 * anything else is INVALID_ARGUMENT. Any thread, any time; once the
 * server's shutdown began it returns CRPC_OK and changes nothing.
 * RESOURCE_EXHAUSTED without memory.
 */
CRPC_API crpc_code crpc_health_set(crpc_health *health, const char *service,
                                   crpc_health_status status);

/*
 * Frees |health|. Only after crpc_server_free() of the server it was
 * registered on (or if that server was never started, after
 * crpc_server_free() too). NULL is a no-op.
 */
CRPC_API void crpc_health_free(crpc_health *health);

#ifdef __cplusplus
}
#endif

#endif /* CRPC_HEALTH_H */

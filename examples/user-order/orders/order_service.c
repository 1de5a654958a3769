/*
 * examples/user-order/orders/order_service.c: order-service, the owner of
 * orders (proto/orders.proto, userorder.orders.v1.OrderService). It calls
 * user-service and product-service synchronously from its handlers.
 *
 *   order-service [--host 127.0.0.1] [--port 7003] [--db orders.db]
 *                 [--users TARGET] [--products TARGET]
 *                 [--backend-timeout-ms N] [--sweep-interval-ms N]
 *                 [--pending-timeout-ms N] [--plaintext | --tls-dir DIR]
 *
 * TARGETs are crpc channel targets, usually DNS names resolved with c-ares
 * ("dns:///users.svc.test:7001", or "dns://127.0.0.1:5353/users.svc.test:
 * 7001" to ask a given DNS server). Calls to user-service are spread over
 * every address its name has (round_robin), and calls to either service
 * that fail UNAVAILABLE (an instance died, a connection broke) are retried
 * on the channel: see backend_config() below.
 *
 * CreateOrder is idempotent on the client's request id. An order row is
 * written PENDING before stock is reserved (under the same id), and leaves
 * PENDING only for CONFIRMED, once the reservation is known to hold, or
 * FAILED, once it is known to be released. Orders left PENDING are rolled
 * back by a thread of their own: at start those from before, later those
 * PENDING for longer than --pending-timeout-ms. README.md ("Consistency")
 * says why; the code below says how.
 */
/* clock_gettime() and pthread_condattr_setclock() are POSIX, not C11. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "db.h"
#include "orders.crpc.h"
#include "orders.pb-c.h"
#include "products.crpc.h"
#include "products.pb-c.h"
#include "users.crpc.h"
#include "users.pb-c.h"

#define NAME "order-service"

/* ReleaseStock is cleanup: it gets its own time, not the caller's. */
#define RELEASE_TIMEOUT_MS 2000
/* How often startup recovery retries while product-service is away. */
#define RECOVERY_RETRY_MS 2000
/* Longest client request id accepted. */
#define REQUEST_ID_MAX 128

/*
 * The service config (gRPC JSON) of the channel to |service|, the full
 * service name, with the load balancing policy |lb|. Every method the
 * order service calls is safe to repeat: GetUser and BatchGetProducts
 * read, ReserveStock and ReleaseStock are keyed by the order's request id.
 * So UNAVAILABLE, which says the call may not have run, is retried: up to
 * 4 attempts, 100 ms backoff doubling to 1 s, all within the call's
 * deadline (the incoming one, passed on). A failed instance costs a retry,
 * not an order.
 */
static const char *backend_config(char *buf, size_t len, const char *service,
                                  const char *lb) {
  snprintf(buf, len,
           "{\"loadBalancingConfig\": [{\"%s\": {}}],"
           " \"methodConfig\": [{\"name\": [{\"service\": \"%s\"}],"
           " \"retryPolicy\": {\"maxAttempts\": 4,"
           " \"initialBackoff\": \"0.1s\", \"maxBackoff\": \"1s\","
           " \"backoffMultiplier\": 2,"
           " \"retryableStatusCodes\": [\"UNAVAILABLE\"]}}]}",
           lb, service);
  return buf;
}

typedef Userorder__Orders__V1__Order Order;
typedef Userorder__Orders__V1__OrderLine OrderLine;
typedef Userorder__Orders__V1__CreateOrderRequest CreateOrderRequest;
typedef Userorder__Products__V1__Product Product;
typedef Userorder__Products__V1__StockLine StockLine;

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS orders ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  request_id TEXT NOT NULL UNIQUE,"
    "  user_id INTEGER NOT NULL,"
    "  user_name TEXT NOT NULL,"
    "  total_minor INTEGER NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('PENDING', 'CONFIRMED', "
    "'FAILED')),"
    "  failure_code INTEGER NOT NULL DEFAULT 0,"
    "  failure TEXT NOT NULL DEFAULT '',"
    "  created_unix_ms INTEGER NOT NULL,"
    "  updated_unix_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS orders_by_user ON orders (user_id, id);"
    /* What the sweeper looks for, without reading every order. */
    "CREATE INDEX IF NOT EXISTS orders_pending ON orders (created_unix_ms) "
    "  WHERE state = 'PENDING';"
    "CREATE TABLE IF NOT EXISTS order_lines ("
    "  order_id INTEGER NOT NULL REFERENCES orders (id),"
    "  line_no INTEGER NOT NULL,"
    "  product_id INTEGER NOT NULL,"
    "  product_name TEXT NOT NULL,"
    "  quantity INTEGER NOT NULL CHECK (quantity > 0),"
    "  unit_price_minor INTEGER NOT NULL,"
    "  PRIMARY KEY (order_id, line_no));";

struct orders {
  const char *db_path;
  crpc_channel *users;
  crpc_channel *products;
  /* Outbound deadline for calls whose own caller set none. */
  int64_t backend_timeout_ms;

  /*
   * Request ids being worked on in this process. One CreateOrder (or the
   * sweeper thread) at a time per request id: a second one gets ABORTED
   * and retries. With the reservation keyed by the same id this is what
   * makes "reserve, then confirm" and "release, then fail" safe from each
   * other. It holds within one process, so run one order-service per
   * database file.
   */
  pthread_mutex_t mu;
  char **busy;
  size_t busy_count, busy_cap;

  /*
   * The sweeper thread (sweeper_main) rolls back PENDING orders: those from
   * before the start (ids up to recover_up_to_id, 0 if none), then every
   * sweep_interval_ms (0: never) those PENDING for over pending_timeout_ms.
   * |wake|, waited on with |mu|, ends its sleep when is_stopping is set.
   */
  pthread_t sweeper;
  bool has_sweeper;
  pthread_cond_t wake;
  atomic_bool is_stopping;
  int64_t recover_up_to_id;
  int64_t sweep_interval_ms;
  int64_t pending_timeout_ms;
};

/* --- Request-id claims -------------------------------------------------- */

static bool claim(struct orders *app, const char *request_id) {
  bool ok = true;
  size_t i;

  pthread_mutex_lock(&app->mu);
  for (i = 0; i < app->busy_count; i++)
    if (strcmp(app->busy[i], request_id) == 0)
      ok = false;
  if (ok && app->busy_count == app->busy_cap) {
    size_t cap = app->busy_cap == 0 ? 16 : app->busy_cap * 2;
    char **bigger = realloc(app->busy, cap * sizeof(*bigger));
    if (bigger == NULL)
      ok = false;
    else {
      app->busy = bigger;
      app->busy_cap = cap;
    }
  }
  if (ok && (app->busy[app->busy_count] = strdup(request_id)) == NULL)
    ok = false;
  if (ok)
    app->busy_count++;
  pthread_mutex_unlock(&app->mu);
  return ok;
}

static void unclaim(struct orders *app, const char *request_id) {
  size_t i;

  pthread_mutex_lock(&app->mu);
  for (i = 0; i < app->busy_count; i++)
    if (strcmp(app->busy[i], request_id) == 0) {
      free(app->busy[i]);
      app->busy[i] = app->busy[--app->busy_count];
      break;
    }
  pthread_mutex_unlock(&app->mu);
}

/* --- Memory for orders read from the database ---------------------------- */

/*
 * Unary replies live in the call's arena; orders streamed by ListOrders
 * and those the sweeper thread reads come from malloc, freed one order at
 * a time with pool_clear().
 */
struct pool {
  crpc_server_call *call; /* NULL: malloc */
  void **blocks;
  size_t count, cap;
};

static void *pool_alloc(struct pool *pool, size_t len) {
  void *p;

  if (pool->call != NULL)
    return crpc_server_call_alloc(pool->call, len);
  if (pool->count == pool->cap) {
    size_t cap = pool->cap == 0 ? 32 : pool->cap * 2;
    void **bigger = realloc(pool->blocks, cap * sizeof(*bigger));
    if (bigger == NULL)
      return NULL;
    pool->blocks = bigger;
    pool->cap = cap;
  }
  p = calloc(1, len);
  if (p != NULL)
    pool->blocks[pool->count++] = p;
  return p;
}

static char *pool_strdup(struct pool *pool, const char *s) {
  size_t len = strlen(s) + 1;
  char *copy = pool_alloc(pool, len);

  if (copy != NULL)
    memcpy(copy, s, len);
  return copy;
}

static void pool_clear(struct pool *pool) {
  while (pool->count > 0)
    free(pool->blocks[--pool->count]);
}

static void pool_free(struct pool *pool) {
  pool_clear(pool);
  free(pool->blocks);
  pool->blocks = NULL;
  pool->cap = 0;
}

/* --- The orders database ------------------------------------------------- */

static Userorder__Orders__V1__OrderState state_of(const char *text) {
  if (strcmp(text, "PENDING") == 0)
    return USERORDER__ORDERS__V1__ORDER_STATE__ORDER_STATE_PENDING;
  if (strcmp(text, "CONFIRMED") == 0)
    return USERORDER__ORDERS__V1__ORDER_STATE__ORDER_STATE_CONFIRMED;
  if (strcmp(text, "FAILED") == 0)
    return USERORDER__ORDERS__V1__ORDER_STATE__ORDER_STATE_FAILED;
  return USERORDER__ORDERS__V1__ORDER_STATE__ORDER_STATE_UNSPECIFIED;
}

static const char *column_text(sqlite3_stmt *stmt, int i) {
  const char *text = (const char *)sqlite3_column_text(stmt, i);
  return text != NULL ? text : "";
}

/*
 * Reads the order with id |id| (when |request_id| is NULL) or with
 * |request_id| into |out|, failure code into *failure_code if not NULL.
 * Returns 1 when found, 0 when not, -1 on a database or memory error.
 */
static int load_order(struct pool *pool, sqlite3 *db, int64_t id,
                      const char *request_id, Order *out,
                      crpc_code *failure_code) {
  sqlite3_stmt *stmt = NULL;
  OrderLine **lines = NULL, *line;
  size_t count = 0, cap = 0;
  int rc, result = -1;

  if (sqlite3_prepare_v2(
          db,
          request_id == NULL
              ? "SELECT id, request_id, user_id, user_name, total_minor, "
                "currency, state, failure_code, failure, created_unix_ms "
                "FROM orders WHERE id = ?"
              : "SELECT id, request_id, user_id, user_name, total_minor, "
                "currency, state, failure_code, failure, created_unix_ms "
                "FROM orders WHERE request_id = ?",
          -1, &stmt, NULL) != SQLITE_OK)
    goto done;
  if (request_id == NULL)
    sqlite3_bind_int64(stmt, 1, id);
  else
    sqlite3_bind_text(stmt, 1, request_id, -1, SQLITE_STATIC);
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) {
    result = 0;
    goto done;
  }
  if (rc != SQLITE_ROW)
    goto done;
  out->id = sqlite3_column_int64(stmt, 0);
  out->request_id = pool_strdup(pool, column_text(stmt, 1));
  out->user_id = sqlite3_column_int64(stmt, 2);
  out->user_name = pool_strdup(pool, column_text(stmt, 3));
  out->total_minor = sqlite3_column_int64(stmt, 4);
  out->currency = pool_strdup(pool, column_text(stmt, 5));
  out->state = state_of(column_text(stmt, 6));
  if (failure_code != NULL)
    *failure_code = (crpc_code)sqlite3_column_int(stmt, 7);
  out->failure = pool_strdup(pool, column_text(stmt, 8));
  out->created_unix_ms = sqlite3_column_int64(stmt, 9);
  if (out->request_id == NULL || out->user_name == NULL ||
      out->currency == NULL || out->failure == NULL)
    goto done;
  sqlite3_finalize(stmt);

  if (sqlite3_prepare_v2(db,
                         "SELECT product_id, quantity, product_name, "
                         "unit_price_minor FROM order_lines WHERE order_id = "
                         "? ORDER BY line_no",
                         -1, &stmt, NULL) != SQLITE_OK)
    goto done;
  sqlite3_bind_int64(stmt, 1, out->id);
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (count == cap) {
      OrderLine **bigger;
      cap = cap == 0 ? 8 : cap * 2;
      bigger = pool_alloc(pool, cap * sizeof(*bigger));
      if (bigger == NULL)
        goto done;
      if (count > 0)
        memcpy(bigger, lines, count * sizeof(*bigger));
      lines = bigger;
    }
    line = pool_alloc(pool, sizeof(*line));
    if (line == NULL)
      goto done;
    userorder__orders__v1__order_line__init(line);
    line->product_id = sqlite3_column_int64(stmt, 0);
    line->quantity = sqlite3_column_int(stmt, 1);
    line->product_name = pool_strdup(pool, column_text(stmt, 2));
    line->unit_price_minor = sqlite3_column_int64(stmt, 3);
    line->line_total_minor = line->unit_price_minor * line->quantity;
    if (line->product_name == NULL)
      goto done;
    lines[count++] = line;
  }
  if (rc != SQLITE_DONE)
    goto done;
  out->n_lines = count;
  out->lines = lines;
  result = 1;

done:
  sqlite3_finalize(stmt);
  return result;
}

/*
 * Inserts |order| (state PENDING, lines priced) and sets its id and
 * creation time. One transaction: the order and its lines or nothing.
 */
static int insert_pending(sqlite3 *db, Order *order) {
  sqlite3_stmt *stmt = NULL;
  size_t i;

  order->created_unix_ms = uo_unix_ms();
  if (uo_db_exec(db, "insert order", "BEGIN IMMEDIATE") != 0)
    return -1;
  if (sqlite3_prepare_v2(
          db,
          "INSERT INTO orders (request_id, user_id, user_name, total_minor, "
          "currency, state, created_unix_ms, updated_unix_ms) "
          "VALUES (?1, ?2, ?3, ?4, ?5, 'PENDING', ?6, ?6)",
          -1, &stmt, NULL) != SQLITE_OK)
    goto fail;
  sqlite3_bind_text(stmt, 1, order->request_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(stmt, 2, order->user_id);
  sqlite3_bind_text(stmt, 3, order->user_name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(stmt, 4, order->total_minor);
  sqlite3_bind_text(stmt, 5, order->currency, -1, SQLITE_STATIC);
  sqlite3_bind_int64(stmt, 6, order->created_unix_ms);
  if (sqlite3_step(stmt) != SQLITE_DONE)
    goto fail;
  sqlite3_finalize(stmt);
  stmt = NULL;
  order->id = sqlite3_last_insert_rowid(db);
  for (i = 0; i < order->n_lines; i++) {
    const OrderLine *line = order->lines[i];
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO order_lines (order_id, line_no, "
                           "product_id, product_name, quantity, "
                           "unit_price_minor) VALUES (?, ?, ?, ?, ?, ?)",
                           -1, &stmt, NULL) != SQLITE_OK)
      goto fail;
    sqlite3_bind_int64(stmt, 1, order->id);
    sqlite3_bind_int64(stmt, 2, (int64_t)i);
    sqlite3_bind_int64(stmt, 3, line->product_id);
    sqlite3_bind_text(stmt, 4, line->product_name, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 5, line->quantity);
    sqlite3_bind_int64(stmt, 6, line->unit_price_minor);
    if (sqlite3_step(stmt) != SQLITE_DONE)
      goto fail;
    sqlite3_finalize(stmt);
    stmt = NULL;
  }
  if (uo_db_exec(db, "insert order", "COMMIT") != 0)
    goto fail;
  return 0;

fail:
  fprintf(stderr, NAME ": insert order %s: %s\n", order->request_id,
          sqlite3_errmsg(db));
  sqlite3_finalize(stmt);
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}

/*
 * Moves order |id| out of PENDING to "CONFIRMED" or "FAILED" (with
 * |failure_code| and |failure|). Only from PENDING: a final state is
 * final. Returns 1 when it moved the order, 0 when the order was no longer
 * PENDING, -1 on a database error.
 */
static int settle(sqlite3 *db, int64_t id, const char *state,
                  crpc_code failure_code, const char *failure) {
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2(db,
                         "UPDATE orders SET state = ?2, failure_code = ?3, "
                         "failure = ?4, updated_unix_ms = ?5 "
                         "WHERE id = ?1 AND state = 'PENDING'",
                         -1, &stmt, NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_int64(stmt, 1, id);
  sqlite3_bind_text(stmt, 2, state, -1, SQLITE_STATIC);
  sqlite3_bind_int(stmt, 3, (int)failure_code);
  sqlite3_bind_text(stmt, 4, failure, -1, SQLITE_STATIC);
  sqlite3_bind_int64(stmt, 5, uo_unix_ms());
  rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) {
    fprintf(stderr, NAME ": settle order %" PRId64 ": %s\n", id,
            sqlite3_errmsg(db));
    return -1;
  }
  return sqlite3_changes(db);
}

/* --- Calls to product-service ------------------------------------------- */

/*
 * Gives back whatever is reserved under |request_id| (a no-op, and a
 * tombstone, when nothing is). Its own deadline: compensation must not die
 * with the caller that needs it.
 */
static crpc_code release_stock(struct orders *app, const char *request_id,
                               crpc_status *why) {
  Userorder__Products__V1__ReleaseStockRequest release =
      USERORDER__PRODUCTS__V1__RELEASE_STOCK_REQUEST__INIT;
  Userorder__Products__V1__Reservation *reservation = NULL;
  crpc_call_opts *opts = NULL;
  crpc_code code;

  code = crpc_call_opts_new(&opts);
  if (code != CRPC_OK)
    return crpc_status_set(why, code, "out of memory");
  crpc_call_opts_set_timeout_ms(opts, RELEASE_TIMEOUT_MS);
  release.reservation_id = (char *)request_id;
  /* The channel's retry policy retries UNAVAILABLE (backend_config()). */
  code = userorder__products__v1__product_service__release_stock__call(
      app->products, &release, &reservation, opts, why);
  if (code == CRPC_OK)
    userorder__products__v1__reservation__free_unpacked(reservation, NULL);
  crpc_call_opts_free(opts);
  return code;
}

/* Definite answers: the reservation was refused and took nothing. */
static bool is_refusal(crpc_code code) {
  return code == CRPC_FAILED_PRECONDITION || code == CRPC_NOT_FOUND ||
         code == CRPC_INVALID_ARGUMENT;
}

/*
 * Reserves stock for PENDING |order| and settles it. Returns CRPC_OK with
 * the order CONFIRMED, the refusal with the order FAILED (stock released),
 * or a transient code with the order still PENDING.
 */
static crpc_code reserve_and_settle(struct orders *app, crpc_server_call *call,
                                    sqlite3 *db, const Order *order,
                                    const crpc_call_opts *opts) {
  Userorder__Products__V1__ReserveStockRequest reserve =
      USERORDER__PRODUCTS__V1__RESERVE_STOCK_REQUEST__INIT;
  Userorder__Products__V1__Reservation *reservation = NULL;
  StockLine *lines, **line_ptrs;
  crpc_status why, release_why;
  crpc_code code;
  size_t i;

  lines = crpc_server_call_alloc(call, order->n_lines * sizeof(*lines));
  line_ptrs = crpc_server_call_alloc(call, order->n_lines * sizeof(*line_ptrs));
  if (lines == NULL || line_ptrs == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  for (i = 0; i < order->n_lines; i++) {
    userorder__products__v1__stock_line__init(&lines[i]);
    lines[i].product_id = order->lines[i]->product_id;
    lines[i].quantity = order->lines[i]->quantity;
    line_ptrs[i] = &lines[i];
  }
  reserve.reservation_id = order->request_id;
  reserve.n_lines = order->n_lines;
  reserve.lines = line_ptrs;

  /*
   * The idempotency key is the request id: if an earlier attempt's reserve
   * went through and only its reply was lost, this one is a no-op. That
   * is also what lets the channel retry it on UNAVAILABLE.
   */
  code = userorder__products__v1__product_service__reserve_stock__call(
      app->products, &reserve, &reservation, opts, &why);
  if (code == CRPC_OK) {
    userorder__products__v1__reservation__free_unpacked(reservation, NULL);
    if (settle(db, order->id, "CONFIRMED", CRPC_OK, "") < 0)
      return crpc_server_call_fail(call, CRPC_INTERNAL,
                                   "order %" PRId64 " reserved but not saved "
                                   "as confirmed; retry with the same "
                                   "request id",
                                   order->id);
    return CRPC_OK;
  }
  if (is_refusal(code)) {
    /*
     * Nothing was taken by this call, but an earlier attempt's reserve may
     * still be on its way: release leaves a tombstone it cannot pass, or
     * undoes it if it got there first. Only then is FAILED true.
     */
    if (release_stock(app, order->request_id, &release_why) == CRPC_OK &&
        settle(db, order->id, "FAILED", code, why.message) < 0)
      return crpc_server_call_fail(call, CRPC_INTERNAL,
                                   "order %" PRId64 ": cannot save failure",
                                   order->id);
    return crpc_server_call_fail(call, code, "%s", why.message);
  }
  return crpc_server_call_fail(call, code,
                               "product-service: %s; order %" PRId64
                               " is pending, retry with the same request id",
                               why.message, order->id);
}

/* --- Handlers ------------------------------------------------------------ */

/*
 * Options for the calls CreateOrder makes: children of |call|, so they get
 * its deadline and die with it (the client cancelling, the deadline
 * passing), bounded by backend_timeout_ms when its caller set no deadline.
 * crpc_server_call_opts(call) alone would do the first part.
 */
static crpc_call_opts *outbound_opts(struct orders *app,
                                     crpc_server_call *call) {
  crpc_call_opts *opts;

  if (crpc_call_opts_new(&opts) != CRPC_OK)
    return NULL;
  crpc_call_opts_set_timeout_ms(opts, app->backend_timeout_ms);
  crpc_call_opts_set_parent(opts, call, CRPC_PROPAGATE_DEFAULTS);
  return opts;
}

/* Whether |request| asks for the same order as the stored |order|. */
static bool same_order(const CreateOrderRequest *request, const Order *order) {
  size_t i, j;

  if (request->user_id != order->user_id || request->n_lines != order->n_lines)
    return false;
  for (i = 0; i < request->n_lines; i++) {
    for (j = 0; j < order->n_lines; j++)
      if (order->lines[j]->product_id == request->lines[i]->product_id &&
          order->lines[j]->quantity == request->lines[i]->quantity)
        break;
    if (j == order->n_lines)
      return false;
  }
  return true;
}

static crpc_code check_request(crpc_server_call *call,
                               const CreateOrderRequest *request) {
  size_t i, j;

  if (request->request_id == NULL || request->request_id[0] == '\0')
    return crpc_server_call_fail(call, CRPC_INVALID_ARGUMENT,
                                 "request_id must not be empty");
  if (strlen(request->request_id) > REQUEST_ID_MAX)
    return crpc_server_call_fail(call, CRPC_INVALID_ARGUMENT,
                                 "request_id longer than %d bytes",
                                 REQUEST_ID_MAX);
  if (request->n_lines == 0)
    return crpc_server_call_fail(call, CRPC_INVALID_ARGUMENT,
                                 "an order needs at least one line");
  for (i = 0; i < request->n_lines; i++) {
    if (request->lines[i]->quantity < 1)
      return crpc_server_call_fail(call, CRPC_INVALID_ARGUMENT,
                                   "quantity of product %" PRId64
                                   " must be at least 1",
                                   request->lines[i]->product_id);
    for (j = 0; j < i; j++)
      if (request->lines[j]->product_id == request->lines[i]->product_id)
        return crpc_server_call_fail(call, CRPC_INVALID_ARGUMENT,
                                     "product %" PRId64 " listed twice",
                                     request->lines[i]->product_id);
  }
  return CRPC_OK;
}

/*
 * A new order: fetches the user and the products (passing |opts|, with the
 * deadline, on), prices the lines and stores the order PENDING in |order|.
 */
static crpc_code prepare_order(struct orders *app, crpc_server_call *call,
                               sqlite3 *db, const CreateOrderRequest *request,
                               const crpc_call_opts *opts, Order *order) {
  Userorder__Users__V1__GetUserRequest get_user =
      USERORDER__USERS__V1__GET_USER_REQUEST__INIT;
  Userorder__Products__V1__BatchGetProductsRequest get_products =
      USERORDER__PRODUCTS__V1__BATCH_GET_PRODUCTS_REQUEST__INIT;
  Userorder__Users__V1__User *user = NULL;
  Userorder__Products__V1__BatchGetProductsResponse *products = NULL;
  OrderLine *lines, **line_ptrs;
  int64_t *ids;
  crpc_status why;
  crpc_code code;
  size_t i;

  get_user.id = request->user_id;
  code = userorder__users__v1__user_service__get_user__call(
      app->users, &get_user, &user, opts, &why);
  if (code != CRPC_OK)
    return code == CRPC_NOT_FOUND
               ? crpc_server_call_fail(call, code, "%s", why.message)
               : crpc_server_call_fail(call, code, "user-service: %s",
                                       why.message);

  ids = crpc_server_call_alloc(call, request->n_lines * sizeof(*ids));
  lines = crpc_server_call_alloc(call, request->n_lines * sizeof(*lines));
  line_ptrs =
      crpc_server_call_alloc(call, request->n_lines * sizeof(*line_ptrs));
  order->user_name = crpc_server_call_strdup(call, user->name);
  if (ids == NULL || lines == NULL || line_ptrs == NULL ||
      order->user_name == NULL) {
    code = CRPC_RESOURCE_EXHAUSTED;
    goto done;
  }
  for (i = 0; i < request->n_lines; i++)
    ids[i] = request->lines[i]->product_id;
  get_products.n_ids = request->n_lines;
  get_products.ids = ids;
  code = userorder__products__v1__product_service__batch_get_products__call(
      app->products, &get_products, &products, opts, &why);
  if (code != CRPC_OK) {
    code = code == CRPC_NOT_FOUND
               ? crpc_server_call_fail(call, code, "%s", why.message)
               : crpc_server_call_fail(call, code, "product-service: %s",
                                       why.message);
    goto done;
  }
  if (products->n_products != request->n_lines) {
    code = crpc_server_call_fail(call, CRPC_INTERNAL,
                                 "product-service returned %zu products for "
                                 "%zu ids",
                                 products->n_products, request->n_lines);
    goto done;
  }

  order->request_id = request->request_id;
  order->user_id = request->user_id;
  order->currency =
      crpc_server_call_strdup(call, products->products[0]->currency);
  order->state = USERORDER__ORDERS__V1__ORDER_STATE__ORDER_STATE_PENDING;
  for (i = 0; i < request->n_lines; i++) {
    const Product *product = products->products[i];
    OrderLine *line = &lines[i];

    if (order->currency == NULL || strcmp(product->currency, order->currency)) {
      code = crpc_server_call_fail(call, CRPC_FAILED_PRECONDITION,
                                   "products priced in different currencies");
      goto done;
    }
    userorder__orders__v1__order_line__init(line);
    line->product_id = product->id;
    line->quantity = request->lines[i]->quantity;
    line->product_name = crpc_server_call_strdup(call, product->name);
    line->unit_price_minor = product->price_minor;
    /* Quantities are int32 and prices small: no overflow in an example. */
    line->line_total_minor = product->price_minor * line->quantity;
    order->total_minor += line->line_total_minor;
    line_ptrs[i] = line;
  }
  order->n_lines = request->n_lines;
  order->lines = line_ptrs;
  if (insert_pending(db, order) != 0)
    code = crpc_server_call_fail(call, CRPC_INTERNAL, "cannot store order");

done:
  userorder__users__v1__user__free_unpacked(user, NULL);
  if (products != NULL)
    userorder__products__v1__batch_get_products_response__free_unpacked(
        products, NULL);
  return code;
}

static crpc_code create_order(crpc_server_call *call,
                              const CreateOrderRequest *request, Order *reply,
                              void *user_data) {
  struct orders *app = user_data;
  struct pool pool = {.call = call};
  crpc_call_opts *opts = NULL;
  crpc_code code, failure_code = CRPC_OK;
  int64_t start = crpc_now_ms();
  sqlite3 *db = NULL;
  int found = 0;
  bool was_pending = false;

  code = check_request(call, request);
  if (code != CRPC_OK)
    return code;
  if (!claim(app, request->request_id))
    return crpc_server_call_fail(call, CRPC_ABORTED,
                                 "request %s is already being processed; "
                                 "retry",
                                 request->request_id);
  opts = outbound_opts(app, call);
  db = uo_db_open(app->db_path);
  if (opts == NULL || db == NULL) {
    code = crpc_server_call_fail(call, CRPC_INTERNAL, "cannot open orders");
    goto done;
  }

  found = load_order(&pool, db, 0, request->request_id, reply, &failure_code);
  if (found < 0) {
    code = crpc_server_call_fail(call, CRPC_INTERNAL, "orders database: %s",
                                 sqlite3_errmsg(db));
    goto done;
  }
  if (found && !same_order(request, reply)) {
    code = crpc_server_call_fail(call, CRPC_ALREADY_EXISTS,
                                 "request id %s was used for order %" PRId64
                                 ", a different one",
                                 request->request_id, reply->id);
    goto done;
  }
  if (!found) {
    code = prepare_order(app, call, db, request, opts, reply);
    if (code != CRPC_OK)
      goto done;
  }
  if (reply->state == USERORDER__ORDERS__V1__ORDER_STATE__ORDER_STATE_PENDING) {
    was_pending = found;
    code = reserve_and_settle(app, call, db, reply, opts);
    if (code != CRPC_OK)
      goto done;
    if (load_order(&pool, db, 0, request->request_id, reply, &failure_code) !=
        1) {
      code = crpc_server_call_fail(call, CRPC_INTERNAL, "orders database: %s",
                                   sqlite3_errmsg(db));
      goto done;
    }
  }
  if (reply->state == USERORDER__ORDERS__V1__ORDER_STATE__ORDER_STATE_FAILED) {
    /*
     * The same request gets the same answer: the failure recorded by an
     * earlier attempt or by the sweeper (settle() never overwrites it).
     */
    code = crpc_server_call_fail(
        call, failure_code != CRPC_OK ? failure_code : CRPC_FAILED_PRECONDITION,
        "%s", reply->failure);
    goto done;
  }
  code = CRPC_OK;

done:
  /* One line per request: what the demo shows scrolling by. */
  if (code == CRPC_OK)
    printf(NAME ": CreateOrder %s: order %" PRId64 " %s (%" PRId64 " ms)\n",
           request->request_id, reply->id,
           !found        ? "confirmed"
           : was_pending ? "confirmed on retry"
                         : "already confirmed, returned again",
           crpc_now_ms() - start);
  else
    printf(NAME ": CreateOrder %s: %s (%" PRId64 " ms)\n", request->request_id,
           crpc_code_name(code), crpc_now_ms() - start);
  fflush(stdout);
  sqlite3_close(db);
  crpc_call_opts_free(opts);
  unclaim(app, request->request_id);
  return code;
}

static crpc_code
get_order(crpc_server_call *call,
          const Userorder__Orders__V1__GetOrderRequest *request, Order *reply,
          void *user_data) {
  struct orders *app = user_data;
  struct pool pool = {.call = call};
  sqlite3 *db = uo_db_open(app->db_path);
  crpc_code code;
  int found;

  if (db == NULL)
    return crpc_server_call_fail(call, CRPC_INTERNAL, "cannot open orders");
  found = load_order(&pool, db, request->id, NULL, reply, NULL);
  if (found == 1)
    code = CRPC_OK;
  else if (found == 0)
    code = crpc_server_call_fail(call, CRPC_NOT_FOUND,
                                 "order %" PRId64 " not found", request->id);
  else
    code = crpc_server_call_fail(call, CRPC_INTERNAL, "orders database: %s",
                                 sqlite3_errmsg(db));
  sqlite3_close(db);
  return code;
}

static crpc_code
list_orders(crpc_server_call *call,
            const Userorder__Orders__V1__ListOrdersRequest *request,
            void *user_data) {
  struct orders *app = user_data;
  struct pool pool = {.call = NULL};
  sqlite3 *db = uo_db_open(app->db_path);
  sqlite3_stmt *stmt = NULL;
  crpc_code code = CRPC_OK;
  Order order;
  int rc;

  if (db == NULL ||
      sqlite3_prepare_v2(db,
                         "SELECT id FROM orders WHERE user_id = ? ORDER BY id",
                         -1, &stmt, NULL) != SQLITE_OK) {
    code = crpc_server_call_fail(call, CRPC_INTERNAL, "cannot open orders");
    goto done;
  }
  sqlite3_bind_int64(stmt, 1, request->user_id);
  /* One order in memory at a time, however many the user has. */
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    userorder__orders__v1__order__init(&order);
    if (load_order(&pool, db, sqlite3_column_int64(stmt, 0), NULL, &order,
                   NULL) != 1) {
      code = crpc_server_call_fail(call, CRPC_INTERNAL, "orders database: %s",
                                   sqlite3_errmsg(db));
      goto done;
    }
    code =
        userorder__orders__v1__order_service__list_orders__write(call, &order);
    pool_clear(&pool);
    if (code != CRPC_OK)
      goto done; /* the client went away */
  }
  if (rc != SQLITE_DONE)
    code = crpc_server_call_fail(call, CRPC_INTERNAL, "orders database: %s",
                                 sqlite3_errmsg(db));

done:
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  pool_free(&pool);
  return code;
}

/* --- Rolling back PENDING orders: recovery and the sweeper --------------- */

/*
 * An order still PENDING was being placed when order-service stopped, or
 * its CreateOrder ended without knowing whether stock was reserved
 * (product-service unreachable, the deadline passed) and its client has
 * not retried for a long time. Either way nobody was told it succeeded, so
 * it is rolled back: stock released, order FAILED. Rolling forward
 * (reserving again) would confirm orders whose clients may have given up
 * and ordered again under a new request id, a double order; rolling back
 * can only refuse an order nobody was promised, and a retry with the same
 * request id gets that refusal.
 */
struct rollback {
  const char *who; /* "recovery" or "sweeper", in the log */
  /* PENDING orders with after_id < id <= up_to_id created before this: */
  int64_t after_id, up_to_id, created_before_unix_ms;
  const char *failure; /* what a retry of the order is told */
};

/*
 * Rolls back PENDING order |id| under its request id's claim. Returns false
 * when it must be tried again later.
 *
 * Against a client retrying the same order at the same time: the claim
 * keeps CreateOrder and this apart, and the reread under it sees a retry
 * that confirmed the order first. Stock is released before the order is
 * marked FAILED, so FAILED always means "stock free". ReleaseStock is
 * idempotent per request id (a second release is a no-op; a reserve that
 * arrives after it is refused), so the stock comes back exactly once, even
 * when a late ReserveStock from the order's last attempt lands before or
 * after it. settle() moves the order only out of PENDING, the last word on
 * who settled it.
 */
static bool roll_back(struct orders *app, sqlite3 *db, struct pool *pool,
                      int64_t id, const struct rollback *which) {
  Order order = USERORDER__ORDERS__V1__ORDER__INIT;
  crpc_status why = {.code = CRPC_INTERNAL};
  const char *request_id;
  bool is_done = false;
  int settled = -1;

  if (load_order(pool, db, id, NULL, &order, NULL) != 1)
    return false;
  request_id = order.request_id; /* in |pool| until the caller clears it */
  if (!claim(app, request_id))
    return false;
  if (load_order(pool, db, id, NULL, &order, NULL) != 1)
    goto done;
  if (order.state != USERORDER__ORDERS__V1__ORDER_STATE__ORDER_STATE_PENDING) {
    is_done = true; /* a client retry settled it */
    goto done;
  }
  if (release_stock(app, request_id, &why) == CRPC_OK &&
      (settled = settle(db, order.id, "FAILED", CRPC_FAILED_PRECONDITION,
                        which->failure)) < 0)
    crpc_status_set(&why, CRPC_INTERNAL, "orders database: %s",
                    sqlite3_errmsg(db));
  is_done = settled >= 0;
  if (settled == 1)
    printf(NAME ": %s: pending order %" PRId64 " (%s) released and failed\n",
           which->who, order.id, request_id);
  else if (settled == 0)
    printf(NAME ": %s: order %" PRId64 " (%s) was settled meanwhile\n",
           which->who, order.id, request_id);
  else
    printf(NAME ": %s: order %" PRId64 " stays pending: %s (%s)\n", which->who,
           order.id, why.message, crpc_code_name(why.code));
  fflush(stdout);

done:
  unclaim(app, request_id);
  return is_done;
}

/*
 * Rolls back the PENDING orders |which| selects. Returns how many are left
 * to try again, -1 when the database fails.
 */
static int roll_back_pending(struct orders *app, const struct rollback *which) {
  struct pool pool = {.call = NULL};
  sqlite3 *db = uo_db_open(app->db_path);
  sqlite3_stmt *stmt = NULL;
  int64_t *ids = NULL;
  size_t count = 0, cap = 0, i;
  int left = -1;

  if (db == NULL ||
      sqlite3_prepare_v2(db,
                         "SELECT id FROM orders WHERE state = 'PENDING' AND "
                         "id > ?1 AND id <= ?2 AND created_unix_ms < ?3 "
                         "ORDER BY id",
                         -1, &stmt, NULL) != SQLITE_OK)
    goto done;
  sqlite3_bind_int64(stmt, 1, which->after_id);
  sqlite3_bind_int64(stmt, 2, which->up_to_id);
  sqlite3_bind_int64(stmt, 3, which->created_before_unix_ms);
  /* Ids first: no read stays open across the calls to product-service. */
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    if (count == cap) {
      int64_t *bigger;
      cap = cap == 0 ? 16 : cap * 2;
      bigger = realloc(ids, cap * sizeof(*bigger));
      if (bigger == NULL)
        goto done;
      ids = bigger;
    }
    ids[count++] = sqlite3_column_int64(stmt, 0);
  }

  left = 0;
  for (i = 0; i < count && !atomic_load(&app->is_stopping); i++) {
    if (!roll_back(app, db, &pool, ids[i], which))
      left++;
    pool_clear(&pool);
  }

done:
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  pool_free(&pool);
  free(ids);
  return left;
}

/* Waits |ms| or until the service stops; false once it stops. */
static bool wait_ms(struct orders *app, int64_t ms) {
  struct timespec until;
  int rc = 0;

  clock_gettime(CLOCK_MONOTONIC, &until); /* the clock |wake| uses */
  until.tv_sec += (time_t)(ms / 1000);
  until.tv_nsec += (long)(ms % 1000) * 1000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&app->mu);
  while (!atomic_load(&app->is_stopping) && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&app->wake, &app->mu, &until);
  pthread_mutex_unlock(&app->mu);
  return !atomic_load(&app->is_stopping);
}

/*
 * The sweeper thread: recovery of the orders from before the start, retried
 * every RECOVERY_RETRY_MS until none is left, and a sweep every
 * sweep_interval_ms. An order the sweep could not roll back (product-service
 * away) is simply found again by the next one.
 */
static void *sweeper_main(void *arg) {
  struct orders *app = arg;
  char failure[96];
  struct rollback recovery = {
      .who = "recovery",
      .up_to_id = app->recover_up_to_id,
      .created_before_unix_ms = INT64_MAX,
      .failure = "abandoned: order-service stopped before confirming it"};
  struct rollback sweep = {.who = "sweeper",
                           .after_id = app->recover_up_to_id,
                           .up_to_id = INT64_MAX,
                           .failure = failure};
  bool is_recovering = app->recover_up_to_id > 0;
  int64_t next_sweep = crpc_now_ms() + app->sweep_interval_ms;

  snprintf(failure, sizeof(failure),
           "abandoned: still pending after %" PRId64 " ms",
           app->pending_timeout_ms);
  while (!atomic_load(&app->is_stopping)) {
    int64_t now = crpc_now_ms(), wake = INT64_MAX;

    if (is_recovering)
      is_recovering = roll_back_pending(app, &recovery) != 0;
    if (app->sweep_interval_ms > 0 && now >= next_sweep) {
      sweep.created_before_unix_ms = uo_unix_ms() - app->pending_timeout_ms;
      roll_back_pending(app, &sweep);
      next_sweep = now + app->sweep_interval_ms;
    }
    if (app->sweep_interval_ms > 0)
      wake = next_sweep;
    else if (!is_recovering)
      break;
    if (is_recovering && now + RECOVERY_RETRY_MS < wake)
      wake = now + RECOVERY_RETRY_MS;
    now = crpc_now_ms();
    if (!wait_ms(app, wake > now ? wake - now : 0))
      break;
  }
  return NULL;
}

/*
 * Starts the sweeper thread, noting which PENDING orders are from before
 * the start. Returns -1 if the database or the thread fails.
 */
static int start_sweeper(struct orders *app) {
  sqlite3 *db = uo_db_open(app->db_path);
  sqlite3_stmt *stmt = NULL;
  pthread_condattr_t attr;
  int64_t pending;
  int rc = -1;

  if (db == NULL ||
      sqlite3_prepare_v2(db,
                         "SELECT count(*), coalesce(max(id), 0) FROM orders "
                         "WHERE state = 'PENDING'",
                         -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_step(stmt) != SQLITE_ROW) {
    fprintf(stderr, NAME ": recovery: %s\n",
            db != NULL ? sqlite3_errmsg(db) : "cannot open the database");
    goto done;
  }
  pending = sqlite3_column_int64(stmt, 0);
  app->recover_up_to_id = sqlite3_column_int64(stmt, 1);
  if (pending > 0)
    printf(NAME ": %" PRId64 " pending order(s) from before; resolving them\n",
           pending);
  if (app->sweep_interval_ms > 0)
    printf(NAME ": rolling back orders pending for over %" PRId64
                " ms, checking every %" PRId64 " ms\n",
           app->pending_timeout_ms, app->sweep_interval_ms);
  fflush(stdout);
  rc = 0;
  if (pending == 0 && app->sweep_interval_ms == 0)
    goto done;
  /* Timed waits on the monotonic clock: a wall-clock step cannot stall it. */
  if (pthread_condattr_init(&attr) != 0 ||
      pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
      pthread_cond_init(&app->wake, &attr) != 0) {
    rc = -1;
  } else if (pthread_create(&app->sweeper, NULL, sweeper_main, app) != 0) {
    pthread_cond_destroy(&app->wake);
    rc = -1;
  } else {
    app->has_sweeper = true;
  }
  pthread_condattr_destroy(&attr);
  if (rc != 0)
    fprintf(stderr, NAME ": cannot start the sweeper thread\n");

done:
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rc;
}

/* Stops the sweeper thread, waiting for a rollback in progress. */
static void stop_sweeper(struct orders *app) {
  pthread_mutex_lock(&app->mu);
  atomic_store(&app->is_stopping, true);
  if (app->has_sweeper)
    pthread_cond_signal(&app->wake);
  pthread_mutex_unlock(&app->mu);
  if (!app->has_sweeper)
    return;
  pthread_join(app->sweeper, NULL);
  pthread_cond_destroy(&app->wake);
  app->has_sweeper = false;
}

/* --- main ---------------------------------------------------------------- */

static void usage(FILE *out) {
  fprintf(out,
          "usage: " NAME " [--host HOST] [--port PORT] [--db PATH]\n"
          "                     [--users TARGET] [--products TARGET]\n"
          "                     [--backend-timeout-ms N]\n"
          "                     [--sweep-interval-ms N]\n"
          "                     [--pending-timeout-ms N]\n"
          "                     [--plaintext | --tls-dir DIR]\n"
          "  --host HOST        address to listen on (default 127.0.0.1)\n"
          "  --port PORT        port, 0 for any free one (default 7003)\n"
          "  --db PATH          SQLite file, created if missing "
          "(default orders.db)\n"
          "  --users TARGET     user-service (default 127.0.0.1:7001)\n"
          "  --products TARGET  product-service (default 127.0.0.1:7002)\n"
          "  --backend-timeout-ms N\n"
          "                     deadline of outbound calls when the incoming\n"
          "                     call has none (default 10000)\n"
          "  --sweep-interval-ms N\n"
          "                     how often to look for orders left pending,\n"
          "                     0 for never (default 10000)\n"
          "  --pending-timeout-ms N\n"
          "                     roll back orders pending for longer than\n"
          "                     this; keep it well above the deadlines\n"
          "                     clients give CreateOrder (default 60000)\n"
          "  --plaintext        no TLS, for local debugging\n"
          "  --tls-dir DIR      mTLS with DIR/ca.pem, DIR/" NAME ".pem and\n"
          "                     DIR/" NAME
          "-key.pem (default " UO_TLS_DIR_DEFAULT ")\n");
}

/* Parses --|flag|'s |value| into *out; says why and fails if out of range. */
static bool parse_ms(const char *flag, const char *value, int64_t min,
                     int64_t max, int64_t *out) {
  if (uo_parse_int64(value, min, max, out) == 0)
    return true;
  fprintf(stderr, NAME ": bad --%s '%s' (%" PRId64 " to %" PRId64 ")\n", flag,
          value, min, max);
  return false;
}

int main(int argc, char **argv) {
  static const struct option long_options[] = {
      UO_SERVICE_OPTIONS,
      {"users", required_argument, NULL, 'u'},
      {"products", required_argument, NULL, 'r'},
      {"backend-timeout-ms", required_argument, NULL, 'b'},
      {"sweep-interval-ms", required_argument, NULL, 'i'},
      {"pending-timeout-ms", required_argument, NULL, 't'},
      {NULL, 0, NULL, 0}};
  Userorder__Orders__V1__OrderService_Handlers handlers = {
      .create_order = create_order,
      .get_order = get_order,
      .list_orders = list_orders};
  struct uo_service_flags flags = {.host = "127.0.0.1",
                                   .port = 7003,
                                   .db_path = "orders.db",
                                   .security.tls_dir = UO_TLS_DIR_DEFAULT};
  static struct orders app = {.backend_timeout_ms = 10000,
                              .sweep_interval_ms = 10000,
                              .pending_timeout_ms = 60000,
                              .mu = PTHREAD_MUTEX_INITIALIZER};
  const char *users_target = "127.0.0.1:7001";
  const char *products_target = "127.0.0.1:7002";
  char config[512];
  struct uo_server server = {0};
  crpc_code code;
  int opt, flag_status, status = 1;
  size_t i;

  while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
    switch (opt) {
    case 'u':
      users_target = optarg;
      break;
    case 'r':
      products_target = optarg;
      break;
    case 'b':
      if (!parse_ms("backend-timeout-ms", optarg, 1, 3600000,
                    &app.backend_timeout_ms))
        return 2;
      break;
    case 'i':
      if (!parse_ms("sweep-interval-ms", optarg, 0, 86400000,
                    &app.sweep_interval_ms))
        return 2;
      break;
    case 't':
      if (!parse_ms("pending-timeout-ms", optarg, 1, 86400000,
                    &app.pending_timeout_ms))
        return 2;
      break;
    default:
      if ((flag_status = uo_service_option(NAME, opt, optarg, &flags, usage)) !=
          UO_CONTINUE)
        return flag_status;
    }
  }
  if ((flag_status = uo_service_flags_check(NAME, argc, optind, &flags,
                                            usage)) != UO_CONTINUE)
    return flag_status;
  app.db_path = flags.db_path;

  uo_block_signals();
  if (uo_db_init(app.db_path, schema) != 0)
    return 1;
  /* Several user-service instances share one name: use them all. */
  if (uo_channel_new(&app.users, NAME, users_target, &flags.security,
                     backend_config(config, sizeof(config),
                                    "userorder.users.v1.UserService",
                                    "round_robin")) != CRPC_OK ||
      uo_channel_new(&app.products, NAME, products_target, &flags.security,
                     backend_config(config, sizeof(config),
                                    "userorder.products.v1.ProductService",
                                    "pick_first")) != CRPC_OK)
    goto done;
  printf(NAME ": users at %s, products at %s\n", users_target, products_target);
  fflush(stdout);
  if (start_sweeper(&app) != 0)
    goto done;
  if (uo_server_new(&server, NAME, &flags.security) != 0)
    goto done;
  code = userorder__orders__v1__order_service__register_handlers(
      server.server, &handlers, &app);
  if (code != CRPC_OK) {
    fprintf(stderr, NAME ": cannot set up the server: %s\n",
            crpc_code_name(code));
    goto done;
  }
  status = uo_serve(NAME, &server, flags.host, (int)flags.port, NULL, NULL);

done:
  uo_server_free(&server);
  stop_sweeper(&app);
  crpc_channel_free(app.users);
  crpc_channel_free(app.products);
  for (i = 0; i < app.busy_count; i++)
    free(app.busy[i]);
  free(app.busy);
  return status;
}

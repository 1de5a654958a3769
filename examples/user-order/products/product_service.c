/*
 * examples/user-order/products/product_service.c: product-service, the
 * owner of products, prices and stock (proto/products.proto,
 * userorder.products.v1.ProductService).
 *
 *   product-service [--host 127.0.0.1] [--port 7002] [--db products.db]
 *                   [--delay-ms N] [--slow-ms N] [--plaintext | --tls-dir DIR]
 *
 * Stock is reserved per order under the order's client request id, all
 * lines or none, so that a repeated ReserveStock is a no-op and stock is
 * never oversold however many orders race (README.md, "Consistency").
 *
 * --delay-ms makes GetProduct, BatchGetProducts and ReserveStock wait
 * before answering, and SIGUSR1 toggles that delay between 0 and
 * --slow-ms (default 3000): the demo's slow backend. A waiting handler
 * watches its call and gives up as soon as the caller's deadline passes,
 * logging "cancelled after N ms".
 */
/* nanosleep() is POSIX, outside plain C11. */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "db.h"
#include "products.crpc.h"
#include "products.pb-c.h"

#define NAME "product-service"

typedef Userorder__Products__V1__Product Product;
typedef Userorder__Products__V1__StockLine StockLine;
typedef Userorder__Products__V1__Reservation Reservation;

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS products ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  price_minor INTEGER NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  stock INTEGER NOT NULL CHECK (stock >= 0));"
    /* One row per order's request id; RELEASED rows are tombstones. */
    "CREATE TABLE IF NOT EXISTS reservations ("
    "  id TEXT PRIMARY KEY,"
    "  state TEXT NOT NULL CHECK (state IN ('RESERVED', 'RELEASED')),"
    "  created_unix_ms INTEGER NOT NULL,"
    "  updated_unix_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS reservation_lines ("
    "  reservation_id TEXT NOT NULL REFERENCES reservations (id),"
    "  product_id INTEGER NOT NULL,"
    "  quantity INTEGER NOT NULL CHECK (quantity > 0),"
    "  PRIMARY KEY (reservation_id, product_id));"
    "INSERT OR IGNORE INTO products (id, name, price_minor, currency, stock)"
    "  VALUES"
    "  (1, 'Espresso beans 1 kg', 1890, 'EUR', 100),"
    "  (2, 'Pour-over kettle', 4500, 'EUR', 20),"
    "  (3, 'Paper filters x100', 450, 'EUR', 500),"
    "  (4, 'Burr grinder', 12900, 'EUR', 5),"
    "  (5, 'Limited-edition mug', 1500, 'EUR', 10);";

struct products {
  const char *db_path;
  _Atomic int64_t delay_ms; /* injected before answering; 0: none */
  int64_t slow_ms;          /* what SIGUSR1 toggles delay_ms to */
};

static crpc_code db_failed(crpc_server_call *call, sqlite3 *db) {
  return crpc_server_call_fail(call, CRPC_INTERNAL, "products database: %s",
                               db != NULL ? sqlite3_errmsg(db) : "cannot open");
}

static void sleep_ms(int64_t ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

  nanosleep(&ts, NULL);
}

/*
 * The injected delay. Polls the call rather than sleeping blindly, the way
 * a handler doing long work should: once the caller's deadline passes (or
 * it cancels) there is no one left to answer.
 */
static crpc_code injected_delay(struct products *app, crpc_server_call *call,
                                const char *method) {
  int64_t delay_ms = atomic_load(&app->delay_ms);
  int64_t start = crpc_now_ms();

  if (delay_ms <= 0)
    return CRPC_OK;
  printf(NAME ": %s: delaying %" PRId64 " ms\n", method, delay_ms);
  fflush(stdout);
  while (crpc_now_ms() - start < delay_ms) {
    if (crpc_server_call_is_cancelled(call)) {
      printf(NAME ": %s: cancelled after %" PRId64 " ms of a %" PRId64
                  " ms delay (the caller's deadline)\n",
             method, crpc_now_ms() - start, delay_ms);
      fflush(stdout);
      return crpc_server_call_fail(call, CRPC_CANCELLED, "%s cancelled",
                                   method);
    }
    sleep_ms(5);
  }
  return CRPC_OK;
}

static void toggle_delay(void *user_data) {
  struct products *app = user_data;
  int64_t now = atomic_load(&app->delay_ms) > 0 ? 0 : app->slow_ms;

  atomic_store(&app->delay_ms, now);
  printf(NAME ": SIGUSR1: delay now %" PRId64 " ms\n", now);
  fflush(stdout);
}

/*
 * Looks product |id| up into |out|: CRPC_OK, NOT_FOUND or INTERNAL (the
 * call's status set).
 */
static crpc_code load_product(crpc_server_call *call, sqlite3 *db, int64_t id,
                              Product *out) {
  sqlite3_stmt *stmt = NULL;
  crpc_code code;
  int rc;

  if (sqlite3_prepare_v2(db,
                         "SELECT id, name, price_minor, currency, stock "
                         "FROM products WHERE id = ?",
                         -1, &stmt, NULL) != SQLITE_OK)
    return db_failed(call, db);
  sqlite3_bind_int64(stmt, 1, id);
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    out->id = sqlite3_column_int64(stmt, 0);
    out->name = crpc_server_call_strdup(
        call, (const char *)sqlite3_column_text(stmt, 1));
    out->price_minor = sqlite3_column_int64(stmt, 2);
    out->currency = crpc_server_call_strdup(
        call, (const char *)sqlite3_column_text(stmt, 3));
    out->stock = sqlite3_column_int64(stmt, 4);
    code = out->name != NULL && out->currency != NULL ? CRPC_OK
                                                      : CRPC_RESOURCE_EXHAUSTED;
  } else if (rc == SQLITE_DONE) {
    code = crpc_server_call_fail(call, CRPC_NOT_FOUND,
                                 "product %" PRId64 " not found", id);
  } else {
    code = db_failed(call, db);
  }
  sqlite3_finalize(stmt);
  return code;
}

static crpc_code
get_product(crpc_server_call *call,
            const Userorder__Products__V1__GetProductRequest *request,
            Product *reply, void *user_data) {
  struct products *app = user_data;
  sqlite3 *db;
  crpc_code code;

  code = injected_delay(app, call, "GetProduct");
  if (code != CRPC_OK)
    return code;
  db = uo_db_open(app->db_path);
  if (db == NULL)
    return db_failed(call, NULL);
  code = load_product(call, db, request->id, reply);
  sqlite3_close(db);
  return code;
}

static crpc_code batch_get_products(
    crpc_server_call *call,
    const Userorder__Products__V1__BatchGetProductsRequest *request,
    Userorder__Products__V1__BatchGetProductsResponse *reply, void *user_data) {
  struct products *app = user_data;
  Product **products;
  sqlite3 *db = NULL;
  crpc_code code;
  size_t i;

  code = injected_delay(app, call, "BatchGetProducts");
  if (code != CRPC_OK)
    return code;
  products =
      crpc_server_call_alloc(call, (request->n_ids + 1) * sizeof(*products));
  if (products == NULL)
    return CRPC_RESOURCE_EXHAUSTED;
  db = uo_db_open(app->db_path);
  if (db == NULL)
    return db_failed(call, NULL);
  for (i = 0; i < request->n_ids; i++) {
    products[i] = crpc_server_call_alloc(call, sizeof(Product));
    if (products[i] == NULL) {
      code = CRPC_RESOURCE_EXHAUSTED;
      goto done;
    }
    userorder__products__v1__product__init(products[i]);
    code = load_product(call, db, request->ids[i], products[i]);
    if (code != CRPC_OK)
      goto done;
  }
  reply->n_products = request->n_ids;
  reply->products = products;

done:
  sqlite3_close(db);
  return code;
}

/* Reads reservation |id|'s state: 'R'eserved, re'L'eased, or 0 if none. */
static int reservation_state(sqlite3 *db, const char *id, int *state) {
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2(db, "SELECT state FROM reservations WHERE id = ?", -1,
                         &stmt, NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
  rc = sqlite3_step(stmt);
  *state = 0;
  if (rc == SQLITE_ROW)
    *state = strcmp((const char *)sqlite3_column_text(stmt, 0), "RESERVED") == 0
                 ? 'R'
                 : 'L';
  sqlite3_finalize(stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Fills |reply|'s lines with reservation |id|'s stored lines. */
static crpc_code load_lines(crpc_server_call *call, sqlite3 *db, const char *id,
                            Reservation *reply) {
  sqlite3_stmt *stmt = NULL;
  StockLine **lines = NULL, *line;
  size_t count = 0, cap = 0;
  crpc_code code = CRPC_OK;
  int rc;

  if (sqlite3_prepare_v2(db,
                         "SELECT product_id, quantity FROM reservation_lines "
                         "WHERE reservation_id = ? ORDER BY product_id",
                         -1, &stmt, NULL) != SQLITE_OK)
    return db_failed(call, db);
  sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (count == cap) {
      StockLine **bigger;
      cap = cap == 0 ? 8 : cap * 2;
      bigger = crpc_server_call_alloc(call, cap * sizeof(*bigger));
      if (bigger == NULL) {
        code = CRPC_RESOURCE_EXHAUSTED;
        goto done;
      }
      if (count > 0)
        memcpy(bigger, lines, count * sizeof(*bigger));
      lines = bigger;
    }
    line = crpc_server_call_alloc(call, sizeof(*line));
    if (line == NULL) {
      code = CRPC_RESOURCE_EXHAUSTED;
      goto done;
    }
    userorder__products__v1__stock_line__init(line);
    line->product_id = sqlite3_column_int64(stmt, 0);
    line->quantity = sqlite3_column_int(stmt, 1);
    lines[count++] = line;
  }
  if (rc != SQLITE_DONE) {
    code = db_failed(call, db);
    goto done;
  }
  reply->n_lines = count;
  reply->lines = lines;

done:
  sqlite3_finalize(stmt);
  return code;
}

/*
 * Runs one statement that returns no rows, binding text |id| (unless NULL)
 * and then int64s |a| and |b| to its parameters in order, as many as it
 * has. Sets *changes (if not NULL) to the rows it changed.
 */
static int run(sqlite3 *db, const char *sql, const char *id, int64_t a,
               int64_t b, int *changes) {
  sqlite3_stmt *stmt = NULL;
  int rc, index = 1;

  if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return -1;
  if (id != NULL)
    sqlite3_bind_text(stmt, index++, id, -1, SQLITE_STATIC);
  if (sqlite3_bind_parameter_count(stmt) >= index)
    sqlite3_bind_int64(stmt, index++, a);
  if (sqlite3_bind_parameter_count(stmt) >= index)
    sqlite3_bind_int64(stmt, index++, b);
  rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (changes != NULL)
    *changes = sqlite3_changes(db);
  return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Why line |line| cannot be taken: its product is unknown (NOT_FOUND) or
 * short (FAILED_PRECONDITION). Sets the call's status.
 */
static crpc_code refuse_line(crpc_server_call *call, sqlite3 *db,
                             const StockLine *line) {
  Product product = USERORDER__PRODUCTS__V1__PRODUCT__INIT;
  crpc_code code = load_product(call, db, line->product_id, &product);

  if (code != CRPC_OK)
    return code;
  return crpc_server_call_fail(call, CRPC_FAILED_PRECONDITION,
                               "not enough stock for product %" PRId64
                               " (%s): %" PRId64 " left, %d wanted",
                               product.id, product.name, product.stock,
                               (int)line->quantity);
}

static crpc_code
reserve_stock(crpc_server_call *call,
              const Userorder__Products__V1__ReserveStockRequest *request,
              Reservation *reply, void *user_data) {
  struct products *app = user_data;
  const char *id = request->reservation_id;
  sqlite3 *db = NULL;
  crpc_code code;
  int state, changes;
  size_t i, j;

  if (id == NULL || id[0] == '\0')
    return crpc_server_call_fail(call, CRPC_INVALID_ARGUMENT,
                                 "reservation_id must not be empty");
  if (request->n_lines == 0)
    return crpc_server_call_fail(call, CRPC_INVALID_ARGUMENT,
                                 "a reservation needs at least one line");
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
  code = injected_delay(app, call, "ReserveStock");
  if (code != CRPC_OK)
    return code;

  reply->reservation_id = crpc_server_call_strdup(call, id);
  db = uo_db_open(app->db_path);
  /* IMMEDIATE: the write lock first, so check-then-update is atomic. */
  if (db == NULL || uo_db_exec(db, "reserve", "BEGIN IMMEDIATE") != 0 ||
      reservation_state(db, id, &state) != 0) {
    code = db_failed(call, db);
    goto fail;
  }
  if (state == 'R') {
    /* A retry: the stock is already taken under this id. */
    uo_db_exec(db, "reserve", "ROLLBACK");
    reply->state =
        USERORDER__PRODUCTS__V1__RESERVATION_STATE__RESERVATION_STATE_RESERVED;
    reply->replayed = 1;
    code = load_lines(call, db, id, reply);
    sqlite3_close(db);
    return code;
  }
  if (state == 'L') {
    code = crpc_server_call_fail(call, CRPC_FAILED_PRECONDITION,
                                 "reservation %s was released", id);
    goto fail;
  }
  /*
   * All lines or none: each UPDATE takes stock only if enough is left, and
   * the first one that cannot rolls the whole transaction back. Concurrent
   * reservations queue on the write lock, so none reads a stale count.
   */
  for (i = 0; i < request->n_lines; i++) {
    const StockLine *line = request->lines[i];
    if (run(db,
            "UPDATE products SET stock = stock - ?2 "
            "WHERE id = ?1 AND stock >= ?2",
            NULL, line->product_id, line->quantity, &changes) != 0) {
      code = db_failed(call, db);
      goto fail;
    }
    if (changes == 0) {
      code = refuse_line(call, db, line);
      goto fail;
    }
  }
  if (run(db,
          "INSERT INTO reservations (id, state, created_unix_ms, "
          "updated_unix_ms) VALUES (?1, 'RESERVED', ?2, ?2)",
          id, uo_unix_ms(), 0, NULL) != 0) {
    code = db_failed(call, db);
    goto fail;
  }
  for (i = 0; i < request->n_lines; i++)
    if (run(db,
            "INSERT INTO reservation_lines (reservation_id, product_id, "
            "quantity) VALUES (?, ?, ?)",
            id, request->lines[i]->product_id, request->lines[i]->quantity,
            NULL) != 0) {
      code = db_failed(call, db);
      goto fail;
    }
  if (uo_db_exec(db, "reserve", "COMMIT") != 0) {
    code = db_failed(call, db);
    goto fail;
  }
  reply->state =
      USERORDER__PRODUCTS__V1__RESERVATION_STATE__RESERVATION_STATE_RESERVED;
  code = load_lines(call, db, id, reply);
  sqlite3_close(db);
  return code;

fail:
  if (db != NULL)
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(db);
  return code;
}

static crpc_code
release_stock(crpc_server_call *call,
              const Userorder__Products__V1__ReleaseStockRequest *request,
              Reservation *reply, void *user_data) {
  struct products *app = user_data;
  const char *id = request->reservation_id;
  sqlite3 *db = NULL;
  crpc_code code;
  int state;

  if (id == NULL || id[0] == '\0')
    return crpc_server_call_fail(call, CRPC_INVALID_ARGUMENT,
                                 "reservation_id must not be empty");
  reply->reservation_id = crpc_server_call_strdup(call, id);
  reply->state =
      USERORDER__PRODUCTS__V1__RESERVATION_STATE__RESERVATION_STATE_RELEASED;
  db = uo_db_open(app->db_path);
  if (db == NULL || uo_db_exec(db, "release", "BEGIN IMMEDIATE") != 0 ||
      reservation_state(db, id, &state) != 0)
    goto db_fail;
  if (state == 0) {
    /* Never reserved: leave a tombstone so a late reserve cannot take. */
    if (run(db,
            "INSERT INTO reservations (id, state, created_unix_ms, "
            "updated_unix_ms) VALUES (?1, 'RELEASED', ?2, ?2)",
            id, uo_unix_ms(), 0, NULL) != 0)
      goto db_fail;
  } else if (state == 'R') {
    if (run(db,
            "UPDATE products SET stock = stock + (SELECT quantity FROM "
            "reservation_lines WHERE reservation_id = ?1 AND product_id = "
            "products.id) WHERE id IN (SELECT product_id FROM "
            "reservation_lines WHERE reservation_id = ?1)",
            id, 0, 0, NULL) != 0 ||
        run(db,
            "UPDATE reservations SET state = 'RELEASED', updated_unix_ms = ?2 "
            "WHERE id = ?1",
            id, uo_unix_ms(), 0, NULL) != 0)
      goto db_fail;
  } else {
    reply->replayed = 1;
  }
  if (uo_db_exec(db, "release", "COMMIT") != 0)
    goto db_fail;
  code = load_lines(call, db, id, reply);
  sqlite3_close(db);
  return code;

db_fail:
  code = db_failed(call, db);
  if (db != NULL)
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(db);
  return code;
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: " NAME " [--host HOST] [--port PORT] [--db PATH]\n"
          "                       [--delay-ms N] [--slow-ms N]\n"
          "                       [--plaintext | --tls-dir DIR]\n"
          "  --host HOST    address to listen on (default 127.0.0.1)\n"
          "  --port PORT    port, 0 for any free one (default 7002)\n"
          "  --db PATH      SQLite file, created and seeded if missing "
          "(default products.db)\n"
          "  --delay-ms N   wait N ms in GetProduct, BatchGetProducts and\n"
          "                 ReserveStock (default 0)\n"
          "  --slow-ms N    the delay SIGUSR1 toggles on (default 3000)\n"
          "  --plaintext    no TLS, for local debugging\n"
          "  --tls-dir DIR  mTLS with DIR/ca.pem, DIR/" NAME ".pem and\n"
          "                 DIR/" NAME "-key.pem (default " UO_TLS_DIR_DEFAULT
          ")\n");
}

int main(int argc, char **argv) {
  static const struct option long_options[] = {
      UO_SERVICE_OPTIONS,
      {"delay-ms", required_argument, NULL, 'D'},
      {"slow-ms", required_argument, NULL, 'S'},
      {NULL, 0, NULL, 0}};
  Userorder__Products__V1__ProductService_Handlers handlers = {
      .get_product = get_product,
      .batch_get_products = batch_get_products,
      .reserve_stock = reserve_stock,
      .release_stock = release_stock};
  struct uo_service_flags flags = {.host = "127.0.0.1",
                                   .port = 7002,
                                   .db_path = "products.db",
                                   .security.tls_dir = UO_TLS_DIR_DEFAULT};
  static struct products app = {.slow_ms = 3000};
  int64_t delay_ms = 0;
  struct uo_server server = {0};
  crpc_code code;
  int opt, flag_status, status = 1;

  while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
    if (opt == 'D' || opt == 'S') {
      if (uo_parse_int64(optarg, 0, 3600000,
                         opt == 'D' ? &delay_ms : &app.slow_ms) != 0) {
        fprintf(stderr, NAME ": bad delay '%s'\n", optarg);
        return 2;
      }
    } else if ((flag_status = uo_service_option(NAME, opt, optarg, &flags,
                                                usage)) != UO_CONTINUE) {
      return flag_status;
    }
  }
  if ((flag_status = uo_service_flags_check(NAME, argc, optind, &flags,
                                            usage)) != UO_CONTINUE)
    return flag_status;
  app.db_path = flags.db_path;
  atomic_store(&app.delay_ms, delay_ms);

  uo_block_signals();
  if (uo_db_init(app.db_path, schema) != 0)
    return 1;
  if (uo_server_new(&server, NAME, &flags.security) != 0)
    goto done;
  code = userorder__products__v1__product_service__register_handlers(
      server.server, &handlers, &app);
  if (code != CRPC_OK) {
    fprintf(stderr, NAME ": cannot set up the server: %s\n",
            crpc_code_name(code));
    goto done;
  }
  status =
      uo_serve(NAME, &server, flags.host, (int)flags.port, toggle_delay, &app);

done:
  uo_server_free(&server);
  return status;
}

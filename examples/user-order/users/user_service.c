/*
 * examples/user-order/users/user_service.c: user-service, the owner of
 * users (proto/users.proto, userorder.users.v1.UserService).
 *
 *   user-service [--host 127.0.0.1] [--port 7001] [--db users.db]
 *                [--plaintext | --tls-dir DIR]
 *
 * Creates and seeds its SQLite file on first start. Several instances may
 * share one file (the demo runs two behind one target). Prints
 * "user-service: listening on HOST:PORT" once serving; SIGTERM or SIGINT
 * shuts it down gracefully and it exits 0.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "db.h"
#include "users.crpc.h"
#include "users.pb-c.h"

#define NAME "user-service"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS users ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL,"
    "  email TEXT NOT NULL DEFAULT '');"
    "INSERT OR IGNORE INTO users (id, name, email) VALUES"
    "  (1, 'Ada Lovelace', 'ada@example.com'),"
    "  (2, 'Grace Hopper', 'grace@example.com'),"
    "  (3, 'Alan Turing', 'alan@example.com');";

struct users {
  const char *db_path;
};

/* Copies the row under |stmt| (id, name, email) into |user|. */
static crpc_code fill_user(crpc_server_call *call, sqlite3_stmt *stmt,
                           Userorder__Users__V1__User *user) {
  user->id = sqlite3_column_int64(stmt, 0);
  user->name =
      crpc_server_call_strdup(call, (const char *)sqlite3_column_text(stmt, 1));
  user->email =
      crpc_server_call_strdup(call, (const char *)sqlite3_column_text(stmt, 2));
  return user->name != NULL && user->email != NULL ? CRPC_OK
                                                   : CRPC_RESOURCE_EXHAUSTED;
}

static crpc_code db_failed(crpc_server_call *call, sqlite3 *db) {
  return crpc_server_call_fail(call, CRPC_INTERNAL, "users database: %s",
                               db != NULL ? sqlite3_errmsg(db) : "cannot open");
}

static crpc_code get_user(crpc_server_call *call,
                          const Userorder__Users__V1__GetUserRequest *request,
                          Userorder__Users__V1__User *reply, void *user_data) {
  struct users *app = user_data;
  sqlite3 *db = uo_db_open(app->db_path);
  sqlite3_stmt *stmt = NULL;
  crpc_code code;
  int rc;

  if (db == NULL ||
      sqlite3_prepare_v2(db, "SELECT id, name, email FROM users WHERE id = ?",
                         -1, &stmt, NULL) != SQLITE_OK) {
    code = db_failed(call, db);
    goto done;
  }
  sqlite3_bind_int64(stmt, 1, request->id);
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW)
    code = fill_user(call, stmt, reply);
  else if (rc == SQLITE_DONE)
    code = crpc_server_call_fail(call, CRPC_NOT_FOUND, "user %lld not found",
                                 (long long)request->id);
  else
    code = db_failed(call, db);

done:
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return code;
}

static crpc_code
create_user(crpc_server_call *call,
            const Userorder__Users__V1__CreateUserRequest *request,
            Userorder__Users__V1__User *reply, void *user_data) {
  struct users *app = user_data;
  sqlite3 *db;
  sqlite3_stmt *stmt = NULL;
  crpc_code code;

  if (request->name == NULL || request->name[0] == '\0')
    return crpc_server_call_fail(call, CRPC_INVALID_ARGUMENT,
                                 "name must not be empty");
  db = uo_db_open(app->db_path);
  if (db == NULL ||
      sqlite3_prepare_v2(db,
                         "INSERT INTO users (name, email) VALUES (?, ?) "
                         "RETURNING id, name, email",
                         -1, &stmt, NULL) != SQLITE_OK) {
    code = db_failed(call, db);
    goto done;
  }
  sqlite3_bind_text(stmt, 1, request->name, -1, SQLITE_STATIC);
  sqlite3_bind_text(stmt, 2, request->email != NULL ? request->email : "", -1,
                    SQLITE_STATIC);
  if (sqlite3_step(stmt) != SQLITE_ROW) {
    code = db_failed(call, db);
    goto done;
  }
  code = fill_user(call, stmt, reply);
  /* The insert commits when the statement completes. */
  if (code == CRPC_OK && sqlite3_step(stmt) != SQLITE_DONE)
    code = db_failed(call, db);

done:
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return code;
}

static crpc_code
list_users(crpc_server_call *call,
           const Userorder__Users__V1__ListUsersRequest *request,
           Userorder__Users__V1__ListUsersResponse *reply, void *user_data) {
  struct users *app = user_data;
  sqlite3 *db = uo_db_open(app->db_path);
  sqlite3_stmt *stmt = NULL;
  Userorder__Users__V1__User **users = NULL, *user;
  size_t count = 0, cap = 0;
  crpc_code code = CRPC_OK;
  int rc;

  (void)request;
  if (db == NULL ||
      sqlite3_prepare_v2(db, "SELECT id, name, email FROM users ORDER BY id",
                         -1, &stmt, NULL) != SQLITE_OK) {
    code = db_failed(call, db);
    goto done;
  }
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (count == cap) {
      /* Arena memory is not freed one piece at a time: grow by doubling. */
      Userorder__Users__V1__User **bigger;
      cap = cap == 0 ? 16 : cap * 2;
      bigger = crpc_server_call_alloc(call, cap * sizeof(*bigger));
      if (bigger == NULL) {
        code = CRPC_RESOURCE_EXHAUSTED;
        goto done;
      }
      if (count > 0)
        memcpy(bigger, users, count * sizeof(*bigger));
      users = bigger;
    }
    user = crpc_server_call_alloc(call, sizeof(*user));
    if (user == NULL) {
      code = CRPC_RESOURCE_EXHAUSTED;
      goto done;
    }
    userorder__users__v1__user__init(user);
    code = fill_user(call, stmt, user);
    if (code != CRPC_OK)
      goto done;
    users[count++] = user;
  }
  if (rc != SQLITE_DONE) {
    code = db_failed(call, db);
    goto done;
  }
  reply->n_users = count;
  reply->users = users;

done:
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return code;
}

static void usage(FILE *out) {
  fprintf(out, "usage: " NAME " [--host HOST] [--port PORT] [--db PATH]\n"
               "                    [--plaintext | --tls-dir DIR]\n"
               "  --host HOST    address to listen on (default 127.0.0.1)\n"
               "  --port PORT    port, 0 for any free one (default 7001)\n"
               "  --db PATH      SQLite file, created and seeded if missing "
               "(default users.db)\n"
               "  --plaintext    no TLS, for local debugging\n"
               "  --tls-dir DIR  mTLS with DIR/ca.pem, DIR/" NAME ".pem and\n"
               "                 DIR/" NAME
               "-key.pem (default " UO_TLS_DIR_DEFAULT ")\n");
}

int main(int argc, char **argv) {
  static const struct option long_options[] = {UO_SERVICE_OPTIONS,
                                               {NULL, 0, NULL, 0}};
  Userorder__Users__V1__UserService_Handlers handlers = {
      .get_user = get_user,
      .create_user = create_user,
      .list_users = list_users};
  struct uo_service_flags flags = {.host = "127.0.0.1",
                                   .port = 7001,
                                   .db_path = "users.db",
                                   .security.tls_dir = UO_TLS_DIR_DEFAULT};
  struct users app = {0};
  struct uo_server server = {0};
  crpc_code code;
  int opt, flag_status, status = 1;

  while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1)
    if ((flag_status = uo_service_option(NAME, opt, optarg, &flags, usage)) !=
        UO_CONTINUE)
      return flag_status;
  if ((flag_status = uo_service_flags_check(NAME, argc, optind, &flags,
                                            usage)) != UO_CONTINUE)
    return flag_status;
  app.db_path = flags.db_path;

  uo_block_signals();
  if (uo_db_init(app.db_path, schema) != 0)
    return 1;
  if (uo_server_new(&server, NAME, &flags.security) != 0)
    goto done;
  code = userorder__users__v1__user_service__register_handlers(server.server,
                                                               &handlers, &app);
  if (code != CRPC_OK) {
    fprintf(stderr, NAME ": cannot set up the server: %s\n",
            crpc_code_name(code));
    goto done;
  }
  status = uo_serve(NAME, &server, flags.host, (int)flags.port, NULL, NULL);

done:
  uo_server_free(&server);
  return status;
}

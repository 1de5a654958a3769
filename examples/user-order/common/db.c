/*
 * examples/user-order/common/db.c: see db.h.
 */
#include "db.h"

#include <stdio.h>

sqlite3 *uo_db_open(const char *path) {
  sqlite3 *db = NULL;

  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      NULL) != SQLITE_OK) {
    fprintf(stderr, "sqlite: cannot open %s: %s\n", path,
            db != NULL ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, UO_DB_BUSY_TIMEOUT_MS);
  /*
   * FULL: a committed order survives a crash of the machine, not only of
   * the process. Not persistent in the file, so set on every connection.
   */
  uo_db_exec(db, "synchronous", "PRAGMA synchronous = FULL");
  return db;
}

int uo_db_exec(sqlite3 *db, const char *what, const char *sql) {
  char *error = NULL;

  if (sqlite3_exec(db, sql, NULL, NULL, &error) != SQLITE_OK) {
    fprintf(stderr, "sqlite: %s: %s\n", what,
            error != NULL ? error : sqlite3_errmsg(db));
    sqlite3_free(error);
    return -1;
  }
  return 0;
}

int uo_db_init(const char *path, const char *schema_and_seed) {
  sqlite3 *db = uo_db_open(path);
  int rc = -1;

  if (db == NULL)
    return -1;
  /* WAL is a property of the file: set once, kept across opens. */
  if (uo_db_exec(db, "journal_mode", "PRAGMA journal_mode = WAL") != 0)
    goto done;
  if (uo_db_exec(db, "begin", "BEGIN IMMEDIATE") != 0)
    goto done;
  if (uo_db_exec(db, "schema", schema_and_seed) != 0) {
    uo_db_exec(db, "rollback", "ROLLBACK");
    goto done;
  }
  if (uo_db_exec(db, "commit", "COMMIT") != 0)
    goto done;
  rc = 0;

done:
  sqlite3_close(db);
  return rc;
}

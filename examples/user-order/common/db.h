/*
 * examples/user-order/common/db.h: SQLite the way the services use it.
 *
 * Each service owns one database file. Handlers run on crpc's handler
 * threads, several at once, so each handler call opens its own connection
 * (uo_db_open), which is cheap next to an RPC and needs no locking of ours:
 * SQLite serializes writers itself. WAL mode lets readers run beside a
 * writer; the busy timeout makes a writer wait for another instead of
 * failing with SQLITE_BUSY. Writes that must be atomic run inside
 * `BEGIN IMMEDIATE`, which takes the write lock up front so that a
 * read-then-write transaction can never deadlock on lock upgrade.
 */
#ifndef UO_DB_H
#define UO_DB_H

#include <sqlite3.h>

/* How long a connection waits for another's write lock. */
#define UO_DB_BUSY_TIMEOUT_MS 10000

/*
 * Opens (creating if needed) the database at |path| with the busy timeout
 * set. Prints the reason and returns NULL on failure.
 */
sqlite3 *uo_db_open(const char *path);

/*
 * Runs |sql| (any number of statements, no results wanted). Prints the
 * error prefixed with |what| and returns -1 on failure.
 */
int uo_db_exec(sqlite3 *db, const char *what, const char *sql);

/*
 * First start: switches |path| to WAL mode and runs |schema_and_seed|
 * (CREATE TABLE IF NOT EXISTS ..., INSERT OR IGNORE ...) in one
 * transaction, so two instances starting at once on one file both end up
 * with one copy of the seed. Returns -1 (with a message) on failure.
 */
int uo_db_init(const char *path, const char *schema_and_seed);

#endif /* UO_DB_H */

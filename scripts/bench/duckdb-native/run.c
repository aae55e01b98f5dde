/*
 * DuckDB without Node, for make bench: runs each argument as one SQL statement, in order,
 * in an in-memory database, and prints as JSON what duckdb.mjs prints: the library's
 * version, each statement's rows changed, the first row of the last statement's result,
 * and the time from main's start to the database closed (in_process_s).
 *
 *   run STATEMENT...
 *
 * It links the libduckdb.so that @duckdb/node-bindings-linux-x64 ships (the same library
 * the DuckDB command-line shell embeds): no DuckDB CLI binary can be installed here (none
 * in Debian; on npm only the Node bindings), so this is DuckDB at its fastest on this
 * machine. scripts/bench builds it with cc. The declarations below are DuckDB's C API, as
 * duckdb.h declares them (its ABI is stable since 1.0).
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

typedef uint64_t idx_t;
typedef enum { DuckDBSuccess = 0, DuckDBError = 1 } duckdb_state;
typedef void *duckdb_database;
typedef void *duckdb_connection;
typedef struct {
	idx_t deprecated_column_count;
	idx_t deprecated_row_count;
	idx_t deprecated_rows_changed;
	void *deprecated_columns;
	char *deprecated_error_message;
	void *internal_data;
} duckdb_result;

duckdb_state duckdb_open(const char *path, duckdb_database *out_database);
void duckdb_close(duckdb_database *database);
duckdb_state duckdb_connect(duckdb_database database, duckdb_connection *out_connection);
void duckdb_disconnect(duckdb_connection *connection);
duckdb_state duckdb_query(duckdb_connection connection, const char *query, duckdb_result *out_result);
void duckdb_destroy_result(duckdb_result *result);
const char *duckdb_result_error(duckdb_result *result);
idx_t duckdb_rows_changed(duckdb_result *result);
idx_t duckdb_column_count(duckdb_result *result);
idx_t duckdb_row_count(duckdb_result *result);
const char *duckdb_column_name(duckdb_result *result, idx_t col);
char *duckdb_value_varchar(duckdb_result *result, idx_t col, idx_t row);
void duckdb_free(void *ptr);
const char *duckdb_library_version(void);

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* json prints s as a JSON string (the values here are numbers, names and a version). */
static void json(const char *s) {
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\') putchar('\\');
		if ((unsigned char)*s >= 0x20) putchar(*s);
	}
	putchar('"');
}

int main(int argc, char **argv) {
	double start = now();
	duckdb_database db;
	duckdb_connection con;
	if (argc < 2) {
		fprintf(stderr, "usage: run STATEMENT...\n");
		return 2;
	}
	if (duckdb_open(NULL, &db) != DuckDBSuccess || duckdb_connect(db, &con) != DuckDBSuccess) {
		fprintf(stderr, "run: cannot open an in-memory DuckDB database\n");
		return 1;
	}
	printf("{\"duckdb\":");
	json(duckdb_library_version());
	printf(",\"changed\":[");
	for (int i = 1; i < argc; i++) {
		duckdb_result r;
		if (duckdb_query(con, argv[i], &r) != DuckDBSuccess) {
			fprintf(stderr, "run: statement %d: %s\n", i, duckdb_result_error(&r));
			return 1;
		}
		printf("%s%llu", i > 1 ? "," : "", (unsigned long long)duckdb_rows_changed(&r));
		if (i == argc - 1) {
			printf("],\"last\":{");
			for (idx_t c = 0; duckdb_row_count(&r) > 0 && c < duckdb_column_count(&r); c++) {
				char *v = duckdb_value_varchar(&r, c, 0);
				if (c > 0) putchar(',');
				json(duckdb_column_name(&r, c));
				putchar(':');
				json(v);
				duckdb_free(v);
			}
			putchar('}');
		}
		duckdb_destroy_result(&r);
	}
	duckdb_disconnect(&con);
	duckdb_close(&db);
	printf(",\"in_process_s\":%.4f}\n", now() - start);
	return 0;
}

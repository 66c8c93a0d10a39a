/*
 * The wrapped database key file (db.key in the state directory). It holds the
 * DB key only as an AES-256-GCM blob made by the HSM's KEK, so the file alone
 * is useless. Layout (big-endian):
 *   "BOSDBK01" | u32 kek_version | u16 blob_len | blob (iv || ct || tag)
 * and nothing after. Anything else is refused as corrupt.
 */
#ifndef BOS_KEYFILE_H
#define BOS_KEYFILE_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "err.h"

#define KEYFILE_MAGIC "BOSDBK01"
#define KEYFILE_DB_KEY_LEN 32
/* AAD binding the wrapped blob to its purpose: it cannot pass for a DEK. */
#define KEYFILE_AAD "bos-db-key-v1"

/* Create path (must not exist, mode 0600) and make it durable. */
int keyfile_write(const char *path, uint32_t kek_version, const uint8_t *blob,
    size_t blob_len, struct bos_err *err) BOS_WUR;

/* Read and validate; blob must have room for blob_cap bytes. */
int keyfile_read(const char *path, uint32_t *kek_version, uint8_t *blob, size_t blob_cap,
    size_t *blob_len, struct bos_err *err) BOS_WUR;

/* Parse an in-memory image (exposed for tests and fuzzing). */
int keyfile_parse(const uint8_t *data, size_t len, uint32_t *kek_version, uint8_t *blob,
    size_t blob_cap, size_t *blob_len) BOS_WUR;

/* fsync the directory holding path, so a created or renamed entry is durable. */
int keyfile_sync_dir(const char *path) BOS_WUR;

#endif

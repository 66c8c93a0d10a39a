/*
 * Test fixture: a new SQLCipher store in a fresh temporary directory, opened
 * with a fixed test key, and its removal. Shared by the unit tests that need
 * a real database.
 */
#ifndef BOS_STORE_FIXTURE_H
#define BOS_STORE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

struct store;

/*
 * mkdtemp "/tmp/bos-test-TAG-XXXXXX" into dir, create dir/bos.db (its path
 * into path) with the key key_base, key_base + 1, ... Returns 0, or -1 after
 * printing why.
 */
int store_fixture_open(const char *tag, uint8_t key_base, char *dir, size_t dir_cap,
    char *path, size_t path_cap, struct store **out);

/* Close the store (may be NULL) and remove the files of dir and dir itself. */
void store_fixture_remove(struct store *s, const char *dir);

#endif
